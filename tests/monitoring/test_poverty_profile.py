from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.measures import fgt, gini
from entas.monitoring.models import PovertyLine, SurveyHousehold
from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
from entas.synth import SynthConfig, build, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(regions: Any) -> None:
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)


@pytest.fixture
def survey(regions: Any, lines: None, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("synth")
    write(build(SynthConfig(households=6000, seed=2, survey_size=900)), out)
    return import_survey(path=out / "survey.csv", name="Susenas sintetis", year=2025, actor=None)


def test_the_balikpapan_lines_load_with_their_flags(lines: None) -> None:
    assert PovertyLine.objects.get(kind="national", period=2024).rupiah_per_capita_month == 782248
    assert PovertyLine.objects.get(kind="extreme", period=2025).confirmed is False
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)  # idempotent
    assert PovertyLine.objects.count() == 8


def test_a_bad_lines_file_loads_nothing(regions: Any) -> None:
    with pytest.raises(Refused, match="not national or extreme"):
        load_poverty_lines(
            text="region_code,kind,name,period,rupiah_per_capita_month\n64.71,garis,x,2024,1\n", actor=None
        )
    assert not PovertyLine.objects.exists()


def test_a_bad_survey_file_imports_nothing(regions: Any, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "kelurahan_code,stratum,psu,weight,household_size,consumption_per_capita\n"
        "64.71.01.1001,a,1,10,3,100\n64.71.99.9999,a,1,10,3,100\n64.71.01.1001,a,1,x,3,100\n"
    )
    with pytest.raises(Refused) as caught:
        import_survey(path=path, name="x", year=2025, actor=None)
    assert len(caught.value.problems) == 2
    assert not SurveyHousehold.objects.exists()


def test_the_profile_command_prints_the_city_and_areas_with_standard_errors(survey: Any) -> None:
    out = StringIO()
    call_command("poverty_profile", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["line"] == 782248
    assert len(data["areas"]) == 6
    rows = SurveyHousehold.objects.filter(survey=survey).values_list(
        "consumption_per_capita", "household_size", "weight"
    )
    y, size, w = (np.asarray(c, dtype=float) for c in zip(*rows, strict=True))
    assert data["total"]["p0"]["value"] == pytest.approx(fgt(y, 782248, 0, weights=w * size))
    assert data["total"]["gini"]["value"] == pytest.approx(gini(y, weights=w * size))
    assert data["total"]["p0"]["se"] > 0
    assert data["extreme_line_confirmed"] is False
    text = StringIO()
    call_command("poverty_profile", "--by", "kelurahan", "--line", "900000", stdout=text)
    assert "Kota (total)" in text.getvalue() and "UNCONFIRMED" in text.getvalue()


def test_the_command_says_what_is_missing(regions: Any) -> None:
    with pytest.raises(CommandError, match="import_survey"):
        call_command("poverty_profile", stdout=StringIO())


def test_the_page_shows_the_profile_for_the_users_areas(
    survey: Any, client_for: Callable[[User], Client], tkpk_analyst: User, operator_manggar: User
) -> None:
    page = client_for(tkpk_analyst).get(reverse("monitoring:poverty_profile"))
    assert page.status_code == 200
    assert len(page.context["rows"]) == 6 and page.context["map_spec"] and page.context["bars_spec"]
    own = client_for(operator_manggar).get(reverse("monitoring:poverty_profile"), {"by": "kelurahan"})
    assert [r["code"] for r in own.context["rows"]] in ([], ["64.71.01.1001"])
    assert own.context["total"]["households"] == SurveyHousehold.objects.filter(kelurahan__code="64.71.01.1001").count()
    # A kelurahan operator opens the page on their kelurahan (by kecamatan they would see no row)...
    opened = client_for(operator_manggar).get(reverse("monitoring:poverty_profile"))
    assert opened.context["by"] == "kelurahan" and [r["code"] for r in opened.context["rows"]] == ["64.71.01.1001"]
    # ...and may still ask for the kecamatan level, where no area is wholly theirs.
    by_kecamatan = client_for(operator_manggar).get(reverse("monitoring:poverty_profile"), {"by": "kecamatan"})
    assert by_kecamatan.context["rows"] == []
    assert client_for(tkpk_analyst).get(reverse("monitoring:poverty_profile")).context["by"] == "kecamatan"


def test_a_partner_without_sampled_households_gets_an_explanation_not_a_server_error(
    survey: Any, client_for: Callable[[User], Client], partner: User
) -> None:
    # A partner has no areas: none of the survey's households lies in them (the total was NaN and
    # the page answered 500 "cannot convert float NaN to integer").
    client = client_for(partner)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("monitoring:poverty_profile"))
    assert page.status_code == 200
    assert "has no sampled household in your areas" in page.content.decode()
    assert "rows" not in page.context


