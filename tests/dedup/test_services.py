"""Deduplication on the registry: runs and their pairs, the command line, reviewer decisions,
merge and unmerge with history preserved, area scoping."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.dedup import default_model, linkage, selectors, services
from entas.dedup.evaluation import labelled_city
from entas.dedup.models import DuplicatePair, MemberMerge
from entas.regions.models import Region
from entas.registry.importer import import_registry
from entas.registry.models import Household, Member, Membership
from entas.synth import SynthConfig, build, write
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.helpers import city_files, make_pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(regions: Any, tmp_path: Path) -> set[tuple[str, str]]:
    """A labelled synthetic city loaded through the import; returns the true duplicate NIK pairs."""
    files = city_files(households=1500, seed=21, faults=0.03, survey_size=10)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "rejected.csv")
    with (files / "duplicates.csv").open() as handle:
        return {tuple(sorted((p["nik_a"], p["nik_b"]))) for p in csv.DictReader(handle)}  # type: ignore[misc]


def test_a_run_finds_the_planted_duplicates_and_writes_the_pairs(
    city: set[tuple[str, str]], dinsos_manager: User, tmp_path: Path
) -> None:
    out = StringIO()
    call_command(
        "dedup", "run", "--as", dinsos_manager.username, "--out", str(tmp_path / "pairs.csv"), "--json", stdout=out
    )
    result = json.loads(out.getvalue())
    assert result["model"] == 1 and result["members"] == Member.objects.count()
    with (tmp_path / "pairs.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == result["pairs"] > 0
    assert set(rows[0]) >= {"id_l", "nik_l", "id_r", "nik_r", "match_probability", "cluster_id"}
    found = {tuple(sorted((r["nik_l"], r["nik_r"]))) for r in rows}
    hits = len(found & city)
    assert hits / len(city) >= 0.9 and hits / len(found) >= 0.85
    assert all(float(r["match_probability"]) >= 0.5 for r in rows)
    # The model is versioned, with its chart; the run names it; the queue holds the pairs.
    run = services.DedupRun.objects.get(pk=result["run"])
    assert run.model.match_weights_chart["data"]["values"]
    assert selectors.queue_for(dinsos_manager).count() == len(rows)
    assert AuditEvent.objects.filter(action="dedup.run").exists()
    # A second run supersedes the first's pending pairs and keeps decisions already taken.
    pair = selectors.queue_for(dinsos_manager).first()
    assert pair is not None
    services.decide(pair=pair, decision="different", reason="twins, checked at the kelurahan", actor=dinsos_manager)
    again = services.run(actor=dinsos_manager)
    assert selectors.queue_for(dinsos_manager).filter(run=again).count() == again.pairs - 1
    kept = DuplicatePair.objects.get(run=again, member_l=pair.member_l, member_r=pair.member_r)
    assert kept.decision == "different" and kept.reason.startswith("twins")
    assert not DuplicatePair.objects.filter(run=run, superseded=False, decision="").exists()


def test_a_kelurahan_run_stays_in_the_kelurahan(
    city: set[tuple[str, str]], operator_manggar: User, regions: dict[str, Region], dinsos_manager: User
) -> None:
    services.train(actor=dinsos_manager)
    run = services.run(actor=operator_manggar, kelurahan=regions[MANGGAR])
    assert run.members == Member.objects.filter(household__kelurahan__code=MANGGAR, exited_on__isnull=True).count()
    for pair in run.pair_set.all():
        assert pair.member_l.household.kelurahan.code == MANGGAR == pair.member_r.household.kelurahan.code
    with pytest.raises(Refused, match="outside your areas"):
        services.run(actor=operator_manggar, kelurahan=regions[DAMAI])
    with pytest.raises(Refused, match="whole registry"):
        services.run(actor=operator_manggar)


def test_an_empty_registry_has_nothing_to_train_on(regions: Any, dinsos_manager: User) -> None:
    for default in ([], ["--default"]):
        with pytest.raises(CommandError, match="no members to compare"):
            call_command("dedup", "train", *default, "--as", dinsos_manager.username, stdout=StringIO())


def test_a_tiny_registry_is_told_why_it_cannot_train_and_can_use_the_default_model(
    twins: tuple[Member, Member], dinsos_manager: User, operator_manggar: User
) -> None:
    from entas.core import jobqueue

    # The first run would train a model: the job says why it cannot, and what to do instead.
    job = jobqueue.submit(kind="dedup.run", params={"kelurahan": MANGGAR}, actor=operator_manggar, queue=False)
    jobqueue.execute(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "too few to learn" in job.error and "--default" in job.error
    with pytest.raises(CommandError, match=r"holds 6 members: too few to learn .*entas dedup train --default"):
        call_command("dedup", "train", "--as", dinsos_manager.username, stdout=StringIO())
    with translation.override("id"), pytest.raises(Refused, match="terlalu sedikit untuk mempelajari"):
        services.train(actor=dinsos_manager)
    out = StringIO()
    call_command("dedup", "train", "--default", "--as", dinsos_manager.username, "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["model"], result["m_source"], result["reason"]) == (1, "default", "chosen")
    assert "default model shipped with entas (v1" in result["note"]
    run = services.run(actor=dinsos_manager)
    # (The fixture's other members, born on one day with names one digit apart, look alike too.)
    assert tuple(sorted(m.pk for m in twins)) in {(p.member_l_id, p.member_r_id) for p in run.pair_set.all()}


def test_a_registry_without_duplicates_trains_with_the_default_models_m_and_says_so(
    regions: Any, dinsos_manager: User, tmp_path: Path
) -> None:
    # `entas seed_demo --households 350` (no faults): 1,061 members. Before, EM failed here with
    # "math domain error" (as at 3,000 households), elsewhere with "m_probability … below the minimum".
    write(build(SynthConfig(households=350, seed=1, faults=0.0, survey_size=10)), tmp_path)
    (tmp_path / "duplicates.csv").write_text("nik_a,nik_b\n")
    records, _truth = labelled_city(tmp_path)
    table = linkage.member_frame(records)
    assert table.num_rows >= services.MIN_MEMBERS
    model = services.train(actor=dinsos_manager, table=table)
    training = model.training
    assert (training["m_source"], training["reason"], training["default_model"]) == ("default", "few_duplicates", 1)
    assert training["likely_pairs"] < linkage.MIN_LEARNABLE_PAIRS and 0 < training["prior"] < 1e-5
    shipped = default_model.load()["comparisons"]
    for comparison in model.splink_model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                expected = shipped[comparison["output_column_name"]][level["label_for_charts"]]["m_probability"]
                assert level["m_probability"] == pytest.approx(max(expected, linkage.M_FLOOR))
    assert "Too few duplicates to learn from" in services.training_note(model)
    with translation.override("id"):
        assert "model bawaan" in services.training_note(model)
    assert AuditEvent.objects.filter(action="dedup.train").get().after["m_source"] == "default"
    # The model runs, and finds no one twice in a registry where no one is.
    linker = linkage.make_linker(table, model.splink_model)
    assert linkage.predict(linker, threshold=services.review_threshold()).as_record_list() == []


def test_reviewer_decisions_are_recorded_and_audited(
    twins: tuple[Member, Member], operator_manggar: User, operator_damai: User
) -> None:
    pair = make_pair(*twins)
    with pytest.raises(Refused, match="reason"):
        services.decide(pair=pair, decision="same", reason=" ", actor=operator_manggar)
    with pytest.raises(Refused, match="outside your areas"):
        services.decide(pair=pair, decision="same", reason="x", actor=operator_damai)
    with pytest.raises(Refused, match="Unknown decision"):
        services.decide(pair=pair, decision="maybe", reason="x", actor=operator_manggar)
    services.decide(pair=pair, decision="unsure", reason="ask the RT", actor=operator_manggar)
    assert selectors.queue_for(operator_manggar).filter(pk=pair.pk).exists()  # unsure stays in the queue
    services.decide(pair=pair, decision="same", reason="same KTP photo", actor=operator_manggar)
    pair.refresh_from_db()
    assert pair.decision == "same" and pair.decided_by == operator_manggar
    assert not selectors.queue_for(operator_manggar).filter(pk=pair.pk).exists()
    assert AuditEvent.objects.filter(action="dedup.decide").count() == 2
    assert not selectors.queue_for(operator_damai).exists()


def test_merge_asks_which_household_then_unmerge_restores_both(
    twins: tuple[Member, Member], dinsos_manager: User
) -> None:
    survivor, duplicate = twins
    pair = make_pair(survivor, duplicate)
    with pytest.raises(Refused, match="decided 'same person'"):
        services.merge(survivor=survivor, merged=duplicate, pair=pair, actor=dinsos_manager, reason="x")
    services.decide(pair=pair, decision="same", reason="same person", actor=dinsos_manager)
    with pytest.raises(Refused, match="two active households"):
        services.merge(survivor=survivor, merged=duplicate, pair=pair, actor=dinsos_manager, reason="x")
    before = {m.pk: (m.household_id, m.relationship, m.receives_pip) for m in twins}
    memberships_before = set(Membership.objects.values_list("pk", "member_id", "household_id", "end_date"))
    record = services.merge(
        survivor=survivor,
        merged=duplicate,
        pair=pair,
        household=duplicate.household,
        actor=dinsos_manager,
        reason="lives with the second family",
    )
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor and duplicate.exited_on is not None
    assert survivor.household == duplicate.household and survivor.receives_pip is True
    assert survivor.memberships.count() == 2  # the history moved to the survivor
    assert survivor.memberships.filter(end_date__isnull=True).get().household == duplicate.household
    assert selectors.households_with_open_duplicates() == set()  # merged: nothing left to resolve
    with pytest.raises(Refused, match="already been merged"):
        services.merge(survivor=survivor, merged=duplicate, actor=dinsos_manager, reason="again")
    services.unmerge(merge_record=record, actor=dinsos_manager, reason="wrong person after all")
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert {m.pk: (m.household_id, m.relationship, m.receives_pip) for m in (survivor, duplicate)} == before
    assert set(Membership.objects.values_list("pk", "member_id", "household_id", "end_date")) == memberships_before
    assert duplicate.merged_into is None and duplicate.exited_on is None
    assert MemberMerge.objects.get().unmerged_by == dinsos_manager
    assert AuditEvent.objects.filter(action__in=["dedup.merge", "dedup.unmerge"]).count() == 2
    with pytest.raises(Refused, match="already been undone"):
        services.unmerge(merge_record=record, actor=dinsos_manager, reason="again")


def test_merge_within_one_household_needs_no_choice_and_operators_cannot_merge(
    regions: dict[str, Region], dinsos_manager: User, operator_manggar: User
) -> None:
    home: Household = make_household(regions[MANGGAR], "6471010101200021", members=3)
    a, b = home.members.order_by("pk")[1:3]
    with pytest.raises(Refused, match="not allowed"):
        services.merge(survivor=a, merged=b, actor=operator_manggar, reason="same")
    services.merge(survivor=a, merged=b, actor=dinsos_manager, reason="entered twice in one KK")
    b.refresh_from_db()
    assert b.merged_into == a and a.household == home


def test_open_duplicates_name_the_households(twins: tuple[Member, Member], dinsos_manager: User) -> None:
    pair = make_pair(*twins)
    homes = {m.household_id for m in twins}
    assert selectors.households_with_open_duplicates() == homes
    assert selectors.households_with_open_duplicates([twins[0].household_id]) == {twins[0].household_id}
    services.decide(pair=pair, decision="different", reason="two people", actor=dinsos_manager)
    assert selectors.households_with_open_duplicates() == set()


def test_the_background_job_runs_and_offers_the_pairs(
    city: set[tuple[str, str]], operator_manggar: User, dinsos_manager: User, regions: dict[str, Region]
) -> None:
    from entas.core import jobqueue

    services.train(actor=dinsos_manager)
    job = jobqueue.submit(kind="dedup.run", params={"kelurahan": MANGGAR}, actor=operator_manggar, queue=False)
    jobqueue.execute(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.done == job.total == 4 and job.result["members"] > 0
    assert job.result_file and job.result_file.read().startswith(b"id_l,nik_l,id_r,nik_r")
    denied = jobqueue.submit(kind="dedup.run", params={"kelurahan": DAMAI}, actor=operator_manggar, queue=False)
    jobqueue.execute(denied.pk)
    denied.refresh_from_db()
    assert denied.status == "failed" and "outside your areas" in denied.error


def test_unmerge_restores_a_record_that_had_already_left(twins: tuple[Member, Member], dinsos_manager: User) -> None:
    import datetime as dt

    survivor, duplicate = twins
    Member.objects.filter(pk=duplicate.pk).update(exited_on=dt.date(2025, 1, 31), exit_reason="pindah")
    duplicate.refresh_from_db()
    record = services.merge(survivor=survivor, merged=duplicate, actor=dinsos_manager, reason="same person")
    services.unmerge(merge_record=record, actor=dinsos_manager, reason="wrong")
    duplicate.refresh_from_db()
    assert (duplicate.exited_on, duplicate.exit_reason, duplicate.merged_into) == (dt.date(2025, 1, 31), "pindah", None)


def test_a_run_on_spark_without_the_extra_is_refused_saying_what_to_install(
    regions: Any, twins: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entas.core import spark

    monkeypatch.setattr(spark, "available", lambda: False)
    monkeypatch.setattr(spark, "_SESSION", None)
    with pytest.raises(Refused, match=r"requirements-spark\.txt"):
        services.run(actor=None, backend="spark")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("dedup", "run", "--backend", "sqlite")
