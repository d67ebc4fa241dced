"""The hostile city of tests/security/xss.py in a real browser: its pages (the household with its NIK
reveal, the change-request queue, the duplicate pair with its waterfall chart, the programme and the
cycle, the job, the map with its tooltip) run no script that came from data. Every payload calls
alert(): no dialog may open, the policy may block nothing (a blocked inline script or handler is an
injection the policy happened to stop), and no injected image is requested."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from entas.accounts.models import User
from tests.browser.test_csp import LISTEN
from tests.browser.test_shell import login
from tests.security.xss import City, build_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def watched(page: Any) -> Iterator[tuple[Any, list[str]]]:
    """The page, and what it did that only an injection does: a dialog, a blocked script, a request
    for the payloads' image, a script error."""
    problems: list[str] = []

    def dialog(d: Any) -> None:
        problems.append(f"dialog {d.type}: {d.message!r} on {page.url}")
        d.dismiss()

    page.add_init_script(LISTEN)
    page.on("dialog", dialog)
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text} on {page.url}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e} on {page.url}"))
    page.on("request", lambda r: problems.append(f"requested {r.url}") if r.url.rstrip("/").endswith("/x") else None)
    yield page, problems


def _visit(page: Any, problems: list[str], url: str, ready: str = "main") -> None:
    page.goto(url)
    page.wait_for_selector(ready, timeout=15_000)
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__csp || []")
    assert (violations, problems) == ([], []), url


def _tooltip_shows(page: Any, text: str) -> None:
    """Vega's tooltip is HTML built from the chart's data: it must show the data as text."""
    tooltip = page.locator("#vg-tooltip-element.visible")
    tooltip.wait_for(timeout=5_000)
    assert text in tooltip.inner_text()


def test_the_hostile_city_runs_no_script_from_its_data(
    watched: Any,
    live_server: Any,
    regions: dict[str, Any],
    make_user: Callable[..., User],
    operator_damai: User,
    dinsos_manager: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page, problems = watched
    city: City = build_city(
        regions=regions,
        make_user=make_user,
        operator_damai=operator_damai,
        dinsos_manager=dinsos_manager,
        tmp_path=tmp_path,
        monkeypatch=monkeypatch,
    )
    world = city.world
    base = live_server.url

    login(page, live_server, "op.damai")
    page.wait_for_selector("#region-map svg", timeout=15_000)
    page.locator("#region-map svg .mark-symbol path").first.hover(force=True)  # the tooltip names the hostile kelurahan
    _tooltip_shows(page, city.planted["kelurahan"])
    _visit(page, problems, f"{base}/", "#region-map svg")
    _visit(page, problems, f"{base}/registry/{world.damai.pk}/", "table")
    reveal = page.locator("button[hx-post]")  # the NIK reveal swaps a partial in, replacing its button
    for remaining in range(reveal.count(), 0, -1):
        reveal.first.click()
        expect(reveal).to_have_count(remaining - 1, timeout=10_000)
    _visit(page, problems, page.url, "table")
    _visit(page, problems, f"{base}/jobs/{world.job.pk}/", "main .job")
    _visit(page, problems, f"{base}/jobs/{city.failed_job.pk}/", "main .job .error")
    _visit(page, problems, f"{base}/dedup/pair/{world.pair.pk}/", "#waterfall svg")
    page.locator("#waterfall svg .mark-rect path").first.hover(force=True)
    _tooltip_shows(page, city.planted["waterfall chart"])
    _visit(page, problems, page.url, "#waterfall svg")
    _visit(page, problems, f"{base}/programmes/affected/", "table")

    page.context.clear_cookies()
    login(page, live_server, "dinsos1")
    _visit(page, problems, f"{base}/registry/changes/", "table")
    _visit(page, problems, f"{base}/programmes/{world.programme.pk}/", "table")
    _visit(page, problems, f"{base}/programmes/cycles/{world.cycle.pk}/", "table")
    _visit(page, problems, f"{base}/dedup/", "table")
    _visit(page, problems, f"{base}/dedup/model/", "#weights svg")
    _visit(page, problems, f"{base}/targeting/overrides/", "table")
