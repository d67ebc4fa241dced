"""Impact evaluation and simulation in a browser: the TKPK analyst opens Evaluasi from the menu,
simulates a change of the cash programme, reads that behavioural responses are not modelled, saves
the scenario, and opens a saved evaluation whose event-study chart is drawn."""

from __future__ import annotations

from typing import Any

import pytest

from entas.accounts.models import User
from entas.evaluation import services
from entas.evaluation.models import Scenario
from tests.browser.test_shell import login
from tests.evaluation import conftest as evaluation
from tests.evaluation.synthetic import panel
from tests.evaluation.test_commands import _write

city, cash_programme = evaluation.city, evaluation.cash_programme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_analyst_simulates_a_scenario_and_opens_an_evaluation(
    page: Any, live_server: Any, city: None, cash_programme: Any, tkpk_analyst: User, tmp_path: Any
) -> None:
    data = panel(51, units=60, periods=5, cohorts=(2, 3))
    path = _write(tmp_path / "p.csv", {k: data[k] for k in ("unit", "time", "treat", "y")})
    evaluation_run = services.run_and_save(
        actor=tkpk_analyst,
        title="BLT dan konsumsi",
        text=path.read_text(),
        spec={"method": "did", "unit": "unit", "time": "time", "treat": "treat", "outcome": "y", "event_study": True},
        source="p.csv",
    )
    login(page, live_server, "tkpk")
    page.get_by_role("link", name="Evaluasi").first.click()
    page.get_by_role("link", name="Simulasikan skenario").click()
    page.get_by_label("Program (aturan dan rumusnya adalah kondisi saat ini)").select_option(str(cash_programme.pk))
    page.get_by_label("Besaran dasar per keluarga per bulan (Rp)").fill("400000")
    page.get_by_role("button", name="Simulasikan").click()
    page.get_by_role("heading", name="Angka").wait_for(timeout=20_000)
    assert page.get_by_text("Respons perilaku tidak dimodelkan.").is_visible()
    assert page.get_by_role("columnheader", name="Kondisi saat ini").is_visible()
    page.get_by_label("Judul").fill("Nominal Rp 400.000")
    page.get_by_role("button", name="Simpan skenario").click()
    page.get_by_role("heading", name="Nominal Rp 400.000").wait_for(timeout=20_000)
    assert Scenario.objects.get().result["households"] > 0

    page.goto(f"{live_server.url}/evaluation/{evaluation_run.pk}/")
    page.get_by_role("heading", name="BLT dan konsumsi").wait_for()
    page.locator("#chart-0 svg, #chart-0 canvas").first.wait_for(timeout=10_000)
    assert page.get_by_text("Interval kepercayaan 95 %").first.is_visible()
