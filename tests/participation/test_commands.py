"""``entas forum load|decisions|minutes``: row-level accounting with a rejection file, and the PDF."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from entas.accounts.models import User
from entas.participation.models import Forum, ForumDecision
from entas.registry.models import Household
from entas.targeting import services as targeting
from tests.conftest import MANGGAR, make_household
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db
EXAMPLES = Path(settings.PROJECT_ROOT) / "docs" / "examples"


def run(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("forum", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_forums_and_decisions_load_with_every_row_accounted_for(
    tmp_path: Path, regions: dict[str, Any], operator_manggar: User
) -> None:
    forums = tmp_path / "forums.csv"
    with forums.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["kind", "area_code", "held_on", "berita_acara", "chair", "residents_men", "residents_women"])
        w.writerow(["musyawarah", MANGGAR, "2026-03-14", "BA-1", "Ketua", "12", "15"])
        w.writerow(["musyawarah", "64.71.06.1005", "2026-03-14", "BA-2", "", "", ""])  # Damai: not the operator's
        w.writerow(["rapat", MANGGAR, "2026-03-14", "BA-3", "", "", ""])
        w.writerow(["musyawarah", MANGGAR, "14/03/2026", "BA-4", "", "", ""])
        w.writerow(["musyawarah", MANGGAR, "2026-04-14", "BA-5", "", "x", ""])
    result = run("load", str(forums), "--as", operator_manggar.username, "--no-progress")
    assert (result["total"], result["inserted"], result["rejected"]) == (5, 1, 4)
    rejected = Path(result["rejection_file"]).read_text(encoding="utf-8-sig")
    assert "No area 64.71.06.1005" in rejected and "Unknown kind" in rejected and "not a date" in rejected
    assert run("load", str(forums), "--as", operator_manggar.username, "--no-progress")["unchanged"] == 1
    forum = Forum.objects.get()
    assert {a.group: (a.men, a.women) for a in forum.attendance.all()}["residents"] == (12, 15)

    rule = targeting.save_rule(actor=None, name="BLT", expression="true", benefit=1)
    one = make_household(regions[MANGGAR], "6471010101200031")
    two = make_household(regions[MANGGAR], "6471010101200032")
    decisions = tmp_path / "decisions.csv"
    with decisions.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["berita_acara", "kk_number", "rule", "decision", "reason"])
        w.writerow(["BA-1", one.kk_number, "", "add", "janda"])
        w.writerow(["BA-1", two.kk_number, "BLT", "remove", "mampu"])
        w.writerow(["BA-1", two.kk_number, "", "remove", ""])  # no reason
        w.writerow(["BA-1", "6471060101209999", "", "keep", ""])
        w.writerow(["BA-9", one.kk_number, "", "keep", ""])
        w.writerow(["BA-1", one.kk_number, "Tidak ada", "keep", ""])
    result = run("decisions", str(decisions), "--as", operator_manggar.username, "--no-progress")
    assert (result["total"], result["inserted"], result["rejected"]) == (6, 2, 4)
    assert result["total"] == result["inserted"] + result["updated"] + result["unchanged"] + result["rejected"]
    assert targeting.rule_overrides(rule) == (set(), {two.pk})
    assert Household.objects.get(pk=one.pk).verification_status == "diverifikasi"
    again = run("decisions", str(decisions), "--as", operator_manggar.username, "--no-progress")
    assert (again["unchanged"], again["inserted"]) == (2, 0) and ForumDecision.objects.count() == 2

    out = tmp_path / "ba.pdf"
    printed = run("minutes", "BA-1", "--out", str(out), "--as", operator_manggar.username)
    assert printed["decisions"] == 2 and one.kk_number in pdf_text(out.read_bytes())
    with pytest.raises(CommandError, match="No musyawarah"):
        call_command("forum", "minutes", "BA-404", "--out", str(out), "--as", operator_manggar.username)


def test_the_example_files_load(regions: dict[str, Any], operator_manggar: User) -> None:
    result = run("load", str(EXAMPLES / "forums.csv"), "--as", operator_manggar.username, "--no-progress")
    assert result["rejected"] == 0 and result["inserted"] >= 2
    for i in range(1, 4):
        make_household(regions[MANGGAR], f"647101010120007{i}")
    result = run(
        "decisions", str(EXAMPLES / "musyawarah-decisions.csv"), "--as", operator_manggar.username, "--no-progress"
    )
    assert result["rejected"] == 0 and result["inserted"] == 3
