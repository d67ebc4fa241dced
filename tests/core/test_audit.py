from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.admin.sites import site
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from entas.accounts.models import User
from entas.core import audit
from entas.core.models import AuditEvent, AuditImmutableError
from entas.registry.models import Household

pytestmark = pytest.mark.django_db


def test_an_event_is_written_in_the_same_transaction_as_the_change(operator_manggar: User) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(actor=operator_manggar, action="test.change", object_repr="x")
        raise RuntimeError("the change failed")
    assert AuditEvent.objects.count() == before


def test_audit_events_cannot_be_changed_or_deleted(operator_manggar: User) -> None:
    event = audit.record(actor=operator_manggar, action="test.change", object_repr="x")
    event.action = "forged"
    with pytest.raises(AuditImmutableError):
        event.save()
    with pytest.raises(AuditImmutableError):
        event.delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.change"


def test_not_even_an_administrator_can_edit_audit_rows_in_the_admin(admin_user: User) -> None:
    request = RequestFactory().get("/")
    request.user = admin_user
    model_admin = site._registry[AuditEvent]
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_add_permission(request)


def test_viewing_a_household_page_is_recorded_with_the_client_address(
    client_for: Callable[[User], Client], operator_manggar: User, manggar_household: Household
) -> None:
    client = client_for(operator_manggar)
    response = client.get(reverse("registry:household_detail", args=[manggar_household.pk]), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="household.view")
    assert (event.actor, event.object_id, event.client_ip) == (
        operator_manggar,
        str(manggar_household.pk),
        "10.1.2.3",
    )
    assert event.region_code == "64.71.01.1001"


def test_the_page_masks_niks_and_revealing_one_is_recorded(
    client_for: Callable[[User], Client], operator_manggar: User, manggar_household: Household
) -> None:
    client = client_for(operator_manggar)
    member = manggar_household.members.first()
    assert member is not None
    page = client.get(reverse("registry:household_detail", args=[manggar_household.pk])).content.decode()
    assert member.nik not in page
    assert member.masked_nik in page
    response = client.post(reverse("registry:reveal_nik", args=[manggar_household.pk, member.pk]))
    assert member.nik in response.content.decode()
    assert AuditEvent.objects.filter(
        action="member.view_nik", actor=operator_manggar, object_id=str(member.pk)
    ).exists()


def test_revealing_a_nik_needs_a_post(
    client_for: Callable[[User], Client], operator_manggar: User, manggar_household: Household
) -> None:
    member = manggar_household.members.first()
    url = reverse("registry:reveal_nik", args=[manggar_household.pk, member.pk])  # type: ignore[union-attr]
    assert client_for(operator_manggar).get(url).status_code == 405


def test_the_auditor_browses_and_filters_the_trail(
    client_for: Callable[[User], Client], auditor: User, operator_manggar: User, manggar_household: Household
) -> None:
    audit.record(actor=operator_manggar, action="household.view", obj=manggar_household, region_code="64.71.01.1001")
    audit.record(actor=auditor, action="other.thing", object_repr="unrelated")
    client = client_for(auditor)
    page = client.get(reverse("audit:list"), {"action": "household.view", "actor": "op.manggar"})
    assert page.status_code == 200
    events = list(page.context["page"])
    assert events and all(e.action == "household.view" for e in events)
    bad_date = client.get(reverse("audit:list"), {"date_from": "kemarin"})
    assert "kemarin" in bad_date.content.decode()


def test_an_impossible_date_in_the_audit_filter_is_refused_not_a_server_error(
    client_for: Callable[[User], Client], auditor: User
) -> None:
    client = client_for(auditor)
    client.cookies["django_language"] = "en"
    for value in ("2026-02-30", "2026-13-01", "9999-99-99"):
        page = client.get(reverse("audit:list"), {"date_from": value, "date_to": value})
        assert page.status_code == 200
        assert f"{value} is not a date" in page.content.decode()


def test_an_operator_cannot_browse_the_audit_trail(
    client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    assert client_for(operator_manggar).get(reverse("audit:list")).status_code == 403


def test_logins_and_failed_logins_are_recorded(operator_manggar: User) -> None:
    client = Client()
    client.post(reverse("login"), {"username": "op.manggar", "password": "wrong-password"})
    client.post(reverse("login"), {"username": "op.manggar", "password": "correct-horse-battery"})
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "auth.login_failed" in actions and "auth.login" in actions
