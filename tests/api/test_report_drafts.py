"""The reports' gaps that the API closed (issue #26): a draft's narrative (read, write), finalising by
a second person (maker-checker), a draft's files and what changed between versions — the report
page's services and roles, under the ``reports`` scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from entas.accounts import tokens
from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core.models import AuditEvent
from entas.reports.document import Document, Narrative, Section, Table
from entas.reports.models import Report, ReportVersion
from tests.conftest import CITY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(client: Any, settings: Any) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _bearer(user: User, scope: str) -> dict[str, str]:
    secret = tokens.create_token(actor=user, user=user, name="t", scopes=scope).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _document(households: int) -> dict[str, Any]:
    table = Table(
        key="t",
        title="Rumah tangga",
        columns=["Kelurahan", "Jumlah"],
        rows=[["Manggar", households]],
        formats=["text", "int"],
    )
    intro = Narrative(key="intro", hint="What the report is about")
    doc = Document("lp2kd", "LP2KD", "Kota Balikpapan", "2026", "2026-12-31", [Section("s", "S", [intro, table])])
    return doc.as_dict()


@pytest.fixture
def report(tkpk_analyst: User) -> Report:
    """A report with two generated versions: the second counts 12 households where the first counted 10."""
    report = Report.objects.create(kind="lp2kd", year=2026, created_by=tkpk_analyst)
    ReportVersion.objects.create(
        report=report, number=1, snapshot=dt.date(2026, 11, 30), document=_document(10), generated_by=tkpk_analyst
    )
    ReportVersion.objects.create(
        report=report,
        number=2,
        snapshot=dt.date(2026, 12, 31),
        document=_document(12),
        generated_by=tkpk_analyst,
        changes=[{"key": "t.Manggar.Jumlah", "before": 10, "after": 12}],
    )
    return report


def _put(client: Any, report: Report, body: dict[str, Any], auth: dict[str, str]) -> Any:
    return client.put(f"/api/v1/reports/{report.pk}/narrative", body, content_type="application/json", **auth)


def _finalise(client: Any, report: Report, auth: dict[str, str], confirm: bool = True) -> Any:
    path = f"/api/v1/reports/{report.pk}/finalise"
    return client.post(path, {"confirm": confirm}, content_type="application/json", **auth)


def test_write_the_narrative_then_a_second_person_finalises(
    client: Any, report: Report, tkpk_analyst: User, make_user: Any, auditor: User
) -> None:
    maker = _bearer(tkpk_analyst, "reports:write")
    slots = client.get(f"/api/v1/reports/{report.pk}/narrative", **_bearer(auditor, "reports:read"))
    assert slots.status_code == 200, slots.content
    assert slots.json() == {
        "number": 2,
        "status": "draft",
        "sections": [{"key": "intro", "hint": "What the report is about", "text": ""}],
    }
    written = _put(client, report, {"sections": {"intro": "Kemiskinan turun."}}, maker)
    assert written.status_code == 200, written.content
    assert written.json()["sections"][0]["text"] == "Kemiskinan turun."
    assert AuditEvent.objects.filter(action="reports.narrative", actor=tkpk_analyst).exists()
    unknown = _put(client, report, {"sections": {"ringkasan": "x"}}, maker)
    assert unknown.status_code == 400 and "ringkasan" in unknown.json()["message"]

    # the draft's file, rendered now and marked as a draft
    pdf = client.get(f"/api/v1/reports/{report.pk}/versions/2/draft/pdf", **maker)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"].endswith('-v2-draft.pdf"')
    assert client.get(f"/api/v1/reports/{report.pk}/versions/2/draft/exe", **maker).status_code == 404

    # maker-checker: who prepared it may not finalise it
    refused = _finalise(client, report, maker)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert refused.json()["message"] == "A report is finalised by someone other than who prepared it."
    checker = make_user("bappeda2", Role.TKPK_ANALYST, [CITY])
    checker_auth = _bearer(checker, "reports:write")
    unconfirmed = _finalise(client, report, checker_auth, confirm=False)
    assert unconfirmed.status_code == 400 and unconfirmed.json()["field"] == "confirm"
    assert _finalise(client, report, _bearer(auditor, "*")).status_code == 403  # the auditor reads only
    assert _finalise(client, report, _bearer(checker, "reports:read")).status_code == 403  # a read-only token
    final = _finalise(client, report, checker_auth)
    assert final.status_code == 200, final.content
    assert final.json()["status"] == "final" and final.json()["files"] == ["pdf", "docx", "xlsx"]
    assert ReportVersion.objects.get(report=report, number=2).finalised_by == checker

    # a final version changes no more, and its file is the archived one
    assert _put(client, report, {"sections": {"intro": "x"}}, maker).status_code == 409
    assert client.get(f"/api/v1/reports/{report.pk}/versions/2/draft/pdf", **maker).status_code == 409
    assert client.get(f"/api/v1/reports/{report.pk}/versions/2/pdf", **maker).status_code == 200


def test_what_changed_between_versions(client: Any, report: Report, tkpk_analyst: User, operator_manggar: User) -> None:
    auth = _bearer(tkpk_analyst, "reports:read")
    second = client.get(f"/api/v1/reports/{report.pk}/changes/2", **auth)
    assert second.status_code == 200, second.content
    assert second.json() == {
        "number": 2,
        "previous": 1,
        "changes": [{"key": "t.Manggar.Jumlah", "before": 10, "after": 12}],
    }
    assert client.get(f"/api/v1/reports/{report.pk}/changes/1", **auth).json() == {
        "number": 1,
        "previous": None,
        "changes": [],
    }
    assert client.get(f"/api/v1/reports/{report.pk}/changes/3", **auth).status_code == 404
    assert client.get(f"/api/v1/reports/{report.pk + 1}/changes/1", **auth).status_code == 404
    # the operator reads no official report; an indicators token is not a reports one
    assert client.get(f"/api/v1/reports/{report.pk}/changes/2", **_bearer(operator_manggar, "*")).status_code == 403
    wrong = client.get(f"/api/v1/reports/{report.pk}/changes/2", **_bearer(tkpk_analyst, "indicators:read"))
    assert wrong.status_code == 403 and wrong.json()["field"] == "scope"
