"""The bank account on the household page, its reveal, and the paying-account settings page."""

from __future__ import annotations

from typing import Any

import pytest

from entas.accounts.models import User
from entas.core.models import AuditEvent
from entas.payees.models import Payee, PayingAccount
from entas.registry.models import Household
from tests.helpers import english_client

pytestmark = pytest.mark.django_db

FORM = {
    "payee-bank_code": "014",
    "payee-account_number": "0123 456 789",
    "payee-account_holder": "Warga Sintetis 001-0",
}


def test_a_manager_enters_an_account_on_the_household_page_and_sees_it_masked(
    manggar_household: Household, dinsos_manager: User, client_for: Any
) -> None:
    client = english_client(client_for, dinsos_manager)
    page = f"/registry/{manggar_household.pk}/"
    assert "Enter an account" in client.get(page).content.decode()
    response = client.post(f"/payees/household/{manggar_household.pk}/account/", FORM, follow=True)
    body = response.content.decode()
    assert "Bank account saved" in body and "••••••6789" in body and "0123456789" not in body
    assert Payee.objects.get().account_number == "0123456789"


def test_a_refused_account_says_why_and_keeps_nothing(
    manggar_household: Household, dinsos_manager: User, client_for: Any
) -> None:
    client = english_client(client_for, dinsos_manager)
    data = FORM | {"payee-bank_code": "008"}  # Mandiri: 13 digits
    body = client.post(f"/payees/household/{manggar_household.pk}/account/", data, follow=True).content.decode()
    assert "13 digits" in body and not Payee.objects.exists()


def test_a_holder_name_unlike_the_head_is_saved_with_a_warning(
    manggar_household: Household, dinsos_manager: User, client_for: Any
) -> None:
    client = english_client(client_for, dinsos_manager)
    data = FORM | {"payee-account_holder": "Orang Lain Sama Sekali"}
    body = client.post(f"/payees/household/{manggar_household.pk}/account/", data, follow=True).content.decode()
    assert "does not look like" in body and Payee.objects.exists()


def test_an_operator_sees_the_masked_account_but_no_form_and_no_reveal(
    manggar_household: Household, operator_manggar: User, client_for: Any
) -> None:
    Payee.objects.create(household=manggar_household, bank_code="014", account_number="0123456789", account_holder="A")
    client = english_client(client_for, operator_manggar)
    body = client.get(f"/registry/{manggar_household.pk}/").content.decode()
    assert "••••••6789" in body and "Enter an account" not in body and "Change the account" not in body
    assert client.post(f"/payees/household/{manggar_household.pk}/account/reveal/").status_code == 403
    assert client.post(f"/payees/household/{manggar_household.pk}/account/", FORM).status_code == 403


def test_revealing_the_account_on_the_page_is_audited(
    manggar_household: Household, dinsos_manager: User, client_for: Any
) -> None:
    Payee.objects.create(household=manggar_household, bank_code="014", account_number="0123456789", account_holder="A")
    client = english_client(client_for, dinsos_manager)
    response = client.post(f"/payees/household/{manggar_household.pk}/account/reveal/")
    assert "0123456789" in response.content.decode()
    assert AuditEvent.objects.filter(action="payee.view_account", actor=dinsos_manager).count() == 1


@pytest.mark.parametrize("persona", ["operator_manggar", "dinsos_manager", "auditor", "tkpk_analyst", "partner"])
def test_only_an_administrator_opens_the_paying_account_page(persona: str, request: Any, client_for: Any) -> None:
    client = english_client(client_for, request.getfixturevalue(persona))
    assert client.get("/payees/paying-account/").status_code == 403
    data = {"name": "X", "account_number": "1234567890"}
    assert client.post("/payees/paying-account/", data).status_code == 403
    assert not PayingAccount.objects.exists()


def test_an_administrator_sets_the_paying_account(admin_user: User, client_for: Any) -> None:
    client = english_client(client_for, admin_user)
    assert "None: bank files cannot be made" in client.get("/payees/paying-account/").content.decode()
    bad = client.post("/payees/paying-account/", {"name": "RKUD", "account_number": "12ab"}).content.decode()
    assert "digits only" in bad and not PayingAccount.objects.exists()
    data = {"name": "RKUD Balikpapan", "bank_code": "124", "account_number": "0011223344"}
    body = client.post("/payees/paying-account/", data, follow=True).content.decode()
    assert "The paying account is set" in body and "set by admin" in body
    assert AuditEvent.objects.filter(action="settings.paying_account").count() == 1
