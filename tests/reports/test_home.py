"""The reports' items on the home page: drafts waiting for a checker, reports due."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core import home
from entas.reports import selectors, services

pytestmark = pytest.mark.django_db


def _items(user: User) -> dict[str, Any]:
    return {str(i.label): i for i in home.items_for(user)}


def test_drafts_wait_for_someone_else_and_due_reports_until_final(
    regions: Any, tkpk_analyst: User, auditor: User, media_root: Any
) -> None:
    checker = User.objects.create_user(username="bappeda7", password="x-correct-horse", role=Role.TKPK_ANALYST)
    assert "Draft reports waiting for a checker" not in _items(auditor)
    assert _items(checker)["Draft reports waiting for a checker"].count == 0
    today = dt.date.today()
    (_k, year, quarter), (_l, lp2kd_year, _q) = selectors.due_periods(today)
    due = _items(checker)["Official reports due"]
    assert due.count == 2 and f"Q{quarter}" in str(due.hint)

    report = services.create_report(kind="lp2kd", year=lp2kd_year, actor=tkpk_analyst)
    version = services.generate(report=report, actor=tkpk_analyst, day=today)
    assert _items(tkpk_analyst)["Draft reports waiting for a checker"].count == 0  # the maker
    assert _items(checker)["Draft reports waiting for a checker"].count == 1
    assert _items(checker)["Official reports due"].count == 2  # a draft is not the report
    services.finalise(version=version, actor=checker, charts=False)
    assert _items(checker)["Draft reports waiting for a checker"].count == 0
    due = _items(checker)["Official reports due"]
    assert due.count == 1 and str(due.hint).endswith(f"{year} Q{quarter}") and "LP2KD" not in str(due.hint)


def test_the_due_periods_follow_the_calendar() -> None:
    assert selectors.due_periods(dt.date(2026, 2, 10)) == [("extreme_poverty", 2025, 4), ("lp2kd", 2025, None)]
    assert selectors.due_periods(dt.date(2026, 12, 1)) == [("extreme_poverty", 2026, 3), ("lp2kd", 2025, None)]
