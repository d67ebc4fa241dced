"""Rules, budgets, quotas and community decisions combine into a list; every figure shows the
community's additions and removals apart from the rule's selection."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.registry.importer import import_registry
from entas.registry.models import Household
from entas.synth import SynthConfig, build, write
from entas.targeting import services
from entas.targeting.rules import RuleError
from entas.targeting.selection import select
from tests.helpers import city_files


def test_the_poorest_eligible_come_first_until_the_budget_is_used() -> None:
    ids = np.array([10, 11, 12, 13, 14])
    eligible = np.array([True, True, False, True, True])
    score = np.array([5.0, 1.0, 0.0, 3.0, 3.0])  # 13 and 14 tie: the lower id goes first
    chosen = select(eligible, household_ids=ids, score=score, benefit=100, budget=250)
    assert chosen.selected.tolist() == [False, True, False, True, False]
    assert chosen.cost == 200
    assert chosen.source.tolist() == ["budget_cut", "rule", "", "rule", "budget_cut"]
    assert select(eligible, household_ids=ids, score=score, benefit=100, quota=1).selected.tolist() == [
        False,
        True,
        False,
        False,
        False,
    ]


def test_community_additions_and_removals_are_kept_apart() -> None:
    ids = np.array([1, 2, 3, 4])
    eligible = np.array([True, True, False, False])
    chosen = select(eligible, household_ids=ids, score=np.array([1.0, 2, 3, 4]), benefit=50, added={3}, removed={2})
    assert chosen.selected.tolist() == [True, False, True, False]
    assert chosen.counts() == {"community_added": 1, "community_removed": 1, "rule": 1}
    # Within a budget the forum's additions are not cut silently: they come first.
    tight = select(eligible, household_ids=ids, score=np.array([1.0, 2, 3, 4]), benefit=50, added={3}, budget=50)
    assert tight.selected.tolist() == [False, False, True, False]


@pytest.fixture
def city(regions: Any, tmp_path: Path) -> None:
    files = city_files(households=1200, seed=8, survey_size=600)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")


@pytest.mark.django_db
def test_a_rule_is_validated_when_saved(city: None) -> None:
    with pytest.raises(RuleError, match="unknown field 'income'"):
        services.save_rule(actor=None, name="BLT", expression="income < 5", benefit=300_000)
    rule = services.save_rule(actor=None, name="BLT", expression="dtsen_desil <= 3", benefit=300_000)
    assert AuditEvent.objects.filter(action="targeting.rule_create", object_id=str(rule.pk)).exists()


@pytest.mark.django_db
def test_preview_counts_households_people_and_cost_by_kelurahan(city: None, operator_manggar: User) -> None:
    result = services.preview(expression="dtsen_desil <= 3 and any(members, age < 18)", benefit=300_000)
    expected = sum(
        1
        for h in Household.objects.filter(desil_city__lte=3).prefetch_related("members")
        if any((dt.date.today() - m.birth_date).days < 18 * 365.25 - 1 for m in h.members.all())
    )
    assert abs(result["eligible_households"] - expected) <= 2  # birthdays around today aside
    assert result["cost_per_month"] == 300_000 * result["selected_households"]
    assert sum(r["selected_households"] for r in result["by_kelurahan"]) == result["selected_households"]
    mine = services.preview(expression="dtsen_desil <= 3", benefit=1, user=operator_manggar)
    assert {r["area"] for r in mine["by_kelurahan"]} <= {"64.71.01.1001"}


@pytest.mark.django_db
def test_community_decisions_are_audited_and_shown_separately(
    city: None, operator_manggar: User, operator_damai: User
) -> None:
    rule = services.save_rule(actor=None, name="BLT", expression="dtsen_desil <= 2", benefit=300_000)
    manggar = Household.objects.filter(kelurahan__code="64.71.01.1001")
    outsider = manggar.filter(desil_city__gte=8).first()
    insider = manggar.filter(desil_city__lte=2).first()
    assert outsider and insider
    services.record_override(
        actor=operator_manggar,
        rule=rule,
        household=outsider,
        action="add",
        reason="janda, tanpa penghasilan",
        berita_acara="BA-07/MUSKEL/2026",
        decided_on=dt.date.today(),
    )
    services.record_override(
        actor=operator_manggar,
        rule=rule,
        household=insider,
        action="remove",
        reason="pindah",
        berita_acara="BA-07/MUSKEL/2026",
        decided_on=dt.date.today(),
    )
    with pytest.raises(Refused):
        services.record_override(
            actor=operator_damai,
            rule=rule,
            household=outsider,
            action="add",
            reason="x",
            berita_acara="BA-1",
            decided_on=dt.date.today(),
        )
    with pytest.raises(Refused, match="berita acara"):
        services.record_override(
            actor=operator_manggar,
            rule=rule,
            household=outsider,
            action="add",
            reason="x",
            berita_acara="",
            decided_on=dt.date.today(),
        )
    result = services.preview(expression=rule.expression, benefit=rule.benefit, rule=rule)
    assert result["by_source"]["community_added"] == 1 and result["by_source"]["community_removed"] == 1
    manggar_row = next(r for r in result["by_kelurahan"] if r["area"] == "64.71.01.1001")
    assert (manggar_row["community_added"], manggar_row["community_removed"]) == (1, 1)
    assert AuditEvent.objects.filter(action__startswith="targeting.community_").count() == 2


@pytest.mark.django_db
def test_the_rule_command_previews_and_points_at_errors(city: None) -> None:
    out = StringIO()
    call_command("rule", "preview", "dtsen_desil <= 3", "--benefit", "300000", "--budget", "30000000", stdout=out)
    assert "100 selected" in out.getvalue()
    with pytest.raises(CommandError) as caught:
        call_command("rule", "preview", "dtsen_desil <= 3 and kecamtan == '1'", stdout=StringIO())
    assert "unknown field 'kecamtan'" in str(caught.value) and "\n" + " " * 23 + "^" in str(caught.value)
    fields = StringIO()
    call_command("rule", "fields", stdout=fields)
    assert "count/any/all" in fields.getvalue()


@pytest.mark.django_db
def test_the_report_judges_a_list_against_the_survey(
    city: None, client_for: Any, tkpk_analyst: User, operator_manggar: User, tmp_path: Path
) -> None:
    from django.urls import reverse

    from entas.monitoring.services import DEFAULT_LINES_FILE, load_poverty_lines
    from entas.targeting.models import EligibilityRule

    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    rule = services.save_rule(actor=None, name="BLT", expression="dtsen_desil <= 4", benefit=300_000)
    with pytest.raises(Refused, match="No survey"):
        services.targeting_report(rule=rule, line=782248)
    write(build(SynthConfig(households=1200, seed=8, survey_size=600)), tmp_path / "again")
    from entas.monitoring.services import import_survey

    import_survey(path=tmp_path / "again" / "survey.csv", name="Susenas sintetis", year=2025, actor=None)
    report = services.targeting_report(rule=rule, line=782248)
    assert 0 <= report["bottom40"]["exclusion_error"] <= 1 and report["selected_in_sample"] > 0
    assert sum(report["incidence_by_decile"]) == pytest.approx(1.0)
    assert report["incidence_by_decile"][0] > report["incidence_by_decile"][9]  # the DTSEN desil is progressive
    assert report["cgh"] > 1
    out = StringIO()
    call_command("targeting_report", "--rule", "BLT", stdout=out)
    assert "exclusion error" in out.getvalue()
    page = client_for(tkpk_analyst).get(reverse("targeting:report"), {"rule": rule.pk})
    assert page.status_code == 200 and page.context["report"]["rule"] == "BLT"
    assert client_for(operator_manggar).get(reverse("targeting:report")).status_code == 403
    assert EligibilityRule.objects.count() == 1


@pytest.mark.django_db
def test_a_preview_sees_registry_changes_at_once(city: None, operator_manggar: User) -> None:
    from entas.registry import services as registry_services

    before = services.preview(expression="status == 'diverifikasi'", benefit=1)
    assert before["eligible_households"] == 0
    household = Household.objects.filter(kelurahan__code="64.71.01.1001").first()
    assert household is not None
    registry_services.verify_household(
        actor=operator_manggar, household=household, visit_date=dt.date.today(), confirmed=True
    )
    after = services.preview(expression="status == 'diverifikasi'", benefit=1)
    assert after["eligible_households"] == 1


@pytest.mark.django_db
def test_the_command_records_a_musyawarah_decision(city: None, operator_manggar: User, operator_damai: User) -> None:
    services.save_rule(actor=None, name="BLT", expression="dtsen_desil <= 2", benefit=300_000)
    household = Household.objects.filter(kelurahan__code="64.71.01.1001", desil_city__gte=8).first()
    assert household is not None
    args = [
        "rule",
        "override",
        "BLT",
        "--kk",
        household.kk_number,
        "--add",
        "--reason",
        "lansia sebatang kara",
        "--berita-acara",
        "BA-09/2026",
        "--date",
        "2026-11-20",
    ]
    with pytest.raises(CommandError, match="may not record"):
        call_command(*args, "--as", "op.damai", stdout=StringIO())
    out = StringIO()
    call_command(*args, "--as", "op.manggar", stdout=out)
    assert "Recorded: add" in out.getvalue()
    assert (
        services.preview(expression="dtsen_desil <= 2", benefit=1, rule=services.EligibilityRule.objects.get())[
            "by_source"
        ]["community_added"]
        == 1
    )


@pytest.mark.django_db
def test_rule_arrays_read_only_what_a_rule_names_and_agree_with_the_full_read(
    city: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entas.targeting import data

    full_h, full_m = data.rule_arrays(Household.objects.all(), model_id=None)
    codes = dict(Household.objects.values_list("id", "kelurahan__code"))
    parents = dict(Household.objects.values_list("id", "kelurahan__parent__code"))
    assert full_h["kelurahan"].tolist() == [codes[i] for i in full_h["id"].tolist()]
    assert full_h["kecamatan"].tolist() == [parents[i] for i in full_h["id"].tolist()]
    read: list[list[str]] = []
    real = data.read_columns

    def spy(qs: Any, fields: list[str], **kwargs: Any) -> Any:
        read.append(list(fields))
        return real(qs, fields, **kwargs)

    monkeypatch.setattr(data, "read_columns", spy)
    rule_data = data.RuleData(Household.objects.all(), model_id=None, names={"dtsen_desil", "in_school"})
    h, m = rule_data.arrays({"dtsen_desil", "in_school"})
    assert set(h) == {"id", "size", "kelurahan", "dtsen_desil"} and set(m) == {"household", "in_school"}
    fetched = {f for fields in read for f in fields}
    assert "birth_date" not in fetched and "has_car" not in fetched and "desil_city" in fetched
    for name, values in h.items():
        np.testing.assert_array_equal(values, full_h[name])
    for name, values in m.items():
        np.testing.assert_array_equal(values, full_m[name])
    read.clear()
    rule_data.arrays({"dtsen_desil", "age"})  # what was read stays; only the age is read now
    assert [f for fields in read for f in fields] == ["id", "birth_date"]
    np.testing.assert_array_equal(rule_data.m["age"], full_m["age"])


@pytest.mark.django_db
def test_a_change_that_escapes_the_token_is_read_afresh(city: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows that no longer line up with the cached ones (a bulk change that left the change token as
    it was) make the cache read everything again instead of mixing old and new rows."""
    from entas.registry.models import Member
    from entas.targeting import data

    data._CACHE.clear()
    monkeypatch.setattr(data, "change_token", lambda model_id: ("unchanged",))
    h, _m = data.cached_rule_arrays(Household.objects.all(), scope="all", model_id=None, names={"size"})
    gone = Member.objects.filter(relationship="3").order_by("id").first()
    assert gone is not None
    Member.objects.filter(pk=gone.pk).update(exited_on=dt.date.today())
    h2, m2 = data.cached_rule_arrays(Household.objects.all(), scope="all", model_id=None, names={"size", "female"})
    assert m2["female"].size == m2["household"].size == Member.objects.filter(exited_on__isnull=True).count()
    assert h2["size"].sum() == h["size"].sum() - 1
