"""The load probe's set-up (see test_load.py), run against the file database named by the environment:

    python -m tests.security.load_probe setup     # migrate, regions, one operator and one household; prints ids

The production server (`entas serve`) then runs on that database in a process of its own.
"""

from __future__ import annotations

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entas.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from entas.accounts.models import User  # noqa: E402
from entas.accounts.roles import Role  # noqa: E402
from entas.regions.models import Region  # noqa: E402
from entas.regions.services import DEFAULT_REGIONS_FILE, load_regions  # noqa: E402
from tests.conftest import MANGGAR, make_household  # noqa: E402

PASSWORD = "correct-horse-battery"


def setup() -> dict[str, int]:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    load_regions(text=DEFAULT_REGIONS_FILE.read_text(encoding="utf-8"), actor=None, source="test")
    manggar = Region.objects.get(code=MANGGAR)
    user = User.objects.create_user(username="op.manggar", password=PASSWORD, role=Role.OPERATOR)
    user.areas.set([manggar])
    household = make_household(manggar, "6471010101200001")
    return {"user": user.pk, "household": household.pk, "member": household.members.order_by("pk").first().pk}  # type: ignore[union-attr]


if __name__ == "__main__":
    if sys.argv[1:] != ["setup"]:
        raise SystemExit(f"usage: {sys.argv[0]} setup")
    print(json.dumps(setup()))
