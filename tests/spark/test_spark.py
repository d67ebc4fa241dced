"""The path from a city to a nation: the linkage model on splink's Spark backend, PMT scoring and
registry indicators on Spark over the partitioned Parquet export — each equal to what entas computes
on DuckDB and in the database, on a small synthetic city.

Opt-in (marker ``spark``; ``make spark-test`` installs the optional extra and runs them): pyspark is
about 300 MB and a Spark session takes seconds to start, so the default run leaves them out.
Spark runs in local mode on at most two cores (entas.core.spark)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")

from django.core.management import call_command

from entas.core import spark
from entas.dedup import linkage
from entas.dedup.evaluation import found_pairs, labelled_city
from tests.helpers import city_files

pytestmark = [pytest.mark.spark, pytest.mark.integration]


@pytest.fixture(scope="module")
def session() -> Iterator[Any]:
    os.environ.setdefault("ENTAS_SPARK_PARTITIONS", "4")
    yield spark.session()
    spark.stop()


def _by_pair(records: list[dict[str, Any]]) -> dict[tuple[int, int], float]:
    return {
        (min(int(r["unique_id_l"]), int(r["unique_id_r"])), max(int(r["unique_id_l"]), int(r["unique_id_r"]))): float(
            r["match_probability"]
        )
        for r in records
    }


def test_the_linkage_model_finds_the_same_pairs_with_the_same_scores_on_spark_and_duckdb(session: Any) -> None:
    records, truth = labelled_city(city_files(households=800, seed=5, faults=0.02, survey_size=10))
    table = linkage.member_frame(records)
    duck = linkage.database_api("duckdb")
    on_spark = linkage.database_api("spark")
    # The prior is estimated by each backend from the city (a deterministic rule: the same count).
    trained = linkage.use_default(table, db_api=duck)
    again = linkage.use_default(table, db_api=on_spark)
    assert again.model["sql_dialect"] == "spark"
    assert again.model["probability_two_random_records_match"] == pytest.approx(
        trained.model["probability_two_random_records_match"], rel=1e-12
    )
    # The same model (saved on DuckDB: its SQL rebuilt for Spark) predicts the same pairs and scores.
    model = trained.model
    expected = _by_pair(linkage.predict(linkage.make_linker(table, model, db_api=duck), threshold=0.5).as_record_list())
    got = _by_pair(linkage.predict(linkage.make_linker(table, model, db_api=on_spark), threshold=0.5).as_record_list())
    assert len(expected) >= 0.8 * len(truth) and set(got) == set(expected)
    # Measured: 2e-6 at most. (No pair of this city falls between DuckDB's and the Spark jar's
    # Jaro-Winkler, which differ: docs/scaling.md; at 100,000 members a few pairs do.)
    assert max(abs(got[k] - expected[k]) for k in expected) < 1e-5
    assert found_pairs({"unique_id_l": a, "unique_id_r": b} for a, b in got) & truth


def test_the_model_trained_by_em_on_spark_finds_the_planted_duplicates_as_duckdbs_does(session: Any) -> None:
    """Training without labels (u by sampling, EM in two sessions) runs on Spark: the same evidence
    of duplicates, EM chosen, and the same accuracy as on DuckDB. (u is sampled by each engine's own
    random draw, so the two models' parameters are close, not equal.)"""
    from entas.dedup.evaluation import accuracy

    records, truth = labelled_city(city_files(households=1000, seed=5, faults=0.03, survey_size=10))
    table = linkage.member_frame(records)
    results = {}
    for backend in ("duckdb", "spark"):
        trained = linkage.train(table, db_api=linkage.database_api(backend))
        found = found_pairs(linkage.predict(trained.linker, threshold=0.5).as_record_list())
        results[backend] = (trained.summary, accuracy(found, truth))
    assert results["spark"][0] == results["duckdb"][0] and results["spark"][0]["m_source"] == "em"
    precision, recall, _f1 = results["spark"][1]
    assert precision >= 0.95 and recall >= 0.95
    assert results["spark"][1] == pytest.approx(results["duckdb"][1], abs=0.02)


@pytest.mark.django_db
def test_a_dedup_run_on_spark_stores_the_pairs_a_duckdb_run_stores(regions: Any, session: Any, tmp_path: Path) -> None:
    from entas.dedup import services
    from entas.dedup.models import DuplicatePair
    from entas.registry.importer import import_registry

    files = city_files(households=400, seed=6, faults=0.03, survey_size=10)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    services.train(actor=None, default=True)
    first = services.run(actor=None, backend="duckdb")
    expected = {(p.member_l_id, p.member_r_id): p.probability for p in DuplicatePair.objects.filter(run=first)}
    second = services.run(actor=None, backend="spark")
    got = {(p.member_l_id, p.member_r_id): p.probability for p in DuplicatePair.objects.filter(run=second)}
    assert expected and set(got) == set(expected)
    assert max(abs(got[k] - expected[k]) for k in expected) < 1e-5
    assert second.clusters == first.clusters


# -- PMT scoring and registry indicators over the partitioned export -----------------------------------

INDICATORS = [
    # (code, unit, numerator, denominator): the registry indicators of docs/examples/indicators-balikpapan.yaml
    ("sdg-1-2-2", "members", "dtsen_desil <= 4 and floor_area_per_person < 8", "true"),
    ("sdg-1-3-1", "members", "pbi or receives_pkh or receives_bpnt", "true"),
    ("school-7-18", "members", "in_school", "age >= 7 and age <= 18"),
    ("pbi-desil-1-4", "members", "pbi", "dtsen_desil <= 4"),
    ("working-15-64", "members", "working", "age >= 15 and age <= 64"),
    ("pkh-desil-1-2", "households", "receives_pkh", "dtsen_desil <= 2"),
    ("desil-1-3", "households", "dtsen_desil <= 3", "true"),
    ("tpt-proxy", "members", "not working and not in_school", "age >= 15 and age <= 64 and (working or not in_school)"),
    ("not-desil-1-2", "households", "dtsen_desil not in [1, 2] and size != 4", "not has_car"),
]


@pytest.fixture
def scored_city(regions: Any, make_user: Any, tmp_path: Path) -> dict[str, Any]:
    from entas.accounts.roles import Role
    from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
    from entas.registry.importer import import_registry
    from entas.targeting import services

    files = city_files(households=1500, seed=21, survey_size=600)
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    survey = import_survey(path=files / "survey.csv", name="Susenas sintetis", year=2025, actor=None)
    model = services.fit_model(survey=survey, kind="wls", line=782248, actor=None)
    services.score_registry(model=model, actor=None)
    user = make_user("dinsos.export", Role.DINSOS_MANAGER, ["64.71"])
    out = tmp_path / "export"
    call_command("export", "parquet", "--out", str(out), "--as", user.username, stdout=open(os.devnull, "w"))  # noqa: SIM115
    return {"model": model, "export": out}


@pytest.mark.django_db
def test_the_export_is_partitioned_by_kabupaten_and_kecamatan(scored_city: dict[str, Any]) -> None:
    from entas.registry.models import Member

    out = scored_city["export"]
    folders = sorted(str(p.parent.relative_to(out)) for p in out.rglob("*.parquet"))
    assert folders and all(f.startswith("kabupaten=64.71/kecamatan=64.71.0") for f in folders)
    import pyarrow.dataset as ds

    table = ds.dataset(str(out), format="parquet", partitioning="hive").to_table()
    assert table.num_rows == Member.objects.filter(exited_on__isnull=True).count()
    with pytest.raises(Exception, match="not empty"):
        call_command("export", "parquet", "--out", str(out), "--as", "dinsos.export")


@pytest.mark.django_db
def test_spark_scores_and_ranks_the_export_as_entas_scores_the_registry(
    scored_city: dict[str, Any], session: Any
) -> None:
    from entas.targeting import spark as targeting_spark
    from entas.targeting.models import HouseholdScore

    model = scored_city["model"]
    design, coefficients = targeting_spark.model_terms(model)
    rows = targeting_spark.read_export(session, str(scored_city["export"]))
    scored = targeting_spark.score(rows, design=design, coefficients=coefficients, today=dt.date.today())
    got = {r["household_id"]: r for r in scored.collect()}
    expected = {s.household_id: s for s in HouseholdScore.objects.filter(model=model)}
    assert len(got) == len(expected) == 1500
    assert max(abs(got[k]["score"] - float(expected[k].score)) for k in expected) < 1e-9
    assert all(got[k]["desil"] == expected[k].desil for k in expected)
    assert all(abs(got[k]["predicted_consumption"] - expected[k].predicted_consumption) <= 1 for k in expected)
    assert sorted({r["desil"] for r in got.values()}) == list(range(1, 11))


@pytest.mark.django_db
def test_spark_counts_registry_indicators_by_kelurahan_as_the_engine_does(
    scored_city: dict[str, Any], session: Any
) -> None:
    from django.utils import timezone

    from entas.monitoring import engine
    from entas.monitoring import spark as monitoring_spark
    from entas.monitoring.models import Indicator
    from entas.registry.models import Household
    from entas.targeting import spark as targeting_spark
    from entas.targeting.data import RuleData

    indicators = [
        Indicator(code=c, name=c, kind="registry", unit=u, numerator=n, denominator=d, disaggregations=[])
        for c, u, n, d in INDICATORS
    ]
    today = timezone.localdate()
    names = engine._rule_names(indicators)
    h, m = RuleData(Household.objects.all(), model_id=None, today=today, names=names).arrays(names)
    areas = engine.Areas()
    groups = engine.Groups(h, m, areas)
    rows = targeting_spark.read_export(session, str(scored_city["export"]))
    got = monitoring_spark.counts(rows, indicators, today=today)
    for indicator in indicators:
        expected = {
            areas.code[pk]: (n, d) for pk, dim, _cat, n, d in engine.registry_counts(indicator, groups) if not dim
        }
        assert got[indicator.code] == expected, indicator.code
        assert sum(n for n, _d in expected.values()) > 0, indicator.code


@pytest.mark.django_db
def test_an_aggregate_over_members_is_refused_by_name_on_spark() -> None:
    from entas.monitoring import spark as monitoring_spark

    with pytest.raises(monitoring_spark.NotOnSpark, match="count"):
        monitoring_spark.expression("count(members, age < 5) >= 1", on="households")


@pytest.mark.django_db
def test_the_spark_commands_score_the_export_and_count_the_indicators(
    scored_city: dict[str, Any], session: Any, tmp_path: Path
) -> None:
    import io
    import json

    import pyarrow.dataset as ds

    from entas.monitoring.models import Indicator
    from entas.targeting.models import HouseholdScore

    out = io.StringIO()
    call_command(
        "spark", "score", "--parquet", str(scored_city["export"]), "--out", str(tmp_path / "s"), "--json", stdout=out
    )
    result = json.loads(out.getvalue())
    assert result["model"] == scored_city["model"].version and result["households"] == 1500
    written = ds.dataset(str(tmp_path / "s"), format="parquet", partitioning="hive").to_table().to_pylist()
    desil = dict(HouseholdScore.objects.values_list("household_id", "desil"))
    assert {r["household_id"]: r["desil"] for r in written} == desil

    for code, unit, numerator, denominator in INDICATORS[:3]:
        Indicator.objects.create(
            code=code, name=code, kind="registry", unit=unit, numerator=numerator, denominator=denominator
        )
    out = io.StringIO()
    csv_file = tmp_path / "indicators.csv"
    call_command(
        "spark", "indicators", "--parquet", str(scored_city["export"]), "--out", str(csv_file), "--json", stdout=out
    )
    result = json.loads(out.getvalue())
    assert result["indicators"] == 3 and result["totals"]["school-7-18"][1] > 0
    assert csv_file.read_text().splitlines()[0] == "indicator,kelurahan,numerator,denominator"


def test_the_spark_benchmark_runs_at_a_toy_size(tmp_path: Path) -> None:
    """benchmarks/spark.py at a toy size, in its own process (tests/test_benchmarks.py does the others)."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "spark.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENTAS_", "DJANGO_"))}
    env["ENTAS_VAR_DIR"] = str(tmp_path)
    env["ENTAS_SPARK_PARTITIONS"] = "4"
    done = subprocess.run(
        [sys.executable, str(script), "--members", "1500", "--repeat", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "the same: True" in done.stdout and "same desil: 100.0%" in done.stdout
