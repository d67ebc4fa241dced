"""Official reports over the API: list, versions, a final version's archived file, generation as a job;
the roles and the ``reports`` scope family."""

from __future__ import annotations

from typing import Any

import pytest

from entas.accounts import tokens
from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core import jobqueue
from entas.core.models import Job
from entas.reports import services
from entas.reports.models import Report

pytestmark = pytest.mark.django_db


def _bearer(user: User, scope: str) -> dict[str, str]:
    secret = tokens.create_token(actor=user, user=user, name="t", scopes=scope).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_generate_list_versions_and_download_a_final(
    client: Any, regions: Any, tkpk_analyst: User, auditor: User
) -> None:
    maker = _bearer(tkpk_analyst, "reports:write")
    body = {"kind": "lp2kd", "year": 2025, "sections": ["introduction", "profile"], "as_of": "2025-12-31"}
    answer = client.post("/api/v1/reports/generate", body, content_type="application/json", **maker)
    assert answer.status_code == 202, answer.content
    job_id, report_id = answer.json()["job"], answer.json()["report"]
    assert Job.objects.get(pk=job_id).params == {"report": report_id, "day": "2025-12-31"}
    assert jobqueue.execute(job_id).status == "succeeded"
    report = Report.objects.get(pk=report_id)
    assert report.sections == ["introduction", "profile"]

    reader = _bearer(auditor, "reports:read")
    listed = client.get("/api/v1/reports", **reader).json()
    assert [(r["id"], r["kind"], r["versions"], r["latest_status"]) for r in listed] == [
        (report_id, "lp2kd", 1, "draft")
    ]
    versions = client.get(f"/api/v1/reports/{report_id}/versions", **reader).json()
    assert versions[0]["number"] == 1 and versions[0]["snapshot"] == "2025-12-31" and versions[0]["files"] == []
    draft = client.get(f"/api/v1/reports/{report_id}/versions/1/pdf", **reader)
    assert draft.status_code == 409 and draft.json()["code"] == "conflict"

    checker = User.objects.create_user(username="bappeda9", password="x-correct-horse", role=Role.TKPK_ANALYST)
    services.finalise(version=report.versions.get(), actor=checker, charts=False)
    pdf = client.get(f"/api/v1/reports/{report_id}/versions/1/pdf", **reader)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content == services.archived(report.versions.get(), "pdf") and pdf.content.startswith(b"%PDF")
    assert client.get(f"/api/v1/reports/{report_id}/versions", **reader).json()[0]["files"] == ["pdf", "docx", "xlsx"]
    assert client.get(f"/api/v1/reports/{report_id}/versions/1/exe", **reader).status_code == 404
    # a final report is not regenerated
    again = client.post("/api/v1/reports/generate", body, content_type="application/json", **maker)
    assert again.status_code == 409


def test_roles_and_scopes(client: Any, regions: Any, tkpk_analyst: User, auditor: User, operator_manggar: User) -> None:
    body = {"kind": "extreme_poverty", "year": 2025}
    auditor_token = _bearer(auditor, "reports:write")
    assert (
        client.post("/api/v1/reports/generate", body, content_type="application/json", **auditor_token).status_code
        == 403
    )
    no_quarter = client.post(
        "/api/v1/reports/generate", body, content_type="application/json", **_bearer(tkpk_analyst, "reports")
    )
    assert no_quarter.status_code == 400 and not Report.objects.exists()
    wrong_scope = _bearer(tkpk_analyst, "indicators:write")
    assert client.get("/api/v1/reports", **wrong_scope).status_code == 403
    assert client.get("/api/v1/reports", **_bearer(operator_manggar, "reports:read")).status_code == 403
    assert client.get("/api/v1/reports/999/versions", **_bearer(tkpk_analyst, "reports:read")).status_code == 404
