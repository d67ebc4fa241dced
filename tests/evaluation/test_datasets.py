"""Evaluations over the system's own data: the beneficiaries of a programme against the other
households, a registry variable at two dates read back from the audit trail, two survey rounds
matched by KK number, run as a background job with progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.errors import Refused
from entas.core.models import AuditEvent, Job
from entas.evaluation import datasets, services
from entas.evaluation.jobs import FROM_SYSTEM_KIND
from entas.evaluation.models import Evaluation
from entas.registry.models import Household
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.helpers import make_programme

pytestmark = pytest.mark.django_db

FIRST, SECOND = dt.date(2025, 6, 30), dt.date(2026, 6, 30)


@pytest.fixture
def world(regions: Any) -> dict[str, Any]:
    """24 households registered in 2024; the 12 of Manggar receive the programme in 2026. Their floor
    area was edited in 2025 (before the first date) and in 2026 (between the dates)."""
    from entas.programs.models import Cycle, Entitlement

    programme = make_programme(None)
    cycle = Cycle.objects.create(programme=programme, number=1, period="2026-01")
    rng = np.random.default_rng(5)
    expected: dict[int, tuple[float, float, bool]] = {}
    for i in range(24):
        treated = i < 12
        h = make_household(regions[MANGGAR if treated else DAMAI], f"64710{1 if treated else 6}0101{i:06d}", members=1)
        at_first = float(20 + rng.integers(0, 30))
        at_second = at_first + (8 if treated else 2) + float(rng.integers(-2, 3))
        current = at_second + 5  # an edit after the second date too
        Household.objects.filter(pk=h.pk).update(
            created_at=timezone.make_aware(dt.datetime(2024, 1, 1)), floor_area_m2=int(current)
        )
        for day, before, after in (
            (dt.date(2025, 1, 5), at_first - 3, at_first),  # before the first date: not used
            (dt.date(2026, 1, 5), at_first, at_second),
            (dt.date(2026, 9, 5), at_second, current),
        ):
            AuditEvent.objects.create(
                action="household.update",
                object_type="registry.household",
                object_id=str(h.pk),
                at=timezone.make_aware(dt.datetime.combine(day, dt.time(9))),
                before={"floor_area_m2": int(before)},
                after={"floor_area_m2": int(after)},
            )
        if treated:
            Entitlement.objects.create(cycle=cycle, household=h, amount=300_000)
        expected[h.pk] = (at_first, at_second, treated)
    return {"programme": programme, "expected": expected}


def test_a_registry_variable_is_read_at_two_dates_from_the_audit_trail(world: dict[str, Any]) -> None:
    assert "floor_area_m2" in datasets.registry_outcomes()
    data = datasets.build(
        {"programme": world["programme"], "outcome": "registry:floor_area_m2", "first": FIRST, "second": SECOND}
    )
    got = {
        int(u): (b, a, bool(t))
        for u, b, a, t in zip(*(data.columns[k].tolist() for k in ("unit", "before", "after", "treated")), strict=True)
    }
    assert got == world["expected"]
    assert data.summary["treated"] == 12 and data.summary["households"] == 24


def test_did_on_two_dates_is_the_difference_of_the_mean_changes(world: dict[str, Any], tkpk_analyst: User) -> None:
    evaluation = services.run_from_system(
        actor=tkpk_analyst,
        title="Lantai",
        spec={
            "programme": world["programme"].pk,
            "method": "did",
            "outcome": "registry:floor_area_m2",
            "first": FIRST.isoformat(),
            "second": SECOND.isoformat(),
            "cluster": False,
        },
    )
    changes = np.array([(a - b, t) for b, a, t in world["expected"].values()])
    want = changes[changes[:, 1] == 1, 0].mean() - changes[changes[:, 1] == 0, 0].mean()
    assert evaluation.result["effect"] == pytest.approx(want, abs=1e-9)
    assert evaluation.result["dataset"]["outcome"] == "registry:floor_area_m2"
    assert evaluation.result["trends"]["rows"]  # the parallel-trends plot's data
    assert "System data" in evaluation.source or "Data sistem" in evaluation.source
    before_after = services.run_from_system(
        actor=tkpk_analyst,
        title="BA",
        spec={
            "programme": world["programme"].pk,
            "method": "before_after",
            "outcome": "registry:floor_area_m2",
            "first": FIRST.isoformat(),
            "second": SECOND.isoformat(),
        },
    )
    assert before_after.result["effect"] == pytest.approx(want, abs=1e-9) and before_after.result["causal"] is False


def test_the_evaluation_runs_as_a_job_with_progress(world: dict[str, Any], tkpk_analyst: User) -> None:
    params = {
        "title": "Lantai (job)",
        "programme": world["programme"].pk,
        "method": "did",
        "outcome": "registry:floor_area_m2",
        "first": FIRST.isoformat(),
        "second": SECOND.isoformat(),
    }
    job = jobqueue.submit(kind=FROM_SYSTEM_KIND, params=params, actor=tkpk_analyst, queue=False)
    done = jobqueue.execute(job.pk)
    assert done.status == Job.Status.SUCCEEDED, done.error
    assert done.done == done.total == 5
    evaluation = Evaluation.objects.get(pk=done.result["evaluation"])
    assert evaluation.title == "Lantai (job)" and f"/evaluation/{evaluation.pk}/" in done.log


def test_two_survey_rounds_are_matched_by_kk_number(world: dict[str, Any], tkpk_analyst: User) -> None:
    from entas.monitoring.models import SurveyHousehold, SurveyRound

    households = list(Household.objects.order_by("pk"))
    for year, bump in ((2025, 0), (2026, 1)):
        survey = SurveyRound.objects.create(name="Susenas", year=year, source_file="s.csv")
        for i, h in enumerate(households[:-2] if year == 2025 else households[2:]):  # 20 in both rounds
            treated = world["expected"][h.pk][2]
            SurveyHousehold.objects.create(
                survey=survey,
                kk_number=h.kk_number,
                kelurahan_id=h.kelurahan_id,
                stratum="1",
                psu=str(i),
                weight=1.0,
                household_size=3,
                consumption_per_capita=500_000 + h.pk * 1000 + bump * (90_000 if treated else 10_000),
            )
    data = datasets.build({"programme": world["programme"], "outcome": "survey", "first": 2025, "second": 2026})
    assert data.size == 20
    assert set(np.unique(data.columns["change"][data.columns["treated"] == 1]).tolist()) == {90_000.0}
    with pytest.raises(Refused, match="2024"):
        datasets.build({"programme": world["programme"], "outcome": "survey", "first": 2024, "second": 2026})


def test_an_evaluation_needs_treated_and_comparison_households(world: dict[str, Any]) -> None:
    from entas.programs.models import Entitlement

    Entitlement.objects.all().delete()
    with pytest.raises(Refused, match="needs both"):
        datasets.build(
            {"programme": world["programme"], "outcome": "registry:floor_area_m2", "first": FIRST, "second": SECOND}
        )


def test_the_page_queues_the_job_and_refuses_an_incomplete_form(
    world: dict[str, Any], client_for: Any, tkpk_analyst: User, auditor: User
) -> None:
    from django.urls import reverse

    from tests.helpers import english_client

    client = english_client(client_for, tkpk_analyst)
    url = reverse("evaluation:from_system")
    page = client.get(url)
    assert page.status_code == 200 and "registry:floor_area_m2" in page.content.decode()
    bad = client.post(url, {"title": "", "method": "did", "programme": world["programme"].pk, "outcome": "survey"})
    assert bad.status_code == 400 and "Give both dates" in bad.content.decode()
    answer = client.post(
        url,
        {
            "title": "Lantai",
            "method": "did",
            "programme": world["programme"].pk,
            "outcome": "registry:floor_area_m2",
            "first_date": FIRST.isoformat(),
            "second_date": SECOND.isoformat(),
        },
    )
    job = Job.objects.get(kind=FROM_SYSTEM_KIND)
    assert answer.status_code == 302 and answer.url == reverse("jobs:detail", args=[job.pk])
    assert job.params["outcome"] == "registry:floor_area_m2" and job.params["first"] == FIRST.isoformat()
    assert english_client(client_for, auditor).post(url, {"title": "x"}).status_code == 403
