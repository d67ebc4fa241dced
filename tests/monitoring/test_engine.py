"""The indicator engine: definitions against hand-computed numerators and denominators, incremental
refresh equal to a full one, definition versioning with series breaks, alerts, official series."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from entas.core.errors import Refused
from entas.monitoring import engine, services
from entas.monitoring.models import Alert, AlertRule, Fact, Indicator, IndicatorVersion
from entas.registry.models import Household, Member
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db

SCHOOL = {
    "code": "school",
    "name": "School participation 7-18",
    "kind": "registry",
    "unit": "members",
    "numerator": "in_school",
    "denominator": "age >= 7 and age <= 18",
    "disaggregations": ["sex", "age_band"],
}
CARLESS = {"code": "carless", "name": "Households without a car", "kind": "registry", "numerator": "not has_car"}


def _child(household: Household, serial: int, *, age: int, female: bool, in_school: bool) -> Member:
    today = timezone.localdate()
    prefix = household.kelurahan.code.replace(".", "")[:6]
    return Member.objects.create(
        household=household,
        nik=f"{prefix}{1 + 40 * female:02d}0112{7000 + serial:04d}",
        name=f"Anak Sintetis {serial}",
        sex="2" if female else "1",
        birth_date=dt.date(today.year - age - 1, 1, 1) if today.month == 1 else dt.date(today.year - age, 1, 1),
        relationship="3",
        school_participation="1" if in_school else "2",
    )


@pytest.fixture
def town(regions: dict[str, Any]) -> dict[str, Household]:
    """Manggar: one household with 3 adults + children 8 (girl, in school), 12 (boy, not), 16 (girl, in
    school). Damai: 4 adults + a 10-year-old boy in school; it owns a car."""
    manggar = make_household(regions[MANGGAR], "6471010101200001")
    _child(manggar, 1, age=8, female=True, in_school=True)
    _child(manggar, 2, age=12, female=False, in_school=False)
    _child(manggar, 3, age=16, female=True, in_school=True)
    damai = make_household(regions[DAMAI], "6471060101200002", members=4)
    _child(damai, 4, age=10, female=False, in_school=True)
    Household.objects.filter(pk=damai.pk).update(has_car=True)
    return {"manggar": manggar, "damai": damai}


def _facts(code: str, **filters: Any) -> dict[tuple[str, str, str], tuple[float | None, float | None]]:
    rows = Fact.objects.filter(indicator__code=code, **filters).select_related("area")
    return {(f.area.code, f.dimension, f.category): (f.numerator, f.denominator) for f in rows}


def test_numerators_and_denominators_match_hand_counts(town: dict[str, Household]) -> None:
    services.define_indicator(spec=SCHOOL, actor=None)
    services.define_indicator(spec=CARLESS, actor=None)
    summary = engine.refresh(full=True)
    assert summary.full and summary.facts_written > 0
    school = _facts("school")
    assert school[(MANGGAR, "", "")] == (2.0, 3.0)
    assert school[(DAMAI, "", "")] == (1.0, 1.0)
    assert school[("64.71.01", "", "")] == (2.0, 3.0)
    assert school[("64.71", "", "")] == (3.0, 4.0)
    assert school[(MANGGAR, "sex", "female")] == (2.0, 2.0)
    assert school[(MANGGAR, "sex", "male")] == (0.0, 1.0)
    assert school[("64.71", "age_band", "7-12")] == (2.0, 3.0)
    assert school[("64.71", "age_band", "13-17")] == (1.0, 1.0)
    city = Fact.objects.get(indicator__code="school", area__code="64.71", dimension="")
    assert city.value == pytest.approx(75.0)
    carless = _facts("carless")
    assert carless[("64.71", "", "")] == (1.0, 2.0)


def test_a_definition_in_a_wrong_rule_is_refused_with_its_position(regions: Any) -> None:
    with pytest.raises(Refused) as caught:
        services.define_indicator(spec={**SCHOOL, "numerator": "in_school and"}, actor=None)
    assert "column" in str(caught.value.issues[0].message)
    with pytest.raises(Refused):
        services.define_indicator(spec={**CARLESS, "numerator": "count(members, age < 5)"}, actor=None)  # a number


def _snapshot() -> dict[tuple[int, int, str, str, str], tuple[Any, ...]]:
    return {
        (f.indicator_id, f.area_id, f.period, f.dimension, f.category): (f.version, f.numerator, f.denominator, f.value)
        for f in Fact.objects.all()
    }


def test_incremental_refresh_equals_a_full_refresh(town: dict[str, Household], regions: Any) -> None:
    services.define_indicator(spec=SCHOOL, actor=None)
    services.define_indicator(spec=CARLESS, actor=None)
    engine.refresh(full=True)
    nothing = engine.refresh()
    assert not nothing.full and nothing.kelurahan_recomputed == 0 and nothing.facts_written == 0
    # A change in Manggar (a boy starts school), a new household in another kelurahan, and a move.
    boy = Member.objects.get(name="Anak Sintetis 2")
    Member.objects.filter(pk=boy.pk).update(school_participation="1", updated_at=timezone.now())
    new = make_household(regions["64.71.03.1001"], "6471030101200003")
    _child(new, 5, age=9, female=True, in_school=False)
    Household.objects.filter(pk=town["damai"].pk).update(kelurahan=regions["64.71.06.1001"], updated_at=timezone.now())
    incremental = engine.refresh()
    assert not incremental.full
    assert incremental.kelurahan_recomputed == 4  # Manggar, 64.71.03.1001, Damai (moved out) and 64.71.06.1001
    after_incremental = _snapshot()
    engine.refresh(full=True)
    assert _snapshot() == after_incremental
    school = _facts("school")
    assert (DAMAI, "", "") not in school  # nobody lives there any more: no fact, in both runs
    assert school[("64.71.06.1001", "", "")] == (1.0, 1.0)
    assert school[("64.71", "", "")] == (4.0, 5.0)


def test_changing_a_definition_raises_the_version_and_keeps_the_old_series(town: dict[str, Household]) -> None:
    indicator, state = services.define_indicator(spec=SCHOOL, actor=None)
    assert state == "created" and indicator.version == 1
    engine.refresh(full=True)
    # Last month's facts, as an earlier refresh would have left them.
    old = Fact.objects.filter(indicator=indicator, dimension="").first()
    assert old is not None
    Fact.objects.create(
        indicator=indicator, version=1, area=old.area, level=old.level, period="2000-01", numerator=1, denominator=2,
        value=50.0, computed_at=timezone.now(),
    )  # fmt: skip
    _same, unchanged = services.define_indicator(spec=SCHOOL, actor=None)
    assert unchanged == "unchanged"
    changed, state = services.define_indicator(spec={**SCHOOL, "denominator": "age >= 7 and age <= 15"}, actor=None)
    assert state == "changed" and changed.version == 2
    assert list(IndicatorVersion.objects.filter(indicator=changed).values_list("version", flat=True)) == [1, 2]
    summary = engine.refresh()
    assert summary.by_indicator["school"] > 0
    assert Fact.objects.get(indicator=changed, period="2000-01", area=old.area).version == 1
    current = Fact.objects.get(
        indicator=changed, area__code="64.71", dimension="", period=f"{timezone.localdate():%Y-%m}"
    )
    assert current.version == 2 and (current.numerator, current.denominator) == (2.0, 3.0)  # the 16-year-old left


def test_alerts_are_raised_once_emailed_and_resolved(town: dict[str, Household], settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    indicator, _state = services.define_indicator(spec=SCHOOL, actor=None)
    AlertRule.objects.create(indicator=indicator, kind="below", threshold=80, level=4, recipients="tkpk@example.org")
    with pytest.MonkeyPatch.context():
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            summary = engine.refresh(full=True)
    assert summary.alerts_raised == 1  # Manggar 66.7 % < 80; Damai 100 %
    alert = Alert.objects.get()
    assert alert.area.code == MANGGAR and "Manggar" in alert.message
    assert len(mail.outbox) == 1 and "tkpk@example.org" in mail.outbox[0].to
    assert engine.refresh(full=True).alerts_raised == 0  # once per breach
    Member.objects.filter(name="Anak Sintetis 2").update(school_participation="1", updated_at=timezone.now())
    engine.refresh()
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_official_values_carry_source_and_confirmation(regions: Any) -> None:
    counts = services.load_indicators(
        data={
            "indicators": [
                {
                    "code": "p0-bps",
                    "name": "P0 BPS",
                    "kind": "official",
                    "period_type": "year",
                    "values": [
                        {"area": "64.71", "period": "2023", "value": 2.31, "source": "BPS"},
                        {"area": "64.71", "period": "2022", "value": 2.45, "source": "press", "confirmed": False},
                    ],
                }
            ]
        },
        actor=None,
    )
    assert counts["created"] == 1 and counts["values"] == 2
    engine.refresh(full=True)
    facts = {f.period: f for f in Fact.objects.filter(indicator__code="p0-bps")}
    assert facts["2023"].value == 2.31 and facts["2023"].confirmed
    assert not facts["2022"].confirmed


def test_a_file_with_problems_loads_nothing_and_names_each(regions: Any) -> None:
    with pytest.raises(Refused) as caught:
        services.load_indicators(
            data={
                "indicators": [{"code": "x", "name": "X", "kind": "registry", "numerator": "desil <="}],
                "alerts": [{"indicator": "nope", "kind": "above"}],
            },
            actor=None,
        )
    fields = [p.field for p in caught.value.issues]
    assert any("indicators[1]" in f for f in fields) and any("alerts[1]" in f for f in fields)
    assert not Indicator.objects.exists()


def test_the_refresh_runs_as_a_job_kind_with_its_lock(town: dict[str, Household], tkpk_analyst: Any) -> None:
    from entas.core import jobqueue
    from entas.core.models import Job
    from entas.monitoring.jobs import REFRESH_KIND

    services.define_indicator(spec=CARLESS, actor=None)
    job = jobqueue.submit(kind=REFRESH_KIND, params={"full": True}, actor=tkpk_analyst, queue=False)
    with pytest.raises(Refused):  # a second refresh while one is queued: the facts are locked
        jobqueue.submit(kind=REFRESH_KIND, params={}, actor=tkpk_analyst, queue=False)
    done = jobqueue.execute(job.pk)
    assert done.status == Job.Status.SUCCEEDED
    assert done.result["full"] is True and done.result["facts_written"] > 0
