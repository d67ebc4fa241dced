"""The demonstration's accounts: most households paid have one, some none, one of a bad length."""

from __future__ import annotations

from typing import Any

import pytest

from entas.payees import banks, rules
from entas.payees.demo import seed_accounts
from entas.payees.models import Payee
from tests.conftest import MANGGAR, make_household

pytestmark = pytest.mark.django_db


def test_the_demo_gives_most_households_an_account_and_shows_every_case(regions: Any) -> None:
    households = [make_household(regions[MANGGAR], f"6471010101200{n:03d}", members=1).pk for n in range(20)]
    summary = seed_accounts(households)
    assert summary["accounts"] + summary["without_account"] == 20 and summary["without_account"] == 2
    assert summary["bad_length"] == 1
    verdicts = [
        rules.check_account(
            rules.AccountFacts(p.bank_code, banks.bank(p.bank_code), p.account_number, p.account_holder)
        )
        for p in Payee.objects.all()
    ]
    assert sum(not v.ok for v in verdicts) == 1
    assert seed_accounts(households)["accounts"] == 0  # a second run adds nothing to those that have one
