"""The synthetic city: deterministic, valid, calibrated, with a proper survey, labelled faults and a
panel whose treatment effect is known."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from entas.measures import fgt, gini
from entas.synth import REGISTRY_COLUMNS, SynthConfig, build, write
from entas.synth.faults import _typo
from entas.synth.population import generate


@pytest.fixture(scope="module")
def city_100k() -> Any:
    return build(SynthConfig(households=100_000, seed=11))


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_the_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    config = SynthConfig(households=800, seed=5, faults=0.05, waves=1)
    write(build(config), tmp_path / "a")
    write(build(SynthConfig(households=800, seed=5, faults=0.05, waves=1)), tmp_path / "b")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    write(build(SynthConfig(households=800, seed=6)), tmp_path / "c")
    assert digest(tmp_path / "a")["registry.csv"] != digest(tmp_path / "c")["registry.csv"]


@pytest.mark.integration  # a city-sized computation, not a unit test
def test_calibration_on_100000_households(city_100k: Any) -> None:
    h = city_100k.population.households
    targets = city_100k.population.city["targets"]
    people = h["_size"].astype(float)
    p0 = fgt(h["_consumption_pc"], targets["poverty_line"], 0, weights=people)
    assert abs(p0 - targets["p0"]) <= 0.003
    assert abs(gini(h["_consumption_pc"], weights=people) - targets["gini"]) <= 0.03
    p1 = fgt(h["_consumption_pc"], targets["poverty_line"], 1, weights=people)
    assert targets["p1"] / 3 <= p1 <= targets["p1"] * 3  # the same order as BPS reports
    for row in city_100k.report["kecamatan_population_shares"].values():
        assert abs(row["generated"] - row["target"]) <= 0.01, row
    generated = city_100k.report["generated"]
    assert abs(generated["unemployment_rate"] - targets["unemployment_rate"]) <= 0.01
    assert generated["mean_poor_household_size"] > generated["mean_household_size"] + 1
    assert 0.4 <= generated["pmt_r2"] <= 0.6


def test_the_survey_is_stratified_clustered_and_weighted_to_the_population(city_100k: Any) -> None:
    s = city_100k.survey
    h = city_100k.population.households
    assert s["weight"].sum() == pytest.approx(city_100k.population.n_households, rel=1e-6)
    for stratum in np.unique(h["_kecamatan"]):
        in_sample = s["stratum"] == stratum
        assert s["weight"][in_sample].sum() == pytest.approx((h["_kecamatan"] == stratum).sum(), rel=1e-6)
        assert np.unique(s["psu"][in_sample]).size >= 2
    # The survey estimate of P0 is close to the city's value.
    line = city_100k.population.city["targets"]["poverty_line"]
    estimate = fgt(s["consumption_per_capita"], line, 0, weights=s["weight"] * s["household_size"])
    assert abs(estimate - city_100k.report["generated"]["p0"]) < 0.02


def test_every_column_is_a_registry_import_column() -> None:
    from entas.registry.columns import COLUMN_NAMES

    assert set(REGISTRY_COLUMNS) <= set(COLUMN_NAMES)


@pytest.mark.django_db
def test_every_generated_record_passes_the_registry_validation(regions: Any, tmp_path: Path) -> None:
    from entas.registry.importer import import_registry
    from entas.registry.models import Household, Member

    city = build(SynthConfig(households=1500, seed=3))
    write(city, tmp_path)
    summary = import_registry(tmp_path / "registry.csv", actor=None, rejection_path=tmp_path / "rejected.csv")
    assert summary.rejected == 0, (tmp_path / "rejected.csv").read_text()[:2000]
    assert summary.inserted == city.population.n_members
    assert Household.objects.count() == 1500
    assert Member.objects.count() == city.population.n_members


@pytest.mark.django_db
def test_faults_are_labelled_and_caught_where_they_should_be(regions: Any, tmp_path: Path) -> None:
    from entas.registry.importer import import_registry
    from entas.registry.models import Member

    city = build(SynthConfig(households=2000, seed=4, faults=0.03))
    write(city, tmp_path)
    with (tmp_path / "duplicates.csv").open() as handle:
        pairs = list(csv.DictReader(handle))
    assert len(pairs) == round(0.03 * (city.population.n_members - len(pairs)))
    with (tmp_path / "registry.csv").open() as handle:
        rows = {r["nik"]: r for r in csv.DictReader(handle)}
    for pair in pairs:
        a, b = rows[pair["nik_a"]], rows[pair["nik_b"]]
        assert a["nik"] != b["nik"] and a["kk_number"] != b["kk_number"]
        assert sum(x != y for x, y in zip(a["nik"], b["nik"], strict=True)) <= 2
    summary = import_registry(tmp_path / "registry.csv", actor=None, rejection_path=tmp_path / "rejected.csv")
    assert summary.rejected > 0  # invalid NIKs and blank birth dates reject their families
    reasons = (tmp_path / "rejected.csv").read_text(encoding="utf-8-sig")
    assert "month 13" in reasons and "birth_date is required" in reasons
    landed = set(Member.objects.values_list("nik", flat=True))
    assert all(p["nik_a"] in landed and p["nik_b"] in landed for p in pairs)  # duplicates import, for dedup


def test_typos_change_one_letter() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        typo = _typo("Siti Aminah", rng)
        assert typo != "Siti Aminah" and abs(len(typo) - len("Siti Aminah")) <= 1


@pytest.mark.integration  # a city-sized computation, not a unit test
def test_the_panel_recovers_the_known_treatment_effect() -> None:
    city = build(SynthConfig(households=20_000, seed=9, waves=1, treatment_effect=0.10))
    p = city.panel
    assert p is not None
    base, after = p["wave"] == 0, p["wave"] == 1
    change = np.log(p["consumption_per_capita"][after]) - np.log(p["consumption_per_capita"][base])
    treated = p["treated"][base]
    desil = city.population.households["desil_city"]
    # Difference in differences within desil 1-3, where treatment was randomised: close to the truth.
    eligible = desil <= 3
    estimate = change[eligible & treated].mean() - change[eligible & ~treated].mean()
    assert estimate == pytest.approx(0.10, abs=0.02)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        SynthConfig(households=3)
    with pytest.raises(ValueError, match=r"no calibration file for city 99\.99"):
        generate(SynthConfig(households=100, city="99.99"))


def test_the_command_writes_files_and_reports_as_json(tmp_path: Path) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "synth", "--households", "300", "--out", str(tmp_path), "--report", "--json", "--survey-size", "50", stdout=out
    )
    report = json.loads(out.getvalue())
    assert set(report) >= {"generated", "targets", "kecamatan_population_shares"}
    assert report["targets"]["p0"] == 0.0223
    assert (tmp_path / "registry.csv").exists() and (tmp_path / "manifest.json").exists()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["options"]["households"] == 300


@pytest.mark.django_db
def test_seed_demo_generates_and_loads_a_synthetic_city(settings: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    from entas.registry.models import Household

    settings.DEBUG = True
    call_command("seed_demo", "--households", "200", "--json", stdout=StringIO())
    assert Household.objects.count() == 200
    from entas.monitoring.models import PovertyLine, SurveyRound

    assert SurveyRound.objects.get().households.count() > 0  # the sample survey, for the poverty profile
    assert PovertyLine.objects.filter(period=2024, kind="national").exists()
    from entas.registry.models import ChangeRequest

    # a correction waits in the change-request queue (entas.registry.demo)
    assert ChangeRequest.objects.filter(kind="correct_member", status="pending").count() == 1


@pytest.mark.django_db
def test_seed_demo_leaves_fitted_models_and_rule_versions_for_the_targeting_pages(settings: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    from entas.targeting.models import EligibilityRule, HouseholdScore, PmtModel
    from entas.targeting.selectors import model_in_use

    settings.DEBUG = True
    call_command("seed_demo", "--households", "600", "--json", stdout=StringIO())
    models = list(PmtModel.objects.order_by("version"))
    assert [(m.kind, bool(m.chosen_at)) for m in models] == [("wls", True), ("gbm", False)]
    assert model_in_use() == models[0] and HouseholdScore.objects.filter(model=models[0]).count() == 600
    assert {r.name: r.versions.count() for r in EligibilityRule.objects.all()} == {
        "BLT Kota": 2,
        "Bantuan Disabilitas": 1,
        "Desil 1-2 DTSEN (demo)": 1,  # the demo programme's rule
    }
    call_command("seed_demo", "--json", stdout=StringIO())  # a second run adds nothing
    assert PmtModel.objects.count() == 2
