"""A programme manager enters a family's bank account on its page, sees it masked, and shows it whole."""

from __future__ import annotations

from typing import Any

import pytest

from entas.accounts.models import User
from entas.core.models import AuditEvent
from entas.payees.models import Payee
from entas.registry.models import Household
from tests.browser.test_shell import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_enters_an_account_on_the_household_page(
    page: Any, live_server: Any, dinsos_manager: User, manggar_household: Household
) -> None:
    login(page, live_server, "dinsos1")
    page.goto(f"{live_server.url}/registry/{manggar_household.pk}/")
    section = page.locator("#bank-account")
    assert section.get_by_text("Belum ada rekening bank").is_visible()
    section.get_by_label("Bank").select_option("014")
    section.get_by_label("Nomor rekening").fill("0123 456 789")
    section.get_by_label("Pemilik rekening").fill("Warga Sintetis 001-0")
    section.get_by_role("button", name="Simpan rekening").click()
    page.get_by_text("Rekening bank disimpan").wait_for(timeout=5_000)
    assert page.locator("#bank-account").get_by_text("••••••6789").is_visible()
    assert page.get_by_text("0123456789").count() == 0
    page.get_by_role("button", name="Tampilkan nomor rekening lengkap (tindakan ini dicatat)").click()
    page.locator("#bank-account").get_by_text("0123456789").wait_for(timeout=5_000)
    assert Payee.objects.get().account_number == "0123456789"
    assert AuditEvent.objects.filter(action="payee.view_account").count() == 1
