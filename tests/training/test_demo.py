"""The demonstration's two years of training: more applicants than seats, dropouts, completions,
follow-ups, and placement that differs by course and sex."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from entas.accounts.models import User
from entas.training import demo, rules, selectors
from entas.training.models import Application, Cohort, Completion, TracerResult

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 30)


def test_the_demo_runs_two_years_of_cohorts_from_the_registry(officer: User, add_person: Any, regions: Any) -> None:
    kelurahan = sorted(code for code, r in regions.items() if r.level == 4)
    for i in range(600):
        add_person(
            kelurahan[i % len(kelurahan)], female=i % 2 == 0, age=18 + i % 20, desil=1 + i % 6, worked=i % 4 == 0
        )
    result = demo.seed(today=TODAY)
    historic = Cohort.objects.filter(code__startswith=demo.PREFIX)
    assert result["cohorts"] == historic.count() >= 30
    assert all(c.end < TODAY for c in historic)
    assert all(c.applications.count() > c.seats for c in historic)  # more applicants than seats
    full = [c for c in historic if c.applications.filter(status="selected").count() == c.seats]
    assert len(full) > len(historic) * 0.8
    assert Completion.objects.filter(outcome="dropped_out").exclude(dropout_reason="").exists()
    assert Completion.objects.filter(outcome="completed").exclude(certificate_number="").exists()
    assert TracerResult.objects.filter(months=12).exists()
    open_cohort = Cohort.objects.get(code="oab-2027-1")
    assert open_cohort.status == "planned" and open_cohort.applications.count() > open_cohort.seats
    # placement differs by course and sex the way the demo says
    trainees = [t for _a, t in selectors.trainees_for_outcomes(None)]
    heavy = [t for t in trainees if t.groups["course"] in ("Operator Alat Berat (Excavator)", "Juru Las SMAW 3G")]
    by_sex = {f.group: f.placement_rate for f in rules.outcome_table(heavy, "sex")}
    assert by_sex["1"] > by_sex["2"]
    assert len({f.placement_rate for f in rules.outcome_table(trainees, "course")}) > 4  # courses differ
    # a second run adds nothing
    before = Application.objects.count()
    assert demo.seed(today=TODAY)["skipped"] == "already seeded"
    assert Application.objects.count() == before


def test_follow_ups_place_by_course_and_sex_as_the_table_says() -> None:
    """Many draws of the follow-up generator: the rates follow the placement table."""
    import random

    rng = random.Random(1)
    ended = dt.date(2025, 1, 31)

    def rate(area: str, sex: str) -> float:
        placed = traced = 0
        for _ in range(3000):
            trainee = Application(sex=sex)
            results = demo._follow_ups(rng, trainee, ended, TODAY, demo.PLACEMENT[area], True)
            if results:
                traced += 1
                placed += results[-1].employment != "none"
        return placed / traced

    assert rate("Heavy equipment", "1") > rate("Heavy equipment", "2") + 0.2
    assert rate("Garment making", "2") > rate("Garment making", "1") + 0.1
    assert rate("Culinary and food processing", "2") > rate("Culinary and food processing", "1") + 0.1
