"""A bank file that cannot be made is not offered: the cycle page says exactly what is missing,
and the export refuses the same way before it writes anything."""

from __future__ import annotations

from typing import Any

import pytest

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.core.models import Job
from entas.payees.models import Payee
from entas.programs import files
from entas.programs.models import Entitlement, Programme
from tests.helpers import english_client, give_accounts
from tests.programs.test_cycles import disbursed

pytestmark = pytest.mark.django_db


def test_the_cycle_page_names_what_is_missing_and_offers_only_cash_lists(
    programme: Programme, dinsos_manager: User, approver: User, client_for: Any
) -> None:
    cycle = disbursed(programme, dinsos_manager, approver)
    client = english_client(client_for, dinsos_manager)
    page = client.get(f"/programmes/cycles/{cycle.pk}/").content.decode()
    assert "No bank file can be made yet" in page and "paying account is not set" in page
    assert f"{cycle.control_count} households to be paid have no bank account" in page
    assert 'value="pain001"' not in page and 'value="csv"' not in page and 'value="xlsx"' in page
    refused = client.post(f"/programmes/cycles/{cycle.pk}/", {"export": "csv"}, follow=True).content.decode()
    assert "have no bank account" in refused and not Job.objects.exists()  # refused before any job starts
    listing = client.get(f"/programmes/cycles/{cycle.pk}/without-account/").content.decode()
    some = Entitlement.objects.filter(cycle=cycle).select_related("household").first()
    assert some is not None and some.household.kk_number in listing


def test_with_every_account_and_a_paying_account_the_bank_files_are_offered(
    programme: Programme, dinsos_manager: User, approver: User, client_for: Any, settings: Any
) -> None:
    cycle = disbursed(programme, dinsos_manager, approver)
    settings.ENTAS_PAYER_ACCOUNT = "9876543210"
    give_accounts(Entitlement.objects.filter(cycle=cycle).values_list("household_id", flat=True))
    page = english_client(client_for, dinsos_manager).get(f"/programmes/cycles/{cycle.pk}/").content.decode()
    assert 'value="pain001"' in page and 'value="csv"' in page and "No bank file" not in page
    assert files.bank_csv(cycle).count(b"\n") == cycle.control_count + 1


def test_an_account_the_bank_refuses_stops_the_bank_file(
    programme: Programme, dinsos_manager: User, approver: User, settings: Any
) -> None:
    cycle = disbursed(programme, dinsos_manager, approver)
    settings.ENTAS_PAYER_ACCOUNT = "9876543210"
    households = list(Entitlement.objects.filter(cycle=cycle).values_list("household_id", flat=True))
    give_accounts(households)
    Payee.objects.filter(household_id=households[0]).update(bank_code="008")  # 10 digits at Mandiri (13)
    with pytest.raises(Refused, match="1 household to be paid has a bank account the bank's rules refuse"):
        files.pain001(cycle)
