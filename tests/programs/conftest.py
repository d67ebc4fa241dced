"""Fixtures of the programme tests: a synthetic city with a cash programme, and a second manager."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.programs.models import Programme
from entas.registry.importer import import_registry
from entas.targeting import services as targeting
from tests.helpers import city_files, make_programme


@pytest.fixture
def programme(regions: Any, tmp_path: Path, dinsos_manager: User) -> Programme:
    files = city_files(households=800, seed=12, survey_size=200)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    rule = targeting.save_rule(actor=None, name="BLT", expression="dtsen_desil <= 3", benefit=300_000)
    return make_programme(rule, start=dt.date(2026, 12, 1), per_child_in_school=50_000, cap=500_000)


@pytest.fixture
def approver(make_user: Any) -> User:
    return make_user("dinsos2", Role.DINSOS_MANAGER, ["64.71"])