def test_the_page_refuses_a_bad_line_and_explains_an_empty_state(
    regions: Any, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    client = client_for(tkpk_analyst)
    assert "import_survey" in client.get(reverse("monitoring:poverty_profile")).content.decode()


def test_a_line_that_is_not_a_number_is_refused(
    survey: Any, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    client = client_for(tkpk_analyst)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("monitoring:poverty_profile"), {"line": "banyak"})
    assert "is not a positive amount" in page.content.decode()
    assert page.context["line"] == 782248  # falls back to the configured line


def test_the_registry_profile_uses_the_pmt_predictions(
    regions: Any, lines: None, tmp_path: Path, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    from entas.registry.importer import import_registry
    from entas.targeting.services import fit_model, score_registry

    write(build(SynthConfig(households=1500, seed=4, survey_size=400)), tmp_path)
    import_registry(tmp_path / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    survey = import_survey(path=tmp_path / "survey.csv", name="Susenas sintetis", year=2025, actor=None)
    with pytest.raises(CommandError, match="No PMT model"):
        call_command("poverty_profile", "--source", "registry", stdout=StringIO())
    score_registry(model=fit_model(survey=survey, kind="wls", line=782248, actor=None), actor=None)
    out = StringIO()
    call_command("poverty_profile", "--source", "registry", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["source"] == "registry" and data["total"]["households"] == 1500
    assert data["total"]["p0"]["se"] == 0  # every household counted: no sampling error
    page = client_for(tkpk_analyst).get(reverse("monitoring:poverty_profile"), {"source": "registry"})
    assert page.status_code == 200 and page.context["model"].version == 1 and len(page.context["rows"]) == 6


def test_an_area_without_poor_sampled_households_says_so_not_zero_with_zero_error(
    survey: Any, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    # At a line below every household's consumption no sampled household is poor: the page showed
    # "0,00 / SE 0,00 / CI 0,00–0,00", which reads as certainty.
    client = client_for(tkpk_analyst)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("monitoring:poverty_profile"), {"by": "kelurahan", "line": "1"})
    text = page.content.decode()
    assert page.status_code == 200 and all(r["no_poor_sampled"] for r in page.context["rows"])
    assert "No poor household in the sample" in text
    assert "not because the estimate is certain" in text
    assert "0.00–0.00" not in text


def test_the_profile_headers_and_charts_are_in_indonesian(
    survey: Any, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    page = client_for(tkpk_analyst).get(reverse("monitoring:poverty_profile"))
    text = page.content.decode()
    assert "Selang kepercayaan (95 persen)" in text and ">GB</abbr>" in text
    assert "95% CI" not in json.dumps(page.context["bars_spec"])


@pytest.mark.parametrize("query", [{}, {"by": "kelurahan"}, {"source": "registry"}, {"year": "1999"}])
def test_the_partner_never_gets_a_server_error(
    survey: Any, client_for: Callable[[User], Client], partner: User, query: dict[str, str]
) -> None:
    assert client_for(partner).get(reverse("monitoring:poverty_profile"), query).status_code == 200
