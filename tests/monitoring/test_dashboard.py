"""The dashboards, the commands and the API over the example plan's indicators on a small synthetic
city: drill-down, period comparison, the CSV download, the framework and the small-area page."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from entas.accounts.models import User
from entas.monitoring import demo, engine
from entas.monitoring.models import Fact, Indicator, Result
from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
from tests.conftest import MANGGAR
from tests.helpers import city_files
from tests.policy import conftest as policy

pytestmark = pytest.mark.django_db

# The policy register's fixtures (the example plan and its cash programme), for this module.
plan, cash_programme = policy.plan, policy.cash_programme


@pytest.fixture
def city(regions: Any, tkpk_analyst: User, tmp_path: Path) -> dict[str, Any]:
    from entas.registry.importer import import_registry

    files = city_files(households=1500, seed=4, survey_size=600)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    import_survey(path=files / "survey.csv", name="Susenas sintetis", year=2025, actor=None)
    data = yaml.safe_load(demo.EXAMPLE.read_text(encoding="utf-8"))
    data.pop("framework")  # the plan is not loaded in this test; test_framework loads it
    from entas.monitoring import services

    services.load_indicators(data=data, actor=tkpk_analyst)
    engine.refresh(full=True)
    return {"files": files}


def test_the_example_file_defines_the_sdg_indicators(city: dict[str, Any]) -> None:
    sdg = dict(Indicator.objects.exclude(sdg="").values_list("sdg", "code"))
    assert set(sdg) == {"1.1.1", "1.2.1", "1.2.2", "1.3.1"}
    p0 = Fact.objects.get(indicator__code="sdg-1-2-1", area__code="64.71", period="2025")
    assert p0.se is not None and p0.se > 0 and 0 < p0.value < 100
    # The registry proxy of open unemployment: people 15-64 neither working nor in school.
    tpt = Fact.objects.get(indicator__code="tpt-proxy", area__code="64.71", dimension="")
    assert 0 < tpt.value < 100 and tpt.denominator > tpt.numerator > 0


def test_the_dashboard_drills_from_city_to_kelurahan(
    city: dict[str, Any], client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    client = client_for(tkpk_analyst)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("monitoring:dashboard"), {"indicator": "school-7-18"})
    assert page.status_code == 200
    assert page.context["area"].code == "64.71"
    assert len(page.context["children"]) == 6  # kecamatan
    assert (
        page.context["map_spec"]["mark"]["type"] == "geoshape" or page.context["map_spec"]["mark"]["type"] == "circle"
    )
    assert page.context["trend_spec"]["data"]["values"]
    kecamatan = client.get(reverse("monitoring:dashboard"), {"indicator": "school-7-18", "area": "64.71.01"})
    assert {r["area"].code[:8] for r in kecamatan.context["children"]} == {"64.71.01"}
    kelurahan = client.get(reverse("monitoring:dashboard"), {"indicator": "school-7-18", "area": MANGGAR})
    html = kelurahan.content.decode()
    assert kelurahan.context["breakdown"] and 'id="breakdown"' in html
    assert [a.code for a in kelurahan.context["ancestors"]] == ["64.71", "64.71.01"]
    # Traffic lights against the targets of the framework (none loaded here: grey).
    assert {row["light"] for row in page.context["table"]} <= {"green", "amber", "red", "grey"}


def test_the_survey_indicator_shows_its_band_and_period_comparison(
    city: dict[str, Any], client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    client = client_for(tkpk_analyst)
    page = client.get(reverse("monitoring:dashboard"), {"indicator": "sdg-1-2-1"})
    point = page.context["trend_spec"]["data"]["values"][-1]
    assert point["low"] < point["value"] < point["high"]
    official = client.get(reverse("monitoring:dashboard"), {"indicator": "p0-bps", "period": "2024", "compare": "2023"})
    assert official.context["current"].value == 2.23
    assert "2023" in official.context["periods"]


def test_the_csv_download_holds_the_charts_data(
    city: dict[str, Any], client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    response = client_for(tkpk_analyst).get(reverse("monitoring:dashboard_csv"), {"indicator": "school-7-18"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Disposition"].startswith("attachment")
    assert {r["area_code"] for r in rows} >= {"64.71", "64.71.01"}
    city_row = next(r for r in rows if r["area_code"] == "64.71")
    assert float(city_row["value"]) == pytest.approx(
        float(city_row["numerator"]) / float(city_row["denominator"]) * 100, rel=1e-3
    )


def test_a_kelurahan_operator_sees_only_their_kelurahan(
    city: dict[str, Any], client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    client = client_for(operator_manggar)
    page = client.get(reverse("monitoring:dashboard"), {"indicator": "school-7-18"})
    assert page.status_code == 200 and page.context["area"].code == MANGGAR
    assert client.get(reverse("monitoring:dashboard"), {"area": "64.71.06.1005"}).status_code == 403


def test_commands_refresh_and_print_values(city: dict[str, Any]) -> None:
    out = StringIO()
    call_command("indicator", "refresh", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["full"] is False and result["facts_written"] == 0
    out = StringIO()
    call_command("indicator", "values", "school-7-18", "--by", "area", "--json", stdout=out)
    values = json.loads(out.getvalue())["values"]
    assert len(values) == 6 and all(v["period"] == f"{timezone.localdate():%Y-%m}" for v in values)
    out = StringIO()
    call_command("indicator", "values", "school-7-18", "--by", "sex", "--json", stdout=out)
    assert {v["category"] for v in json.loads(out.getvalue())["values"]} == {"female", "male"}


def _survey_with_poor_everywhere(year: int) -> None:
    """A survey round of 60 households in each kelurahan, about 15 % of them poor (a poorer city than
    the synthetic one, whose 2 % leave most kelurahan without a sampled poor household)."""
    import numpy as np

    from entas.monitoring.models import SurveyHousehold, SurveyRound
    from entas.regions.models import Region

    rng = np.random.default_rng(7)
    survey = SurveyRound.objects.create(name="Survei uji", year=year)
    rows = []
    for k, region in enumerate(Region.objects.filter(level=4).order_by("code")):
        shift = 0.3 * np.sin(k)
        for i in range(60):
            rows.append(
                SurveyHousehold(
                    survey=survey,
                    kelurahan=region,
                    stratum=region.code[:8],
                    psu=f"{region.code}-{i // 10}",
                    weight=100.0,
                    household_size=4,
                    consumption_per_capita=int(np.exp(rng.normal(14.0 + shift, 0.45))),
                )
            )
    SurveyHousehold.objects.bulk_create(rows)


def test_sae_fit_reports_every_kelurahan(
    city: dict[str, Any], client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    _survey_with_poor_everywhere(2024)
    out = StringIO()
    call_command("sae", "fit", "--indicator", "p0", "--year", "2024", "--json", stdout=out)
    result = json.loads(out.getvalue())
    rows = result["kelurahan"]
    assert len(rows) == 34
    population_weighted = result["city_direct"]
    assert all(r["rmse"] >= 0 and 0 <= r["gamma"] <= 1 for r in rows)
    assert all(r["unreliable"] == (r["cv"] is None or r["cv"] > 0.25) for r in rows)
    assert population_weighted > 0
    assert sum(r["in_model"] for r in rows) >= 30
    from entas.monitoring.models import SurveyHousehold

    weights = {}
    for code, size in SurveyHousehold.objects.filter(survey__year=2024).values_list(
        "kelurahan__code", "household_size"
    ):
        weights[code] = weights.get(code, 0) + 100 * size
    total = sum(weights[r["code"]] * r["benchmarked"] for r in rows) / sum(weights.values())
    assert total == pytest.approx(result["city_direct"])  # benchmarked to the city's direct estimate
    page = client_for(tkpk_analyst).get(reverse("monitoring:small_area"), {"year": "2024"})
    assert page.status_code == 200 and 'id="sae-table"' in page.content.decode()


def test_the_framework_page_and_api(
    city: dict[str, Any], client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    from entas.core.errors import Refused
    from entas.monitoring import services
    from entas.policy.models import Plan

    data = yaml.safe_load(demo.EXAMPLE.read_text(encoding="utf-8"))
    with pytest.raises(Refused, match="problem"):
        services.load_indicators(data=data, actor=tkpk_analyst)  # the plan is not in the register yet
    rpkd = Plan.objects.create(code="RPKD-2025-2029", title="RPKD", start_year=2025, end_year=2029)
    counts = services.load_indicators(data=data, actor=tkpk_analyst)
    assert counts["results"] == 6 and counts["targets"] > 10
    assert Result.objects.get(code="O1").parent.code == "I1"
    assert Result.objects.get(code="I1").plan == rpkd
    client = client_for(tkpk_analyst)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("monitoring:framework"))
    assert 'id="framework"' in page.content.decode() and "2.23" in page.content.decode()
    api = client.get("/api/v1/monitoring/framework").json()
    assert {r["code"] for r in api} == {"I1", "O1", "O2", "P1", "P2", "P3"}
    values = client.get("/api/v1/monitoring/indicators/school-7-18/values", {"by": "area"}).json()
    assert len(values) == 6


def test_a_programme_dashboard_shows_reach_money_and_outcomes(
    plan: Any, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    from entas.monitoring import services
    from entas.policy.models import ProgrammeRecord

    record = ProgrammeRecord.objects.get(code="P2.1")
    services.define_indicator(
        spec={"code": "working", "name": "Bekerja", "kind": "registry", "unit": "members", "numerator": "working",
              "denominator": "age >= 15"},
        actor=tkpk_analyst,
    )  # fmt: skip
    services.load_indicators(
        data={"framework": {"programme": "P2.1", "results": [
            {"code": "P2.1-O", "level": "outcome", "statement": "Lulusan bekerja",
             "indicators": [{"indicator": "working", "baseline": 40, "targets": {2026: 50}}]}]}},
        actor=tkpk_analyst,
    )  # fmt: skip
    client = client_for(tkpk_analyst)
    client.cookies["django_language"] = "en"
    framework = client.get(reverse("monitoring:framework")).content.decode()
    assert reverse("monitoring:programme", args=[record.pk]) in framework
    page = client.get(reverse("monitoring:programme", args=[record.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="reach"' in html and 'id="money"' in html
    assert page.context["money"] and page.context["money"][0]["budget"] > 0
    assert [o["indicator"].code for o in page.context["outcomes"]] == ["working"]


def test_the_refresh_is_started_from_the_dashboard(
    city: dict[str, Any], client_for: Callable[[User], Client], tkpk_analyst: User, auditor: User
) -> None:
    from entas.core.models import Job

    client = client_for(tkpk_analyst)
    page = client.get(reverse("monitoring:dashboard"))
    assert page.context["can_refresh"] and page.context["last_refresh"] is not None
    response = client.post(reverse("monitoring:dashboard"), {"full": "1"})
    job = Job.objects.get(kind="monitoring.refresh_indicators")
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.params == {"full": True}
    assert client_for(auditor).post(reverse("monitoring:dashboard"), {"full": "1"}).status_code == 403
