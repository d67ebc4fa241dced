"""Setting, changing and revealing a household's account; the city's paying account."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.payees import selectors, services
from entas.payees.models import Payee
from entas.registry.models import Household

pytestmark = pytest.mark.django_db


def set_bca(household: Household, actor: User, number: str = "0123456789", **extra: Any) -> services.AccountChange:
    values = {"bank_code": "014", "account_number": number, "account_holder": "Warga Sintetis 001-0"} | extra
    return services.set_account(household=household, actor=actor, **values)


def test_an_account_is_entered_then_changed_and_the_old_one_kept(
    manggar_household: Household, dinsos_manager: User
) -> None:
    first = set_bca(manggar_household, dinsos_manager)
    assert first.outcome == "inserted" and not first.warnings
    assert set_bca(manggar_household, dinsos_manager).outcome == "unchanged"
    second = set_bca(manggar_household, dinsos_manager, number="0123456780")
    assert second.outcome == "updated"
    assert selectors.current_account(manggar_household).account_number == "0123456780"  # type: ignore[union-attr]
    assert Payee.objects.filter(household=manggar_household).count() == 2  # the history stays
    change = AuditEvent.objects.get(action="payee.change")
    assert change.before["account_number"] == "••••••6789" and change.after["account_number"] == "••••••6780"
    assert "0123456789" not in str(change.before) + str(change.after)


def test_a_wrong_length_is_refused_with_the_field(manggar_household: Household, dinsos_manager: User) -> None:
    with pytest.raises(Refused) as refused:
        set_bca(manggar_household, dinsos_manager, bank_code="008")  # Mandiri: 13 digits
    assert refused.value.issues[0].field == "account_number" and not Payee.objects.exists()


def test_a_holder_unlike_the_head_is_kept_with_a_warning(manggar_household: Household, dinsos_manager: User) -> None:
    change = set_bca(manggar_household, dinsos_manager, account_holder="Budi Lain Orang")
    assert change.outcome == "inserted" and change.warnings[0].field == "account_holder"


def test_only_a_programme_manager_of_the_area_sets_an_account(
    manggar_household: Household, operator_manggar: User, make_user: Any
) -> None:
    from entas.accounts.roles import Role
    from tests.conftest import DAMAI

    with pytest.raises(Refused, match="may not"):
        set_bca(manggar_household, operator_manggar)
    elsewhere = make_user("dinsos.damai", Role.DINSOS_MANAGER, [DAMAI])
    with pytest.raises(Refused, match="may not"):
        set_bca(manggar_household, elsewhere)


def test_revealing_an_account_is_audited(manggar_household: Household, dinsos_manager: User) -> None:
    payee = set_bca(manggar_household, dinsos_manager).payee
    assert services.reveal_account(actor=dinsos_manager, payee=payee) == "0123456789"
    event = AuditEvent.objects.get(action="payee.view_account")
    assert event.actor == dinsos_manager and "0123456789" not in event.object_repr


@override_settings(ENTAS_PAYER_ACCOUNT="1111111111", ENTAS_PAYER_NAME="Kas Daerah")
def test_the_paying_account_set_by_an_administrator_overrides_the_environment(
    admin_user: User, dinsos_manager: User
) -> None:
    assert selectors.paying_account().origin == "environment"
    with pytest.raises(Refused, match="administrator"):
        services.set_paying_account(actor=dinsos_manager, name="X", bank_code="", account_number="1")
    services.set_paying_account(
        actor=admin_user, name="RKUD Balikpapan", bank_code="124", account_number="0011 2233 44"
    )
    payer = selectors.paying_account()
    assert (payer.origin, payer.account_number, payer.name) == ("settings", "0011223344", "RKUD Balikpapan")
    event = AuditEvent.objects.get(action="settings.paying_account")
    assert event.before["account_number"] == "••••••1111" and event.after["account_number"] == "••••••3344"


def test_a_named_payee_is_a_member_of_the_family_and_the_holder_is_compared_with_her(
    manggar_household: Household, damai_household: Household, dinsos_manager: User
) -> None:
    mother = manggar_household.members.order_by("pk")[1]
    with pytest.raises(Refused, match="not a member"):
        set_bca(manggar_household, dinsos_manager, member=damai_household.members.first())
    change = set_bca(manggar_household, dinsos_manager, member=mother, account_holder=mother.name)
    assert change.payee.member == mother and not change.warnings  # compared with her name, not the head's
