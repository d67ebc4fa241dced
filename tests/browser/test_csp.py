"""The pages with charts, the API documentation and the administration run under the strict
Content-Security-Policy: nothing the policy blocks is attempted (an attempt is a broken feature or
an inline script waiting for an injection) and the charts still draw."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from entas.accounts.models import User
from entas.regions.services import DATA_DIR, load_boundaries
from entas.registry.importer import import_registry
from entas.registry.models import Household
from entas.synth import SynthConfig, build, write
from tests.browser.test_shell import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects the browser's own report of every blocked attempt, before any page script runs
# (Playwright's init scripts are not subject to the page's policy).
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def watched(page: Any) -> Iterator[tuple[Any, list[str]]]:
    """The page, and the console's CSP complaints and page errors seen so far."""
    problems: list[str] = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda m: (
            problems.append(m.text) if "Content Security Policy" in m.text or "Permissions-Policy" in m.text else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    yield page, problems


def assert_clean(page: Any, problems: list[str]) -> None:
    violations = page.evaluate("window.__csp || []")
    assert violations == [] and problems == [], (violations, problems)


def test_the_home_map_and_the_poverty_profile_draw_under_the_policy(
    watched: Any,
    live_server: Any,
    tkpk_analyst: User,
    operator_manggar: User,
    manggar_household: Household,
    tmp_path: Path,
) -> None:
    from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines

    page, problems = watched
    load_boundaries(text=(DATA_DIR / "balikpapan-kelurahan.geojson").read_text(), actor=None)
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    write(build(SynthConfig(households=3000, seed=2, survey_size=600)), tmp_path)
    import_survey(path=tmp_path / "survey.csv", name="Susenas sintetis", year=2025, actor=None)
    login(page, live_server, "op.manggar")
    page.wait_for_selector("#region-map svg path", timeout=15_000)
    page.locator('#region-map svg [aria-roledescription="geoshape"]').first.hover()
    page.wait_for_selector("#vg-tooltip-element.visible", timeout=5_000)  # the tooltip, styled from a file
    assert_clean(page, problems)
    page.get_by_label("Bahasa").select_option("en")  # the language switch submits by itself (site.js)
    page.wait_for_selector("html[lang=en]")
    assert_clean(page, problems)
    page.context.clear_cookies()
    login(page, live_server, "tkpk")
    page.goto(f"{live_server.url}/monitoring/poverty-profile/")
    page.wait_for_selector("#p0-map svg path", timeout=15_000)
    page.wait_for_selector("#p0-bars svg", timeout=15_000)
    assert_clean(page, problems)


def test_the_targeting_report_draws_its_incidence_under_the_policy(
    watched: Any, live_server: Any, tkpk_analyst: User, tmp_path: Path
) -> None:
    from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
    from entas.targeting import services

    page, problems = watched
    write(build(SynthConfig(households=1200, seed=8, survey_size=600)), tmp_path)
    import_registry(tmp_path / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    import_survey(path=tmp_path / "survey.csv", name="Susenas sintetis", year=2025, actor=None)
    rule = services.save_rule(actor=None, name="BLT", expression="dtsen_desil <= 4", benefit=300_000)
    login(page, live_server, "tkpk")
    page.goto(f"{live_server.url}/targeting/report/?rule={rule.pk}")
    page.wait_for_selector("#incidence svg", timeout=15_000)
    assert page.locator("#incidence svg .mark-rect path").count() > 0  # the bars, not an empty frame
    assert_clean(page, problems)


def test_the_dedup_waterfall_and_weights_draw_under_the_policy(
    watched: Any, live_server: Any, dinsos_manager: User, tmp_path: Path
) -> None:
    from entas.dedup import services

    page, problems = watched
    write(build(SynthConfig(households=1200, seed=31, faults=0.03, survey_size=10)), tmp_path)
    import_registry(tmp_path / "registry.csv", actor=None, rejection_path=tmp_path / "rejected.csv")
    run = services.run(actor=dinsos_manager)
    pair = run.pair_set.order_by("-probability").first()
    assert pair is not None
    login(page, live_server, "dinsos1")
    page.goto(f"{live_server.url}/dedup/pair/{pair.pk}/")
    page.wait_for_selector("#waterfall svg", timeout=15_000)
    assert_clean(page, problems)
    page.goto(f"{live_server.url}/dedup/model/")
    page.wait_for_selector("#weights svg", timeout=15_000)
    assert_clean(page, problems)


def test_the_api_documentation_and_the_administration_work_under_the_policy(
    watched: Any, live_server: Any, admin_user: User
) -> None:
    page, problems = watched
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)  # Swagger UI read the schema
    assert_clean(page, problems)
    for path in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{admin_user.pk}/change/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        assert_clean(page, problems)
