"""Issue #16 in a browser: a programme created on its page after a preview, a cycle prepared and
submitted by one manager, approved by a second after seeing the payee list, and disbursed through
the confirmation that names the amount."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from entas.accounts.roles import Role
from entas.programs.models import Cycle, Programme
from entas.registry.importer import import_registry
from entas.targeting import services as targeting
from tests.browser.test_shell import login
from tests.helpers import city_files

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_programme_from_its_page_to_a_disbursed_cycle(
    browser: Any, page: Any, live_server: Any, make_user: Any, tmp_path: Path
) -> None:
    import_registry(
        city_files(households=800, seed=12, survey_size=200) / "registry.csv",
        actor=None,
        rejection_path=tmp_path / "r.csv",
    )
    targeting.save_rule(actor=None, name="Desil 1-3", expression="dtsen_desil <= 3", benefit=300_000)
    make_user("dinsos1", Role.DINSOS_MANAGER, ["64.71"])
    make_user("dinsos2", Role.DINSOS_MANAGER, ["64.71"])
    base = live_server.url

    # The maker: a new programme, previewed before it is saved.
    login(page, live_server, "dinsos1")
    page.goto(f"{base}/programmes/new/")
    for field, value in {
        "name": "BLT Peramban",
        "agency": "Dinas Sosial",
        "start": "2027-01-01",
        "end": "2027-06-30",
        "budget_ceiling": "9000000000",
        "base_amount": "300000",
        "per_elderly": "50000",
        "cap": "500000",
        "tranches": "3",
    }.items():
        page.fill(f"#id_{field}", value)
    page.select_option("#id_rule", label="Desil 1-3")
    page.click("button[name=preview]")
    preview = page.wait_for_selector("#preview")
    assert "memenuhi syarat sekarang" in preview.inner_text()
    assert not Programme.objects.filter(name="BLT Peramban").exists()
    page.click("button[name=save]")
    page.wait_for_url(re.compile(r"/programmes/\d+/$"))
    programme = Programme.objects.get(name="BLT Peramban")

    # Enrol, a cycle, prepare and submit.
    page.click("button[name=enrol]")
    page.wait_for_load_state()
    page.fill("#id_period", "2027-01")
    page.click("button[name=create_cycle]")
    page.wait_for_url(re.compile(r"/programmes/cycles/\d+/$"))
    cycle = Cycle.objects.get(programme=programme)
    page.click("button[name=step][value=prepare]")
    page.wait_for_load_state()
    page.click("button[name=step][value=submit]")
    page.wait_for_load_state()
    cycle.refresh_from_db()
    assert cycle.state == "to_approve" and cycle.control_count > 0
    # The maker cannot approve: the button is disabled and says why.
    assert page.locator("button:disabled", has_text="Setujui").count() == 1

    # The checker sees who is paid how much, then approves through the confirmation.
    checker = browser.new_context(locale="id-ID").new_page()
    login(checker, live_server, "dinsos2")
    checker.goto(f"{base}/programmes/cycles/{cycle.pk}/payees/")
    assert checker.locator("tbody tr").count() == min(cycle.control_count, 50)
    checker.goto(f"{base}/programmes/cycles/{cycle.pk}/")
    checker.click(f"a[href='/programmes/cycles/{cycle.pk}/confirm/approve/']")
    assert f"kepada {cycle.control_count} keluarga" in checker.inner_text("#consequence")
    checker.click("button[name=step][value=approve]")
    checker.wait_for_url(f"{base}/programmes/cycles/{cycle.pk}/")
    cycle.refresh_from_db()
    assert cycle.state == "approved"

    # The maker disburses: the confirmation names the amount and the households; the button stands apart.
    page.goto(f"{base}/programmes/cycles/{cycle.pk}/")
    page.click(f"a[href='/programmes/cycles/{cycle.pk}/confirm/disburse/']")
    consequence = page.inner_text("#consequence")
    assert consequence.startswith("Salurkan Rp") and f"{cycle.control_count} keluarga" in consequence
    button = page.locator("button[name=step][value=disburse]")
    assert "danger" in (button.get_attribute("class") or "")
    button.click()
    page.wait_for_url(f"{base}/programmes/cycles/{cycle.pk}/")
    cycle.refresh_from_db()
    assert cycle.state == "disbursed"
