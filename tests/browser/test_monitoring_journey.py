"""The monitoring dashboard in a browser: the TKPK analyst opens the indicator dashboard from the
menu, picks an indicator, drills from the city into a kecamatan and a kelurahan (map and table of
the areas below), reads the kelurahan's disaggregations and downloads the trend chart as PNG and SVG
and the data as CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from entas.accounts.models import User
from entas.monitoring import demo, engine, services
from tests.browser.test_shell import login
from tests.conftest import SHARED
from tests.helpers import city_files

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def indicators(regions: Any, tkpk_analyst: User, tmp_path: Path) -> None:
    from io import StringIO

    from entas.registry.importer import import_registry

    call_command("load_boundaries", *sorted(str(p) for p in (SHARED / "data").glob("*.geojson")), stdout=StringIO())
    files = city_files(households=1500, seed=4, survey_size=600)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    data = yaml.safe_load(demo.EXAMPLE.read_text(encoding="utf-8"))
    data.pop("framework")
    services.load_indicators(data=data, actor=tkpk_analyst)
    engine.refresh(full=True)


def test_an_analyst_drills_into_a_kelurahan_and_downloads_a_chart(
    page: Any, live_server: Any, indicators: None, tkpk_analyst: User
) -> None:
    login(page, live_server, "tkpk")
    page.get_by_role("link", name="Indikator").first.click()
    page.get_by_role("heading", name="Dasbor indikator").wait_for()
    page.get_by_role("link", name="Angka partisipasi sekolah penduduk 7-18 tahun").click()
    page.locator("#trend-chart[data-rendered='1']").wait_for(timeout=15_000)
    page.locator("#map-chart[data-rendered='1'] path").first.wait_for(timeout=15_000)  # a choropleth, not circles
    page.locator("#children").get_by_role("link", name="Balikpapan Timur").click()
    page.locator("#area-path").get_by_text("Balikpapan Timur").wait_for()
    page.locator("#children").get_by_role("link", name="Manggar", exact=True).click()
    page.locator("#area-path").get_by_text("Manggar", exact=True).wait_for()
    assert page.locator("#breakdown").get_by_text("perempuan").first.is_visible()
    assert page.locator("#area-path").get_by_role("link", name="Balikpapan", exact=True).is_visible()
    page.locator("#trend-chart[data-rendered='1']").wait_for(timeout=15_000)
    with page.expect_download() as png:
        page.locator("[data-download-chart='trend-chart'][data-format='png']").click()
    assert png.value.suggested_filename == "tren-school-7-18-64.71.01.1001.png"
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as svg:
        page.locator("[data-download-chart='trend-chart'][data-format='svg']").click()
    assert b"<svg" in Path(svg.value.path()).read_bytes()[:400]
    with page.expect_download() as data:
        page.locator("#download-csv").click()
    assert data.value.suggested_filename == "indikator-school-7-18-64.71.01.1001.csv"
    assert "64.71.01.1001" in Path(data.value.path()).read_text(encoding="utf-8")


def test_an_analyst_loads_an_indicator_file_and_confirms_an_official_value(
    page: Any, live_server: Any, regions: Any, tkpk_analyst: User, tmp_path: Path
) -> None:
    bad, good = tmp_path / "salah.yaml", tmp_path / "indikator.yaml"
    bad.write_text("indicators:\n  - {code: a, name: A, kind: source, source: tidak.ada}\n", encoding="utf-8")
    good.write_text(
        "indicators:\n  - code: tpt-bps\n    name: TPT BPS\n    kind: official\n    period_type: year\n"
        '    values:\n      - {area: "64.71", period: "2024", value: 5.9, source: BPS, confirmed: false}\n',
        encoding="utf-8",
    )
    login(page, live_server, "tkpk")
    page.get_by_role("link", name="Kelola indikator").first.click()
    page.get_by_role("heading", name="Kelola indikator").wait_for()
    page.locator("#indicator-file input[type=file]").set_input_files(str(bad))
    page.get_by_role("button", name="Muat berkas").click()
    page.locator("#problems").get_by_text("indicators[1] a").wait_for()
    page.locator("#indicator-file input[type=file]").set_input_files(str(good))
    page.get_by_role("button", name="Muat berkas").click()
    page.locator("#indicators").get_by_role("link", name="1 nilai").click()
    page.locator("#official-values").get_by_text("belum dikonfirmasi").wait_for()
    page.get_by_role("button", name="Konfirmasi").click()
    page.locator("#official-values").get_by_role("cell", name="ya", exact=True).wait_for()
