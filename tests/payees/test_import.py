"""Importing accounts from a file: every row accounted for, rejected rows with their reasons."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.models import AuditEvent, Job
from entas.payees.models import Payee
from entas.registry.models import Household
from tests.helpers import english_client

pytestmark = pytest.mark.django_db

HEADER = "kk_number,bank_code,account_number,account_holder\n"


def run(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("payee", "import", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_command_counts_every_row_and_writes_the_rejections(
    tmp_path: Path, manggar_household: Household, damai_household: Household, dinsos_manager: User, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = tmp_path / "rekening.csv"
    path.write_text(
        HEADER
        + f"{manggar_household.kk_number},14,0123456789,Warga Sintetis 001-0\n"  # "14": a spreadsheet ate the zero
        + f"{damai_household.kk_number},008,123,Warga Sintetis 002-0\n"  # Mandiri: 13 digits
        + "6471019999999999,014,0123456789,Tak Ada\n"
        + f"{manggar_household.kk_number},014,0123456789,Warga Sintetis 001-0\n"  # twice in the file
        + '=HYPERLINK("x"),014,0123456789,Jahat\n'
    )
    summary = run(str(path), "--as", dinsos_manager.username)
    assert {k: summary[k] for k in ("total", "inserted", "updated", "unchanged", "rejected")} == {
        "total": 5,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 4,
    }
    rows = list(csv.reader(io.StringIO(Path(summary["rejection_file"]).read_text(encoding="utf-8-sig"))))
    assert rows[0][:2] == ["row_number", "reasons"] and [r[0] for r in rows[1:]] == ["3", "4", "5", "6"]
    assert "13 digits" in rows[1][1] and "in your areas" in rows[2][1] and "twice" in rows[3][1]
    assert rows[4][2].startswith("'=")  # a hostile cell is written back inert
    assert Payee.objects.get().bank_code == "014"
    assert AuditEvent.objects.filter(action="payee.add", channel="cli").count() == 1
    again = run(str(path), "--as", dinsos_manager.username)
    assert (again["inserted"], again["unchanged"], again["rejected"]) == (0, 1, 4)  # re-running changes nothing


def test_an_importer_changes_only_families_of_their_areas(
    tmp_path: Path, damai_household: Household, make_user: Any, settings: Any
) -> None:
    from entas.accounts.roles import Role
    from tests.conftest import MANGGAR

    settings.MEDIA_ROOT = str(tmp_path / "media")
    manager = make_user("dinsos.manggar", Role.DINSOS_MANAGER, [MANGGAR])
    path = tmp_path / "rekening.csv"
    path.write_text(HEADER + f"{damai_household.kk_number},014,0123456789,Warga Sintetis 002-0\n")
    assert run(str(path), "--as", manager.username)["rejected"] == 1 and not Payee.objects.exists()


def test_a_file_without_the_columns_is_refused_whole(tmp_path: Path, dinsos_manager: User, settings: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = tmp_path / "rekening.csv"
    path.write_text("kk,rekening\n1,2\n")
    with pytest.raises(CommandError, match="account_holder"):
        run(str(path), "--as", dinsos_manager.username)


def test_an_operator_may_not_import_accounts(tmp_path: Path, operator_manggar: User, settings: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = tmp_path / "rekening.csv"
    path.write_text(HEADER)
    with pytest.raises(CommandError, match="may not"):
        run(str(path), "--as", operator_manggar.username)


def test_the_upload_page_runs_the_import_as_a_job_with_a_summary(
    tmp_path: Path, manggar_household: Household, dinsos_manager: User, client_for: Any, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    client = english_client(client_for, dinsos_manager)
    assert "kk_number" in client.get("/payees/import/").content.decode()
    content = (HEADER + f"{manggar_household.kk_number},014,0123456789,Warga Sintetis 001-0\n").encode()
    response = client.post("/payees/import/", {"file": SimpleUploadedFile("rekening.csv", content)})
    job = Job.objects.get(kind="payees.import")
    assert response.url == f"/jobs/{job.pk}/"
    job = jobqueue.execute(job.pk)
    assert job.status == "succeeded" and job.result["inserted"] == 1 and job.result["rejected"] == 0
    assert not list((tmp_path / "media" / "imports").glob("*"))  # the upload is not kept once read
