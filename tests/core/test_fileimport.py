"""Importing a file from the command line (entas.core.fileimport), as the registry and the payees'
accounts do it: the same recorded job as an upload, the same counts, the same rejection file."""

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
from entas.core.fileimport import RejectionFile, RowCounts
from entas.core.models import Job
from entas.registry.models import Household
from tests.conftest import MANGGAR
from tests.registry.helpers import standard_family, write_csv

ROW_KEYS = {"total", "inserted", "updated", "unchanged", "rejected", "warnings", "rejection_file"}


def test_a_rejection_file_is_written_from_its_first_row_on_and_counts_each_row(tmp_path: Path) -> None:
    counts = RowCounts()
    path = tmp_path / "r.csv"
    rejections = RejectionFile(path, counts, header=["a", "b"], escaped=False)
    rejections.close()
    assert not path.exists() and counts.rejection_file is None  # nothing rejected: no file
    rejections.add(3, ["too short", "unknown"], ["=1+1", "x"])
    rejections.add(5, ["again"], ["'=2", "y"])
    rejections.close()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows == [
        ["row_number", "reasons", "a", "b"],
        ["3", "too short | unknown", "'=1+1", "x"],
        ["5", "again", "''=2", "y"],
    ]
    assert (counts.rejected, counts.rejection_file, counts.counted()) == (2, str(path), 2)
    escaped = RejectionFile(tmp_path / "e.csv", RowCounts(), header=["a"], escaped=True)
    escaped.add(2, ["r"], ["'=1+1"])  # a CSV cell as read: already inert, kept as it is
    escaped.close()
    assert (tmp_path / "e.csv").read_text(encoding="utf-8-sig").splitlines()[1] == "2,r,'=1+1"


@pytest.mark.django_db
def test_the_registry_command_prints_its_counts_and_the_rejection_file(
    regions: Any, media_root: Path, tmp_path: Path
) -> None:
    rows = standard_family(MANGGAR, "6471010101200001") + standard_family(MANGGAR, "6471010101200002", serial=2000)
    rows[-1]["nik"] = "1"  # the second family is held back whole
    path = write_csv(tmp_path / "keluarga.csv", rows)
    out = StringIO()
    call_command("import_registry", str(path), "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[0] == (
        "6 rows: 3 inserted, 0 updated, 0 unchanged, 3 rejected (0 warnings) [dry run: nothing written]"
    )
    assert not Household.objects.exists()
    out = StringIO()
    call_command("import_registry", str(path), "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert set(result) == ROW_KEYS | {"households_inserted", "households_updated", "unknown_columns", "dry_run"}
    assert (result["inserted"], result["rejected"], result["households_inserted"]) == (3, 3, 1)
    assert Path(result["rejection_file"]).is_file() and result["rejection_file"].startswith(str(media_root))
    assert Job.objects.filter(kind="registry.import", params__source="operator").count() == 2
    out = StringIO()
    call_command("import_registry", str(path), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "6 rows: 0 inserted, 0 updated, 3 unchanged, 3 rejected (0 warnings)"
    assert lines[1].startswith("Rejected rows and reasons: " + str(media_root))


@pytest.mark.django_db
def test_the_payees_command_prints_its_counts(
    manggar_household: Household, dinsos_manager: User, media_root: Path, tmp_path: Path
) -> None:
    path = tmp_path / "rekening.csv"
    path.write_text(
        "kk_number,bank_code,account_number,account_holder\n"
        f"{manggar_household.kk_number},014,0123456789,Warga Sintetis 001-0\n"
        "6471019999999999,014,0123456789,Tak Ada\n"
    )
    out = StringIO()
    call_command("payee", "import", str(path), "--as", dinsos_manager.username, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "2 rows: 1 inserted, 0 updated, 0 unchanged, 1 rejected (0 warnings)"
    assert lines[1].startswith("Rejected rows and reasons: " + str(media_root))
    out = StringIO()
    call_command("payee", "import", str(path), "--as", dinsos_manager.username, "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert set(result) == ROW_KEYS and (result["unchanged"], result["rejected"]) == (1, 1)


@pytest.mark.django_db
def test_a_missing_file_is_refused_before_any_job(dinsos_manager: User, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not a file"):
        call_command("payee", "import", str(tmp_path / "none.csv"), "--as", dinsos_manager.username)
    with pytest.raises(CommandError, match="is not a file"):
        call_command("import_registry", str(tmp_path / "none.csv"))
    assert not Job.objects.exists()
