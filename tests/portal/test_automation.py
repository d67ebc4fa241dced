"""What a resolved case sets going: an usul registers its family as a registry proposal, a sanggah
sends its household back to verification; the citizen is told of every step and answer through the
channels they left (never the tracking code); and the cases over the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.portal import services
from entas.portal.models import Notification, VerificationTask
from entas.registry import services as registry
from entas.registry.models import Household
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db
TEXT = "Keluarga di alamat ini sudah pindah ke luar kota sejak tahun lalu."


def _filed(regions: dict[str, Any], category: str, **kw: Any) -> services.Filed:
    kw.setdefault("address", "x")
    return services.file_case(category=category, kelurahan=regions[MANGGAR], description=TEXT, **kw)


def test_a_resolved_sanggah_sends_its_household_back_to_verification(
    regions: dict[str, Any], operator_manggar: User, operator_damai: User, client_for: Any
) -> None:
    household = make_household(regions[MANGGAR], "6471010101260051")
    filed = _filed(regions, "sanggah")
    case = filed.case
    services.add_note(case=case, kind="public", text="Akan diverifikasi ulang.", actor=operator_manggar)
    with pytest.raises(Refused, match="Link the household"):
        services.take_step(case=case, action="resolve", actor=operator_manggar)
    services.link(case=case, actor=operator_manggar, household=household)
    services.take_step(case=case, action="resolve", actor=operator_manggar)
    task = VerificationTask.objects.get(case=case)
    assert task.household == household and not task.done and filed.code not in task.reason
    client = client_for(operator_manggar)
    queue = client.get(reverse("portal:verification_tasks")).content.decode()
    assert household.kk_number in queue and reverse("registry:household_verify", args=[household.pk]) in queue
    assert (
        household.kk_number not in client_for(operator_damai).get(reverse("portal:verification_tasks")).content.decode()
    )
    from entas.portal.home_page import verification_waiting

    assert verification_waiting(operator_manggar)[0].count == 1
    # The operator's field check closes the task.
    registry.verify_household(
        actor=operator_manggar, household=household, visit_date=timezone.localdate(), confirmed=False, reason="pindah"
    )
    task.refresh_from_db()
    assert task.done and verification_waiting(operator_manggar)[0].count == 0


def test_a_resolved_usul_registers_the_family_as_a_proposal(
    regions: dict[str, Any], operator_manggar: User, client_for: Any
) -> None:
    filed = _filed(regions, "usul", contact_email="warga@example.org")
    case = filed.case
    services.add_note(case=case, kind="public", text="Kami proses.", actor=operator_manggar)
    with pytest.raises(Refused, match="Register the proposed family"):
        services.take_step(case=case, action="resolve", actor=operator_manggar)
    client = client_for(operator_manggar)
    client.cookies["django_language"] = "en"
    url = reverse("portal:usul_register", args=[case.pk])
    assert (
        reverse("portal:usul_register", args=[case.pk])
        in client.get(reverse("portal:case", args=[case.pk])).content.decode()
    )
    form = {
        "kelurahan": regions[MANGGAR].pk,
        "kk_number": "6471010101260202",
        "address": "Jl. Sintetis 1",
        "m-TOTAL_FORMS": "1",
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "0",
        "m-MAX_NUM_FORMS": "30",
        "m-0-nik": "6471014101800002",
        "m-0-name": "Siti Sintetis",
        "m-0-sex": "2",
        "m-0-birth_date": "1980-01-01",
        "m-0-relationship": "1",
        "answer": "Keluarga Anda sudah diusulkan; petugas akan berkunjung.",
    }
    bad = client.post(url, {**form, "m-0-nik": "123"})
    assert bad.status_code == 200 and not Household.objects.filter(kk_number="6471010101260202").exists()
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    case.refresh_from_db()
    household = Household.objects.get(kk_number="6471010101260202")
    assert (case.state, case.household, household.verification_status) == ("resolved", household, "usulan")
    assert case.notes.filter(kind="public", text__startswith="Keluarga Anda").exists()
    assert client.get(url).status_code == 404  # linked: no second registration
    # The citizen was told of the answer and of the resolution, by e-mail, without the code.
    events = list(Notification.objects.filter(case=case).order_by("pk").values_list("event", "status"))
    assert events == [("answer", "sent"), ("resolve", "sent")]
    assert [m.to for m in mail.outbox] == [["warga@example.org"], ["warga@example.org"]]
    assert all(filed.code not in m.body and case.reference in m.body for m in mail.outbox)


class Broken:
    def send(self, message: Any) -> None:
        raise ConnectionError("gateway down")


@override_settings(ENTAS_PORTAL_NOTIFY_SENDERS={"sms": "tests.portal.test_automation.Broken"})
def test_a_failed_sender_is_recorded_and_the_step_stands_and_anonymous_cases_get_nothing(
    regions: dict[str, Any], operator_manggar: User
) -> None:
    case = _filed(regions, "other", contact_phone="081234567890").case
    services.take_step(case=case, action="start", actor=operator_manggar)
    case.refresh_from_db()
    [note] = Notification.objects.filter(case=case)
    assert case.state == "in_progress" and (note.channel, note.status) == ("sms", "failed")
    assert "gateway down" in note.error
    anonymous = _filed(regions, "other", contact_email="x@example.org", anonymous=True, address="y").case
    services.take_step(case=anonymous, action="start", actor=operator_manggar)
    assert not Notification.objects.filter(case=anonymous).exists()


def test_cases_over_the_api_are_area_scoped_and_role_checked(
    regions: dict[str, Any],
    operator_manggar: User,
    operator_damai: User,
    tkpk_analyst: User,
    auditor: User,
    client_for: Any,
) -> None:
    case = _filed(regions, "other").case
    manggar = client_for(operator_manggar)
    listed = manggar.get("/api/v1/portal/cases").json()
    assert [c["reference"] for c in listed] == [case.reference]
    assert client_for(operator_damai).get("/api/v1/portal/cases").json() == []
    assert client_for(operator_damai).get(f"/api/v1/portal/cases/{case.pk}").status_code == 404
    assert client_for(tkpk_analyst).get("/api/v1/portal/cases").status_code == 403
    note = manggar.post(
        f"/api/v1/portal/cases/{case.pk}/notes",
        {"kind": "public", "text": "Sudah dicek."},
        content_type="application/json",
    )
    assert note.status_code == 201
    step = manggar.post(f"/api/v1/portal/cases/{case.pk}/steps", {"action": "resolve"}, content_type="application/json")
    assert step.status_code == 200 and step.json()["state"] == "resolved"
    bad = manggar.post(f"/api/v1/portal/cases/{case.pk}/steps", {"action": "resolve"}, content_type="application/json")
    assert bad.status_code == 409
    detail = client_for(auditor).get(f"/api/v1/portal/cases/{case.pk}").json()
    assert [n["text"] for n in detail["notes"]] == ["Sudah dicek."]
    assert (
        client_for(auditor)
        .post(f"/api/v1/portal/cases/{case.pk}/steps", {"action": "close"}, content_type="application/json")
        .status_code
        == 403
    )
    assert dt.date.fromisoformat(detail["resolution_due"]) >= dt.date.fromisoformat(detail["submitted_at"][:10])
    assert DAMAI != MANGGAR


@override_settings(ENTAS_PORTAL_HEAD_EMAILS=["kadis@example.org"])
def test_an_escalation_tells_the_supervisors_then_the_head(
    regions: dict[str, Any], make_user: Any, operator_manggar: User
) -> None:
    from entas.accounts.roles import Role
    from entas.portal import rules

    manager = make_user("dinsos.manggar", Role.DINSOS_MANAGER, [MANGGAR])
    manager.email = "kasi@example.org"
    manager.save(update_fields=["email"])
    other = make_user("dinsos.damai", Role.DINSOS_MANAGER, [DAMAI])
    other.email = "lain@example.org"
    other.save(update_fields=["email"])
    operator_manggar.email = "op@example.org"  # an operator is no supervisor
    operator_manggar.save(update_fields=["email"])
    case = _filed(regions, "other", submitted_at=dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)).case
    services.escalate(today=case.first_response_due + dt.timedelta(days=1))
    assert [m.to for m in mail.outbox] == [["kasi@example.org"]]
    late = rules.add_working_days(case.resolution_due, rules.HEAD_AFTER_DAYS, services.holidays())
    services.escalate(today=late)
    assert [m.to for m in mail.outbox][1:] == [["kasi@example.org"], ["kadis@example.org"]]
    assert case.reference in mail.outbox[-1].subject
    events = list(Notification.objects.filter(case=case).order_by("pk").values_list("event", "recipient"))
    assert events == [
        ("escalate_1", "kasi@example.org"),
        ("escalate_2", "kasi@example.org"),
        ("escalate_2", "kadis@example.org"),
    ]
