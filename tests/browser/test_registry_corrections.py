"""Registry corrections and single-household registration in the browser (issue #16): an operator
proposes a member correction, a supervisor approves it, the history reads in labels and values; an
operator registers one new family on a page; the edit form's fields do not overlap."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from entas.accounts.models import User
from entas.registry.models import Household
from tests.browser.test_shell import login
from tests.registry.helpers import make_nik

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_corrects_a_member_and_a_supervisor_approves(
    browser: Any,
    page: Any,
    live_server: Any,
    operator_manggar: User,
    dinsos_manager: User,
    manggar_household: Household,
) -> None:
    household = manggar_household
    child = household.members.get(relationship="3", name__endswith="-2")
    login(page, live_server, "op.manggar")
    page.goto(f"{live_server.url}/registry/{household.pk}/")
    page.get_by_role("link", name=f"Koreksi data {child.name}").click()
    page.wait_for_selector("#id_name")
    assert page.input_value("#id_name") == child.name  # prefilled with the record
    page.fill("#id_name", "Warga Terkoreksi")
    page.fill("#id_birth_date", "1982-05-06")
    page.fill("#id_reason", "Akta kelahiran diperiksa")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/registry/{household.pk}/")
    assert "1 perubahan menunggu persetujuan" in page.content()

    supervisor = browser.new_context(locale="id-ID", viewport={"width": 1024, "height": 768}).new_page()
    login(supervisor, live_server, "dinsos1")
    supervisor.goto(f"{live_server.url}/registry/changes/")
    queue = supervisor.content()
    assert f"{child.name} → Warga Terkoreksi" in queue and "01/01/1982 → 06/05/1982" in queue
    assert child.nik not in queue
    supervisor.get_by_role("button", name="Setujui").click()
    confirmation = supervisor.locator("[role=alertdialog]").inner_text()  # what will change, before it does
    assert f"{child.name} → Warga Terkoreksi" in confirmation and child.nik not in confirmation
    supervisor.get_by_role("button", name="Ya: Setujui perubahan").click()
    supervisor.wait_for_url(f"{live_server.url}/registry/changes/")
    supervisor.goto(f"{live_server.url}/registry/{household.pk}/")
    history = supervisor.locator("section", has_text="Riwayat perubahan").last.inner_text()
    assert "Data anggota dikoreksi" in history
    assert f"Nama: {child.name} → Warga Terkoreksi" in history
    assert "Tanggal lahir: 01/01/1982 → 06/05/1982" in history
    assert "birth_date" not in history and "member.correct" not in history
    supervisor.context.close()


def test_an_operator_registers_one_household_on_a_page(
    page: Any, live_server: Any, operator_manggar: User, manggar_household: Household
) -> None:
    login(page, live_server, "op.manggar")
    page.goto(f"{live_server.url}/registry/")
    page.get_by_role("link", name="Daftarkan keluarga").click()
    page.fill("#id_kk_number", "6471010101207777")
    page.fill("#id_address", "Jl. Pendaftaran Baru")
    page.fill("#id_rt", "005")
    page.fill("#id_rw", "006")
    people = [
        (make_nik("647101", dt.date(1975, 6, 1), "1", 7001), "Joko Sintetis", "1", "1975-06-01", "1"),
        (make_nik("647101", dt.date(1978, 2, 3), "2", 7002), "Ani Sintetis", "2", "1978-02-03", "2"),
    ]
    for i, (nik, name, sex, birth, relationship) in enumerate(people):
        page.fill(f"#id_m-{i}-nik", nik)
        page.fill(f"#id_m-{i}-name", name)
        page.select_option(f"#id_m-{i}-sex", sex)
        page.fill(f"#id_m-{i}-birth_date", birth)
        page.select_option(f"#id_m-{i}-relationship", relationship)
    page.set_viewport_size({"width": 390, "height": 800})  # a phone: the member rows stack, nothing scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Daftarkan keluarga ini").click()
    household = None
    page.wait_for_selector("h1:has-text('6471010101207777')")
    household = Household.objects.get(kk_number="6471010101207777")
    assert household.members.count() == 2 and household.verification_status == "usulan"
    assert "Joko Sintetis" in page.content()


def test_the_household_edit_form_fields_do_not_overlap(
    page: Any, live_server: Any, operator_manggar: User, manggar_household: Household
) -> None:
    login(page, live_server, "op.manggar")
    for width in (1024, 700):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server.url}/registry/{manggar_household.pk}/edit/")
        overflowing = page.evaluate(
            """() => [...document.querySelectorAll('.form-grid > .field')].filter(field => {
                const box = field.getBoundingClientRect();
                return [...field.querySelectorAll('input, select, textarea')].some(control => {
                    const c = control.getBoundingClientRect();
                    return c.right > box.right + 0.5 || c.left < box.left - 0.5;
                });
            }).map(field => field.querySelector('label')?.textContent)"""
        )
        assert overflowing == [], f"at {width}px these fields spill over their neighbours: {overflowing}"
