"""The registry's gaps that the API closed (issue #26): ratifying a kelurahan, an import from an
uploaded file (202 with its job), the export file and an import's rejected rows — the pages' forms,
services, jobs and roles, with the ``registry`` scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from entas.accounts import tokens
from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core import jobqueue
from entas.core.models import AuditEvent, Job
from entas.registry.choices import VerificationStatus
from entas.registry.models import Household
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.registry.helpers import standard_family, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(client: Any, settings: Any) -> None:
    """Messages asserted in English: the language cookie (the API answers in the caller's chosen language)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _bearer(user: User, scope: str) -> dict[str, str]:
    secret = tokens.create_token(actor=user, user=user, name="t", scopes=scope).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _verified(kelurahan: Any, kk: str) -> Household:
    household = make_household(kelurahan, kk)
    Household.objects.filter(pk=household.pk).update(verification_status=VerificationStatus.DIVERIFIKASI)
    return household


def test_ratify_a_kelurahan(
    client: Any, regions: Any, make_user: Any, operator_manggar: User, dinsos_manager: User
) -> None:
    manggar = [_verified(regions[MANGGAR], f"647101010120000{i}") for i in (1, 2)]
    _verified(regions[DAMAI], "6471060101200009")
    manager = make_user("dinsos.manggar", Role.DINSOS_MANAGER, [MANGGAR])
    auth = _bearer(manager, "registry:write")

    counts = client.get("/api/v1/registry/ratification", **auth)
    assert counts.status_code == 200, counts.content
    assert [(r["code"], r["diverifikasi"], r["disahkan"]) for r in counts.json()] == [(MANGGAR, 2, 0)]

    done = client.post(f"/api/v1/registry/ratification/{MANGGAR}", **auth)
    assert done.status_code == 200, done.content
    assert done.json()["ratified"] == 2 and sorted(done.json()["household_ids"]) == sorted(h.pk for h in manggar)
    assert set(Household.objects.filter(kelurahan=regions[MANGGAR]).values_list("verification_status", flat=True)) == {
        VerificationStatus.DISAHKAN
    }
    assert AuditEvent.objects.filter(action="household.ratify", region_code=MANGGAR, actor=manager).exists()

    nothing_left = client.post(f"/api/v1/registry/ratification/{MANGGAR}", **auth)
    assert nothing_left.status_code == 400 and "waits for ratification" in nothing_left.json()["message"]
    # out of the caller's areas: not found, and Damai's household is untouched
    assert client.post(f"/api/v1/registry/ratification/{DAMAI}", **auth).status_code == 404
    assert Household.objects.get(kk_number="6471060101200009").verification_status == VerificationStatus.DIVERIFIKASI
    # the role (an operator verifies, a manager ratifies) and the token's scope
    operator = _bearer(operator_manggar, "registry:write")
    assert client.post(f"/api/v1/registry/ratification/{MANGGAR}", **operator).status_code == 403
    read_only = client.post(f"/api/v1/registry/ratification/{DAMAI}", **_bearer(dinsos_manager, "registry:read"))
    assert read_only.status_code == 403 and read_only.json()["field"] == "scope"
    other_family = client.get("/api/v1/registry/ratification", **_bearer(dinsos_manager, "programmes:write"))
    assert other_family.status_code == 403


def _upload(client: Any, auth: dict[str, str], name: str, content: bytes, **fields: Any) -> Any:
    data = {"file": SimpleUploadedFile(name, content), **fields}
    return client.post("/api/v1/registry/imports", data, **auth)


def test_an_import_from_an_uploaded_file(client: Any, regions: Any, operator_manggar: User, tmp_path: Path) -> None:
    rows = standard_family(MANGGAR, "6471010101209999") + standard_family(DAMAI, "6471060101209998", serial=2000)
    content = write_csv(tmp_path / "keluarga.csv", rows).read_bytes()
    auth = _bearer(operator_manggar, "registry:write")

    started = _upload(client, auth, "keluarga.csv", content, source="operator")
    assert started.status_code == 202, started.content
    job = Job.objects.get(pk=started.json()["job"])
    assert started.json()["kind"] == "registry.import" and job.created_by == operator_manggar
    assert job.params["name"] == "keluarga.csv" and job.params["dry_run"] is False
    # while it runs, a second import into the same areas is refused (409) and keeps nothing
    busy = _upload(client, auth, "lagi.csv", content)
    assert busy.status_code == 409, busy.content
    assert jobqueue.execute(job.pk).status == "succeeded"
    assert Household.objects.filter(kk_number="6471010101209999", kelurahan=regions[MANGGAR]).exists()
    assert not Household.objects.filter(kk_number="6471060101209998").exists()  # Damai is not the operator's
    assert Job.objects.get(pk=job.pk).result["rejected"] == 3

    rejected = client.get(f"/api/v1/registry/imports/{job.pk}/rejected", **auth)
    assert rejected.status_code == 200 and rejected["Content-Type"] == "text/csv"
    text = b"".join(rejected.streaming_content).decode("utf-8-sig")
    assert text.startswith("row_number,reasons") and "6471060101209998" in text
    assert AuditEvent.objects.filter(action="api.read", object_repr__contains=f"/imports/{job.pk}/").exists()
    # another user's job is not found, even by a user of the same role
    other = _bearer(User.objects.create_user(username="op.lain", password="x-x-x-x-x-x", role=Role.OPERATOR), "*")
    assert client.get(f"/api/v1/registry/imports/{job.pk}/rejected", **other).status_code == 404


def test_a_bad_upload_is_refused_with_a_clear_error(
    client: Any, regions: Any, operator_manggar: User, auditor: User, settings: Any
) -> None:
    auth = _bearer(operator_manggar, "registry:write")
    not_csv = _upload(client, auth, "keluarga.pdf", b"%PDF-1.4")
    assert not_csv.status_code == 400
    assert not_csv.json()["code"] == "invalid" and not_csv.json()["field"] == "file"
    assert not_csv.json()["message"] == "keluarga.pdf is not a CSV or XLSX file."
    settings.ENTAS_IMPORT_MAX_FILE_MB = 0
    too_big = _upload(client, auth, "keluarga.csv", b"kk_number\n1\n")
    assert too_big.status_code == 400 and "ENTAS_IMPORT_MAX_FILE_MB" in too_big.json()["message"]
    no_file = client.post("/api/v1/registry/imports", {"source": "operator"}, **auth)
    assert no_file.status_code == 422 and no_file.json()["field"] == "file"
    unknown_source = _upload(client, auth, "keluarga.csv", b"kk_number\n", source="bank")
    assert unknown_source.status_code == 422 and unknown_source.json()["field"] == "source"
    assert not Job.objects.exists()
    # the auditor changes nothing; a read-only token neither
    assert _upload(client, _bearer(auditor, "*"), "k.csv", b"kk_number\n").status_code == 403
    assert _upload(client, _bearer(operator_manggar, "registry:read"), "k.csv", b"kk_number\n").status_code == 403


def test_the_export_file(
    client: Any, regions: Any, operator_manggar: User, operator_damai: User, auditor: User
) -> None:
    make_household(regions[MANGGAR], "6471010101200001")
    make_household(regions[DAMAI], "6471060101200002")
    auth = _bearer(operator_manggar, "registry:write")
    started = client.post("/api/v1/registry/exports", {"format": "csv"}, content_type="application/json", **auth)
    assert started.status_code == 202, started.content
    job_id = started.json()["job"]
    waiting = client.get(f"/api/v1/registry/exports/{job_id}/file", **auth)
    assert waiting.status_code == 409 and waiting.json()["code"] == "conflict"
    assert jobqueue.execute(job_id).status == "succeeded"

    read = _bearer(operator_manggar, "registry:read")
    answer = client.get(f"/api/v1/registry/exports/{job_id}/file", **read)
    assert answer.status_code == 200 and answer["Content-Type"] == "text/csv"
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    assert "6471010101200001" in text and "6471060101200002" not in text  # the caller's areas only
    assert AuditEvent.objects.filter(action="api.read", object_repr=f"/api/v1/registry/exports/{job_id}/file").exists()
    # someone else's export, another kind of job, the auditor (no export role), a wrong scope
    assert client.get(f"/api/v1/registry/exports/{job_id}/file", **_bearer(operator_damai, "*")).status_code == 404
    assert client.get(f"/api/v1/registry/imports/{job_id}/rejected", **read).status_code == 404
    assert client.get(f"/api/v1/registry/exports/{job_id}/file", **_bearer(auditor, "*")).status_code == 403
    assert client.get(f"/api/v1/registry/exports/{job_id}/file", **_bearer(operator_manggar, "jobs")).status_code == 403
    unknown = client.post("/api/v1/registry/exports", {"format": "pdf"}, content_type="application/json", **auth)
    assert unknown.status_code == 422 and unknown.json()["field"] == "format"
