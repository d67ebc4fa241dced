from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from entas.accounts.models import User
from entas.dedup import services
from entas.registry.importer import import_registry
from entas.synth import SynthConfig, build, write
from tests.browser.test_shell import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_pair_page_draws_the_waterfall_and_the_model_its_weights(
    page: Any, live_server: Any, dinsos_manager: User, tmp_path: Path
) -> None:
    write(build(SynthConfig(households=1200, seed=31, faults=0.03, survey_size=10)), tmp_path)
    import_registry(tmp_path / "registry.csv", actor=None, rejection_path=tmp_path / "rejected.csv")
    run = services.run(actor=dinsos_manager)
    pair = run.pair_set.order_by("-probability").first()
    assert pair is not None
    login(page, live_server, "dinsos1")
    page.goto(f"{live_server.url}/dedup/pair/{pair.pk}/")
    page.wait_for_selector("#waterfall svg", timeout=15_000)  # splink's spec rendered by vega-embed
    assert "berbeda" in page.content()  # a differing field is marked
    page.goto(f"{live_server.url}/dedup/model/")
    page.wait_for_selector("#weights svg", timeout=15_000)
