"""Importing realisation: every row accounted for, rejected rows with their reasons, OPD officers
kept to their own OPD's activities, and a re-run that changes nothing."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from entas.accounts.models import User
from entas.core.models import AuditEvent
from entas.policy import selectors
from entas.policy.models import BudgetMonth, Plan

from .conftest import write

pytestmark = pytest.mark.django_db

HEADER = "activity_code,month,realised,physical\n"


def run(path: Path, user: str) -> dict[str, Any]:
    out = StringIO()
    call_command("policy", "realisation", str(path), "--as", user, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_import_counts_every_row_and_writes_the_rejections(
    tmp_path: Path, plan: Plan, tkpk_analyst: User, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = write(
        tmp_path / "realisasi.csv",
        HEADER
        + "2.07.03.2.01.0001,2025-01,95.000.000,10\n"
        + "2.07.03.2.01.0001,2025-02,Rp 101.500.000,20%\n"
        + "2.07.03.2.01.0001,2025-02,1,20\n"  # the same month twice
        + "9.99.99.9.99.9999,2025-01,1000,\n"  # no such activity
        + "2.07.04.2.02.0001,2025-13,1000,\n"  # no such month
        + "2.07.04.2.02.0001,2025-03,1.000,50,\n"  # an extra cell is harmless
        + "2.07.04.2.02.0001,2025-04,12.345,67,\n"
        + "2.07.04.2.02.0001,2025-05,12345.5,67\n"  # not whole rupiah
        + "2.07.04.2.02.0001,2030-01,5,\n"  # after the programme's end
        + "1.06.05.2.01.0003,2026-12,5,\n"  # the cash transfer's payments are its realisation
        + "2.07.04.2.02.0001,2025-06,5,150\n"  # physical progress over 100
        + '=HYPERLINK("x"),2025-01,5,\n',
    )
    summary = run(path, "tkpk")
    assert {k: summary[k] for k in ("total", "inserted", "updated", "unchanged", "rejected")} == {
        "total": 12,
        "inserted": 0,
        "updated": 4,  # the months exist already, with their pagu
        "unchanged": 0,
        "rejected": 8,
    }
    rows = list(csv.reader(io.StringIO(Path(summary["rejection_file"]).read_text(encoding="utf-8-sig"))))
    assert rows[0][:2] == ["row_number", "reasons"]
    assert [r[0] for r in rows[1:]] == ["4", "5", "6", "9", "10", "11", "12", "13"]
    reasons = {r[0]: r[1] for r in rows[1:]}
    assert "second row" in reasons["4"] and "No activity" in reasons["5"] and "not a month" in reasons["6"]
    assert "whole rupiah" in reasons["9"] and "outside the programme" in reasons["10"]
    assert "paid payments" in reasons["11"] and "0 to 100" in reasons["12"]
    assert rows[-1][2].startswith("'=")  # a hostile cell is written back inert
    month = BudgetMonth.objects.get(activity__code="2.07.03.2.01.0001", month="2025-02-01")
    assert (month.realised, month.physical) == (101_500_000, 20)
    assert AuditEvent.objects.filter(action="policy.realisation", channel="cli").count() == 4
    # Re-running the same file changes nothing.
    again = run(path, "tkpk")
    assert (again["inserted"], again["updated"], again["unchanged"], again["rejected"]) == (0, 0, 4, 8)
    assert AuditEvent.objects.filter(action="policy.realisation").count() == 4


def test_a_month_without_a_pagu_row_is_inserted(tmp_path: Path, plan: Plan, tkpk_analyst: User, settings: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    BudgetMonth.objects.filter(activity__code="5.01.02.2.01.0012", month="2025-01-01").delete()
    summary = run(write(tmp_path / "r.csv", HEADER + "5.01.02.2.01.0012,2025-01,7,\n"), "tkpk")
    assert (
        summary["inserted"] == 1
        and BudgetMonth.objects.get(activity__code="5.01.02.2.01.0012", month="2025-01-01").realised == 7
    )


def test_an_opd_officer_enters_realisation_for_their_own_opd_only(
    tmp_path: Path, plan: Plan, disnaker_officer: User, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = write(
        tmp_path / "r.csv",
        HEADER + "2.07.03.2.01.0001,2025-01,5,\n" + "1.04.02.2.01.0014,2025-01,5,\n",  # Disnaker's, then Disperkim's
    )
    summary = run(path, disnaker_officer.username)
    assert (summary["updated"], summary["rejected"]) == (1, 1)
    rows = Path(summary["rejection_file"]).read_text(encoding="utf-8-sig")
    assert "another OPD" in rows
    assert set(selectors.activities_to_realise(disnaker_officer).values_list("opd__code", flat=True)) == {"DISNAKER"}


def test_an_officer_without_an_opd_or_the_capability_enters_nothing(
    tmp_path: Path, plan: Plan, dinsos_manager: User, auditor: User, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = write(tmp_path / "r.csv", HEADER + "1.06.05.2.01.0004,2026-12,5,\n")
    summary = run(path, dinsos_manager.username)  # a Dinsos manager with no OPD set on the account
    assert summary["rejected"] == 1 and not selectors.activities_to_realise(dinsos_manager).exists()
    with pytest.raises(CommandError):
        run(path, auditor.username)


def test_a_file_without_the_columns_is_refused_whole(
    tmp_path: Path, plan: Plan, tkpk_analyst: User, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with pytest.raises(CommandError, match="realised"):
        run(write(tmp_path / "r.csv", "activity_code,month\n2.07.03.2.01.0001,2025-01\n"), "tkpk")


def test_an_xlsx_file_is_read_like_a_csv(tmp_path: Path, plan: Plan, tkpk_analyst: User, settings: Any) -> None:
    from entas.core.spreadsheet import Sheet, workbook

    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = tmp_path / "realisasi.xlsx"
    book = workbook(path)
    sheet = Sheet(book, "Realisasi")
    sheet.write_row(0, 0, ["activity_code", "month", "realised", "physical"])
    sheet.write_row(1, 0, ["2.07.04.2.02.0001", "2025-05", 40_000_000, 45])  # numbers as a spreadsheet keeps them
    sheet.write_row(2, 0, ["2.07.04.2.02.0001", "2025-06", "41.500.000", "50%"])
    sheet.write_row(3, 0, ["2.07.04.2.02.0001", "2025-07", -5, ""])
    book.close()
    summary = run(path, "tkpk")
    assert (summary["updated"], summary["rejected"]) == (2, 1)
    months = BudgetMonth.objects.filter(activity__code="2.07.04.2.02.0001", month__in=["2025-05-01", "2025-06-01"])
    assert sorted(months.values_list("realised", "physical")) == [(40_000_000, 45), (41_500_000, 50)]
