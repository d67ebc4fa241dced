from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from entas.accounts.models import User
from entas.regions.services import DATA_DIR, load_boundaries
from entas.registry.models import Household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill("correct-horse-battery")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{live_server.url}/")


def test_an_operator_logs_in_sees_the_map_and_switches_to_english(
    page: Any, live_server: Any, operator_manggar: User, manggar_household: Household
) -> None:
    load_boundaries(text=(DATA_DIR / "balikpapan-kelurahan.geojson").read_text(), actor=None)
    login(page, live_server, "op.manggar")
    assert page.get_by_role("heading", name="Ringkasan registri wilayah Anda").is_visible()
    page.wait_for_selector("#region-map svg path", timeout=15_000)  # vega-embed drew the choropleth
    assert page.locator("table").get_by_text("Manggar").first.is_visible()
    page.get_by_label("Bahasa").select_option("en")
    page.wait_for_selector("html[lang=en]")
    assert page.get_by_role("heading", name="Registry summary for your areas").is_visible()


def test_revealing_a_nik_shows_it_in_place(
    page: Any, live_server: Any, operator_manggar: User, manggar_household: Household
) -> None:
    member = manggar_household.members.order_by("relationship", "birth_date").first()
    assert member is not None
    login(page, live_server, "op.manggar")
    page.goto(f"{live_server.url}/registry/{manggar_household.pk}/")
    assert page.get_by_text(member.nik).count() == 0
    page.get_by_role("button", name="Tampilkan NIK lengkap (tindakan ini dicatat)").first.click()
    page.get_by_text(member.nik).wait_for(timeout=5_000)


def test_the_export_page_follows_the_job_to_its_end(
    page: Any, live_server: Any, operator_manggar: User, manggar_household: Household
) -> None:
    login(page, live_server, "op.manggar")
    page.goto(f"{live_server.url}/registry/")
    page.get_by_role("button", name="Ekspor", exact=True).click()
    page.get_by_text("Mengantre").wait_for(timeout=5_000)
    call_command("worker", batch=True, verbosity=0)
    # The page polls with htmx: no reload needed to see the end.
    page.get_by_text("Berhasil").wait_for(timeout=10_000)
    assert page.get_by_role("link", name="Unduh hasil").is_visible()


def test_the_poverty_profile_draws_its_map_and_bars(
    page: Any, live_server: Any, tkpk_analyst: User, tmp_path: Any
) -> None:
    from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
    from entas.synth import SynthConfig, build, write

    load_boundaries(text=(DATA_DIR / "balikpapan-kecamatan.geojson").read_text(), actor=None)
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    write(build(SynthConfig(households=3000, seed=2, survey_size=600)), tmp_path)
    import_survey(path=tmp_path / "survey.csv", name="Susenas sintetis", year=2025, actor=None)
    login(page, live_server, "tkpk")
    page.goto(f"{live_server.url}/monitoring/poverty-profile/")
    page.wait_for_selector("#p0-map svg path", timeout=15_000)
    page.wait_for_selector("#p0-bars svg", timeout=15_000)
    assert page.get_by_text("Semua wilayah Anda").is_visible() or page.get_by_text("All your areas").is_visible()
