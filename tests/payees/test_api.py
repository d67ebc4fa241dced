"""A household's bank account over the API (/api/v1/households/{id}/account): read masked and set
through payees.services, with the household page section's checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core.models import AuditEvent
from entas.payees.models import Payee
from entas.registry.models import Household
from tests.conftest import MANGGAR
from tests.helpers import english_client

pytestmark = pytest.mark.django_db

ACCOUNT = {"bank_code": "014", "account_number": "0123 456 789", "account_holder": "Warga Sintetis 001-0"}


def url(household: Household) -> str:
    return f"/api/v1/households/{household.pk}/account"


def post(client: Any, household: Household, data: dict[str, Any]) -> Any:
    return client.post(url(household), data, content_type="application/json")


def test_a_manager_sets_an_account_and_reads_it_back_masked(
    manggar_household: Household, dinsos_manager: User, client_for: Callable[[User], Any]
) -> None:
    client = client_for(dinsos_manager)
    assert client.get(url(manggar_household)).json() == {"household_id": manggar_household.pk, "account": None}
    response = post(client, manggar_household, ACCOUNT)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["outcome"], body["warnings"]) == ("inserted", [])
    assert body["account"]["account_number_masked"] == "••••••6789" and body["account"]["bank"]
    assert "0123456789" not in response.content.decode()
    read = client.get(url(manggar_household))
    assert read.json()["account"] == body["account"] and "0123456789" not in read.content.decode()
    assert AuditEvent.objects.filter(action="household.view", actor=dinsos_manager).exists()  # a read of the family
    assert post(client, manggar_household, ACCOUNT).json()["outcome"] == "unchanged"
    head = manggar_household.members.get(relationship="1")
    changed = post(client, manggar_household, ACCOUNT | {"account_number": "1111111111", "member_id": head.pk})
    assert (changed.json()["outcome"], changed.json()["account"]["member_id"]) == ("updated", head.pk)
    assert Payee.objects.filter(household=manggar_household).count() == 2  # the old account is history
    assert Payee.objects.get(ended_at__isnull=True).source == "api"
    events = AuditEvent.objects.filter(action__in=["payee.add", "payee.change"]).order_by("pk")
    assert [e.action for e in events] == ["payee.add", "payee.change"]
    assert "0123456789" not in str(events[1].before) and "1111111111" not in str(events[1].after)  # masked


def test_an_account_the_bank_refuses_is_refused_with_every_problem_and_kept_nowhere(
    manggar_household: Household, dinsos_manager: User, client_for: Callable[[User], Any]
) -> None:
    client = english_client(client_for, dinsos_manager)
    response = post(client, manggar_household, ACCOUNT | {"bank_code": "008"})  # Mandiri: 13 digits
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "13 digits" in body["message"] and body["issues"]
    in_indonesian = post(client_for(dinsos_manager), manggar_household, ACCOUNT | {"bank_code": "008"}).json()
    assert in_indonesian["message"].startswith("Nomor rekening Bank Mandiri terdiri dari 13 digit")
    assert not Payee.objects.exists()


def test_a_holder_unlike_the_family_is_a_warning_and_a_stranger_as_payee_is_refused(
    manggar_household: Household, damai_household: Household, dinsos_manager: User, client_for: Callable[[User], Any]
) -> None:
    client = english_client(client_for, dinsos_manager)
    body = post(client, manggar_household, ACCOUNT | {"account_holder": "Orang Lain Sama Sekali"}).json()
    assert body["outcome"] == "inserted" and "does not look like" in body["warnings"][0]["message"]
    stranger = damai_household.members.first()
    assert stranger is not None
    refused = post(client, manggar_household, ACCOUNT | {"member_id": stranger.pk})
    assert refused.status_code == 400 and refused.json()["message"] == "The named payee is not a member of this family."


def test_whoever_sees_the_family_reads_the_account_masked_but_only_a_manager_sets_it(
    manggar_household: Household, operator_manggar: User, auditor: User, client_for: Callable[[User], Any]
) -> None:
    Payee.objects.create(household=manggar_household, bank_code="014", account_number="0123456789", account_holder="A")
    for user in (operator_manggar, auditor):  # the household page shows them the section, without its form
        client = client_for(user)
        read = client.get(url(manggar_household))
        assert read.status_code == 200 and read.json()["account"]["account_number_masked"] == "••••••6789"
        assert "0123456789" not in read.content.decode()
        assert post(client, manggar_household, ACCOUNT | {"account_number": "2222222222"}).status_code == 403
    assert Payee.objects.get().account_number == "0123456789"


def test_a_family_outside_the_callers_areas_is_not_found_and_a_partner_sees_no_account(
    damai_household: Household,
    make_user: Callable[..., User],
    partner: User,
    client_for: Callable[[User], Any],
) -> None:
    Payee.objects.create(household=damai_household, bank_code="014", account_number="0123456789", account_holder="A")
    manager = make_user("dinsos.manggar", Role.DINSOS_MANAGER, [MANGGAR])
    client = client_for(manager)
    assert client.get(url(damai_household)).status_code == 404
    assert post(client, damai_household, ACCOUNT).status_code == 404
    assert client_for(partner).get(url(damai_household)).status_code == 403
    assert Payee.objects.count() == 1 and not AuditEvent.objects.filter(action="household.view").exists()
