"""The example plan of Balikpapan loaded as the TKPK analyst, with its cash programme defined first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from entas.accounts.models import Opd, User
from entas.accounts.roles import Role
from entas.policy import planfile, services
from entas.policy.models import Plan
from entas.regions.models import Region
from entas.targeting import services as targeting
from tests.conftest import CITY, PROJECT_ROOT
from tests.helpers import make_programme

EXAMPLE = PROJECT_ROOT / "docs" / "examples" / "rpkd-balikpapan.yaml"


def example_spec() -> planfile.PlanSpec:
    return planfile.parse_plan(EXAMPLE.read_bytes(), source=EXAMPLE.name)


@pytest.fixture
def cash_programme(regions: dict[str, Region]) -> Any:
    rule = targeting.save_rule(actor=None, name="BLT 2026", expression="dtsen_desil <= 3", benefit=300_000)
    return make_programme(rule, name="BLT Kota Balikpapan 2026", start=dt.date(2026, 12, 1), end=dt.date(2027, 5, 31))


@pytest.fixture
def plan(cash_programme: Any, tkpk_analyst: User) -> Plan:
    return services.load_plan(spec=example_spec(), actor=tkpk_analyst, source=EXAMPLE.name).plan


@pytest.fixture
def bappeda(make_user: Callable[..., User]) -> User:
    """A second editor of the register (the checker of the TKPK analyst's adjustments)."""
    return make_user("bappeda", Role.TKPK_ANALYST, [CITY])


@pytest.fixture
def disnaker_officer(make_user: Callable[..., User], plan: Plan) -> User:
    """A training officer of the Disnaker: enters realisation for the Disnaker's activities only."""
    return make_user("disnaker1", Role.TRAINING_OFFICER, [CITY], opd=Opd.objects.get(code="DISNAKER"))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
