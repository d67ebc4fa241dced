"""Cases: filing, tracking codes, steps, notes, escalation, attachments and the per-address limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.portal import rules, services
from entas.portal.models import Case, Visit
from tests.conftest import DAMAI, MANGGAR

pytestmark = pytest.mark.django_db

TEXT = "Bantuan bulan ini belum cair padahal sudah terdaftar."


def _file(regions: dict[str, Any], **kw: Any) -> services.Filed:
    args = {
        "category": "payment_not_received",
        "kelurahan": regions[MANGGAR],
        "description": TEXT,
        "address": "10.0.0.1",
    }
    return services.file_case(**(args | kw))


def test_a_filed_case_has_deadlines_a_reference_and_only_a_digest_of_its_code(regions: dict[str, Any]) -> None:
    filed = _file(regions)
    case = Case.objects.get(pk=filed.case.pk)
    assert case.reference.startswith("ADU-") and case.state == "new"
    assert case.severity == "high" and case.unit == "bank"
    assert case.first_response_due > case.submitted_at.date()
    raw = filed.code.replace("-", "")
    stored = " ".join(str(v) for v in Case.objects.filter(pk=case.pk).values().first().values())  # type: ignore[union-attr]
    assert raw not in stored and filed.code not in stored
    assert AuditEvent.objects.filter(action="portal.file", object_id=str(case.pk)).exists()
    assert not AuditEvent.objects.filter(after__icontains=raw).exists()


def test_one_code_opens_one_case_and_nothing_else(regions: dict[str, Any]) -> None:
    first = _file(regions)
    second = _file(regions, description="Another problem entirely, with the kelurahan office.", address="10.0.0.2")
    assert services.find_by_code(first.code) == first.case
    assert services.find_by_code(second.code.lower()) == second.case
    assert services.find_by_code(first.code[:-1] + ("A" if first.code[-1] != "A" else "B")) is None
    assert services.find_by_code("") is None
    assert services.find_by_code("' OR 1=1 --") is None


def test_the_same_complaint_from_the_same_address_is_refused_and_from_elsewhere_marked(
    regions: dict[str, Any],
) -> None:
    first = _file(regions)
    with pytest.raises(Refused) as refused:
        _file(regions, description="  bantuan bulan ini BELUM cair, padahal sudah terdaftar ")
    assert refused.value.code == "conflict"
    other = _file(regions, address="10.9.9.9")
    assert other.case.duplicate_of == first.case


def test_anonymous_cases_keep_no_contact(regions: dict[str, Any]) -> None:
    case = _file(regions, anonymous=True, contact_name="Nama", contact_phone="0812").case
    assert (case.contact_name, case.contact_phone, case.anonymous) == ("", "", True)


def test_steps_notes_and_first_response(regions: dict[str, Any], operator_manggar: User) -> None:
    case = _file(regions).case
    case = services.take_step(case=case, action="start", actor=operator_manggar)
    assert case.state == "in_progress" and case.first_response_at is not None
    with pytest.raises(Refused):
        services.take_step(case=case, action="resolve", actor=operator_manggar)  # no public answer yet
    services.add_note(case=case, kind="internal", text="cek ke bank", actor=operator_manggar)
    services.add_note(case=case, kind="public", text="Dana sudah dikirim ulang.", actor=operator_manggar)
    case = services.take_step(case=case, action="resolve", actor=operator_manggar)
    assert case.state == "resolved" and case.resolved_at
    case = services.take_step(case=case, action="reopen", actor=operator_manggar)
    assert case.state == "in_progress" and case.resolved_at is None


def test_an_officer_of_another_kelurahan_may_not_handle_it(regions: dict[str, Any], operator_damai: User) -> None:
    case = _file(regions).case
    for call in (
        lambda: services.take_step(case=case, action="start", actor=operator_damai),
        lambda: services.add_note(case=case, kind="public", text="x", actor=operator_damai),
        lambda: services.mark_spam(case=case, actor=operator_damai),
    ):
        with pytest.raises(Refused) as refused:
            call()
        assert refused.value.code == "forbidden"
    assert Case.objects.restrict(operator_damai, "view").count() == 0


def test_spam_closes_a_new_case(regions: dict[str, Any], operator_manggar: User) -> None:
    case = services.mark_spam(case=_file(regions).case, actor=operator_manggar)
    assert case.spam and case.state == "closed"


def test_assignment_only_to_a_handler_of_the_kelurahan(
    regions: dict[str, Any], operator_manggar: User, operator_damai: User
) -> None:
    case = _file(regions).case
    assert services.assign(case=case, to=operator_manggar, actor=operator_manggar).assigned_to == operator_manggar
    with pytest.raises(Refused):
        services.assign(case=case, to=operator_damai, actor=operator_manggar)


def test_escalation_raises_overdue_cases_once_per_level(regions: dict[str, Any], operator_manggar: User) -> None:
    filed_on = dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)
    case = _file(regions, submitted_at=filed_on).case
    assert services.escalate(today=case.first_response_due) == {"supervisor": 0, "head": 0}
    day_after = case.first_response_due + dt.timedelta(days=1)
    assert services.escalate(today=day_after) == {"supervisor": 1, "head": 0}
    assert services.escalate(today=day_after) == {"supervisor": 0, "head": 0}
    late = rules.add_working_days(case.resolution_due, rules.HEAD_AFTER_DAYS, services.holidays())
    assert services.escalate(today=late) == {"supervisor": 0, "head": 1}
    case.refresh_from_db()
    assert case.escalation == 2
    assert AuditEvent.objects.filter(action="portal.escalate", object_id=str(case.pk)).count() == 2


def test_attachments_are_checked_by_their_bytes(regions: dict[str, Any], settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    png = SimpleUploadedFile("foto.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, content_type="image/png")
    case = _file(regions, attachments=[png]).case
    stored = case.attachments.get()
    assert stored.content_type == "image/png" and (tmp_path / stored.file).is_file()
    assert stored.file.startswith("portal/") and "foto" not in stored.file
    script = SimpleUploadedFile("foto.png", b"<script>alert(1)</script>", content_type="image/png")
    with pytest.raises(Refused):
        _file(regions, attachments=[script], description="Different words for this complaint.")
    settings.ENTAS_PORTAL_MAX_ATTACHMENT_MB = 1
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (1024 * 1024 + 1), content_type="application/pdf")
    with pytest.raises(Refused):
        _file(regions, attachments=[big], description="Yet another different description.")


@override_settings(ENTAS_RATE_LIMITS={"portal.track": "3/hour"})
def test_visits_are_limited_per_address_and_all_logged(db: Any) -> None:
    results = [services.count_visit(action="portal.track", address="10.1.1.1") for _i in range(5)]
    assert [r is None for r in results] == [True, True, True, False, False]
    assert services.count_visit(action="portal.track", address="10.1.1.2") is None
    assert Visit.objects.count() == 6
    assert not Visit.objects.filter(address_key__contains="10.1.1").exists()


def test_an_officer_takes_in_a_walk_in_only_in_own_areas(
    regions: dict[str, Any], operator_manggar: User, make_user: Callable[..., User]
) -> None:
    filed = services.file_case(
        category="usul", kelurahan=regions[MANGGAR], description=TEXT, channel="walk_in", actor=operator_manggar
    )
    assert filed.case.created_by == operator_manggar and filed.case.channel == "walk_in"
    with pytest.raises(Refused):
        services.file_case(category="usul", kelurahan=regions[DAMAI], description=TEXT, actor=operator_manggar)
    tkpk = make_user("tkpk.x", Role.TKPK_ANALYST, ["64.71"])
    with pytest.raises(Refused):
        services.file_case(category="usul", kelurahan=regions[MANGGAR], description=TEXT, actor=tkpk)
