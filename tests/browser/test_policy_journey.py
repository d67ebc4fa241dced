"""The policy register's main workflow in a browser: the TKPK analyst opens the register from the
menu, reads the plan's tree, proposes to pause a programme with its rationale; a second Bappeda
editor approves it; the register as of the day before shows the programme still active, with its
logframe linked and an activity's page with its realisation history; the
Disnaker officer sees only the Disnaker's activities and the XLSX export downloads."""

from __future__ import annotations

from typing import Any

import pytest

from entas.accounts.models import User
from entas.policy.models import Adjustment, Plan, ProgrammeRecord
from tests.browser.test_shell import login
from tests.policy import conftest as policy

# The fixtures of tests/policy, for this module.
plan, cash_programme, bappeda, disnaker_officer = (
    policy.plan,
    policy.cash_programme,
    policy.bappeda,
    policy.disnaker_officer,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_programme_is_paused_by_one_editor_and_approved_by_another(
    page: Any, browser: Any, live_server: Any, plan: Plan, tkpk_analyst: User, bappeda: User, disnaker_officer: User
) -> None:
    login(page, live_server, "tkpk")
    page.get_by_role("link", name="Register kebijakan").first.click()
    page.get_by_role("heading", name="Register kebijakan").wait_for()
    assert page.get_by_text("Meningkatkan pendapatan keluarga miskin").is_visible()
    assert page.locator("meter").count() > 20  # a bar at every level
    page.get_by_role("link", name="Pelatihan Kerja Berbasis Kompetensi").click()
    page.get_by_role("heading", name="Usulkan penyesuaian").wait_for()
    page.get_by_label("Yang berubah").select_option("status")
    page.get_by_label("Nilai baru").fill("paused")
    page.get_by_label("Dasar pertimbangan").fill("Evaluasi semester I: 40 persen lulusan belum bekerja")
    page.get_by_label("Bukti").fill("https://example.invalid/evaluasi-2026-s1")
    page.get_by_label("Berlaku sejak").fill("2026-07-01")
    page.get_by_role("button", name="Usulkan").click()
    page.get_by_text("diusulkan: editor register lain yang menyetujuinya").wait_for(timeout=5_000)
    assert page.get_by_text("Menunggu editor kedua").is_visible()
    assert ProgrammeRecord.objects.get(code="P2.1").status == "active"  # nothing changed yet

    checker = browser.new_context(locale="id-ID", viewport={"width": 1024, "height": 768}).new_page()
    login(checker, live_server, "bappeda")
    checker.get_by_role("link", name="Penyesuaian program yang menunggu keputusan Anda").click()
    checker.get_by_role("button", name="Setujui").click()
    checker.get_by_text("disetujui: register diubah").wait_for(timeout=5_000)
    assert Adjustment.objects.get().decided_by == bappeda
    record = ProgrammeRecord.objects.get(code="P2.1")
    checker.goto(f"{live_server.url}/policy/programme/{record.pk}/?as_of=2026-07-02")
    assert checker.locator("dl.facts").first.get_by_text("Ditunda").is_visible()
    checker.goto(f"{live_server.url}/policy/programme/{record.pk}/?as_of=2026-06-30")
    assert checker.locator("dl.facts").first.get_by_text("Aktif").is_visible()
    assert checker.get_by_role("link", name="Kerangka logis dan dasbor program").is_visible()
    checker.get_by_role("link", name="2.07.03.2.01.0001").click()  # the activity, its months and history
    checker.get_by_role("heading", name="Riwayat realisasi").wait_for()
    with checker.expect_download() as download:
        checker.goto(f"{live_server.url}/policy/")
        checker.get_by_role("link", name="Unduh register (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    officer = browser.new_context(locale="id-ID", viewport={"width": 1024, "height": 768}).new_page()
    login(officer, live_server, "disnaker1")
    officer.goto(f"{live_server.url}/policy/realisation/")
    assert officer.get_by_text("2.07.03.2.01.0001").is_visible()
    assert officer.get_by_text("1.04.02.2.01.0014").count() == 0
