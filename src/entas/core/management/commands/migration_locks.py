from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from entas.core import migrationlocks
from entas.core.cli import EntasCommand


class Command(EntasCommand):
    actor_mode = "none"
    help = (
        "Check every migration for operations that would hold a long lock on a large table of a live "
        "PostgreSQL (docs/upgrading.md). Exit status 1 when a migration that is neither historical nor "
        "reviewed has one. --all also lists the historical and reviewed findings."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--all", action="store_true", help="List historical and reviewed findings too.")

    def handle(self, *args: Any, as_json: bool, all: bool, **options: Any) -> None:
        findings = migrationlocks.inspect()
        bad = migrationlocks.unreviewed(findings)
        shown = findings if all else bad
        result = {
            "findings": [
                {
                    **f.__dict__,
                    "historical": f.key in migrationlocks.HISTORICAL,
                    "reviewed": f.key in migrationlocks.REVIEWED,
                }
                for f in shown
            ],
            "unreviewed": len(bad),
        }
        text = "\n".join(str(f) for f in shown) or "No migration takes a long lock on a large table."
        self.emit(result, text, as_json=as_json)
        if bad:
            raise CommandError(
                f"{len(bad)} operation(s) would lock a large table on a live PostgreSQL: see docs/upgrading.md."
            )
