"""Outcomes of system-data evaluations beyond the registry and the survey: the training tracer study,
a campaign's follow-ups and registry imports in the audit trail; and the commands that run them
(``entas evaluate from-data``) and promote a scenario (``entas simulate promote``)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.core.models import AuditEvent, Job
from entas.evaluation import datasets, services
from entas.evaluation.jobs import FROM_SYSTEM_KIND
from entas.evaluation.models import Evaluation
from entas.registry.models import Household, Member
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.helpers import make_programme

pytestmark = pytest.mark.django_db

ENDED = dt.date(2025, 3, 1)


def _run(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command(*args, "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


@pytest.fixture
def trainees(regions: Any) -> dict[str, Any]:
    """16 trainees who completed a course ended on ENDED, followed up at 6 months; the 8 of Manggar
    live in households receiving the programme. A 17th (not in the registry) and an 18th (followed up
    at 3 months only) are left out."""
    from entas.programs.models import Cycle, Entitlement
    from entas.training.models import Application, Cohort, Completion, Course, Provider, TracerResult

    programme = make_programme(None)
    cycle = Cycle.objects.create(programme=programme, number=1, period="2025-01")
    provider = Provider.objects.create(code="blki", name="BLKI", kind="blk")
    course = Course.objects.create(
        provider=provider, code="las", name="Las", competency_area="Las", scheme="Las", hours=10, class_size=20
    )
    cohort = Cohort.objects.create(
        course=course, code="las-1", start=dt.date(2025, 1, 6), end=ENDED, seats=20, seed="1"
    )
    rng = np.random.default_rng(3)
    expected = {}
    for i in range(18):
        treated = i < 8 or i == 16
        region = regions[MANGGAR if treated else DAMAI]
        member = None
        if i != 16:
            h = make_household(region, f"64710{1 if treated else 6}0202{i:06d}", members=1)
            member = Member.objects.filter(household=h).first()
            if treated:
                Entitlement.objects.create(cycle=cycle, household=h, amount=300_000)
        before = int(rng.integers(5, 15)) * 100_000
        after = before + (600_000 if treated else 200_000) + int(rng.integers(-1, 2)) * 50_000
        application = Application.objects.create(
            cohort=cohort,
            member=member,
            nik=f"647101010190{i:04d}",
            name=f"Peserta {i}",
            sex="2",
            birth_date=dt.date(2000, 1, 1),
            kelurahan=region,
            channel="officer",
            baseline_income=before,
            status="selected",
        )
        Completion.objects.create(application=application, outcome="completed", ended_on=ENDED)
        TracerResult.objects.create(
            application=application,
            months=3 if i == 17 else 6,
            surveyed_on=ENDED + dt.timedelta(days=190),
            employment="none" if i % 4 == 3 else "wage",
            monthly_income=after,
        )
        if i < 16:
            expected[application.pk] = (before, after, treated, i % 4 != 3)
    return {"programme": programme, "expected": expected}


def test_the_tracer_study_is_an_outcome_against_the_income_at_application(trainees: dict[str, Any]) -> None:
    spec = {"programme": trainees["programme"], "first": dt.date(2025, 1, 1), "second": dt.date(2025, 6, 30)}
    data = datasets.build({**spec, "outcome": "training:income"})
    got = {
        int(u): (b, a, bool(t))
        for u, b, a, t in zip(*(data.columns[k].tolist() for k in ("unit", "before", "after", "treated")), strict=True)
    }
    assert got == {pk: (b, a, t) for pk, (b, a, t, _w) in trainees["expected"].items()}
    assert data.summary["unit"] == "trainee" and data.summary["left_out"] == 1  # not in the registry
    working = datasets.build({**spec, "outcome": "training:employment"})
    assert working.summary["level_only"] is True
    assert dict(zip(working.columns["unit"].tolist(), working.columns["change"].tolist(), strict=True)) == {
        pk: float(w) for pk, (_b, _a, _t, w) in trainees["expected"].items()
    }
    with pytest.raises(Refused, match="only matching"):
        datasets.run_spec("did", working)
    with pytest.raises(Refused, match="3 months"):
        datasets.build({**spec, "outcome": "training:income:3", "first": dt.date(2025, 3, 2)})
    with pytest.raises(Refused, match="Unknown outcome"):
        datasets.build({**spec, "outcome": "training:wage"})


def test_from_data_runs_the_page_job_from_the_command_line(trainees: dict[str, Any], tkpk_analyst: User) -> None:
    result = _run(
        "evaluate",
        "from-data",
        "--programme",
        trainees["programme"].name,
        "--outcome",
        "training:income",
        "--from",
        "2025-01-01",
        "--to",
        "2025-06-30",
        "--method",
        "did",
        "--as",
        tkpk_analyst.username,
    )
    changes = np.array([(a - b, t) for b, a, t, _w in trainees["expected"].values()])
    want = changes[changes[:, 1] == 1, 0].mean() - changes[changes[:, 1] == 0, 0].mean()
    assert result["effect"] == pytest.approx(want, abs=1e-6)
    job = Job.objects.get(pk=result["job"])
    assert job.kind == FROM_SYSTEM_KIND and job.status == Job.Status.SUCCEEDED and job.done == job.total == 5
    saved = Evaluation.objects.get(pk=result["saved"])
    assert saved.created_by == tkpk_analyst and saved.result["dataset"]["outcome"] == "training:income"
    with pytest.raises(CommandError, match="only matching"):
        _run(
            "evaluate",
            "from-data",
            "--programme",
            trainees["programme"].name,
            "--outcome",
            "training:employment",
            "--from",
            "2025-01-01",
            "--to",
            "2025-06-30",
            "--method",
            "before-after",
            "--as",
            tkpk_analyst.username,
        )
    with pytest.raises(CommandError, match="--programme"):
        _run(
            "evaluate",
            "from-data",
            "--outcome",
            "survey",
            "--from",
            "2024",
            "--to",
            "2025",
            "--method",
            "did",
            "--as",
            tkpk_analyst.username,
        )


def test_a_campaign_follow_up_compares_attending_and_matched_households(
    regions: Any, tkpk_analyst: User, client_for: Any
) -> None:
    from entas.outreach.models import Campaign, FollowUp

    campaign = Campaign.objects.create(
        code="sekolah-2025",
        name="Kembali ke sekolah",
        theme="education",
        channel="door",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 3, 1),
    )
    want = {}
    for i in range(20):
        attended = i < 10
        h = make_household(regions[MANGGAR if attended else DAMAI], f"64710{1 if attended else 6}0303{i:06d}")
        school_age = 2 + i % 3
        at_start, at_end = i % 2, min(school_age, i % 2 + (2 if attended else i % 2))
        for months, in_school in ((0, at_start), (12, at_end), (3, 0)):
            FollowUp.objects.create(
                campaign=campaign,
                household=h,
                group="attended" if attended else "comparison",
                months=months,
                since=dt.date(2025, 2, 1),
                measured_on=dt.date(2025, 2, 1) + dt.timedelta(days=30 * months),
                school_age=school_age,
                in_school=in_school,
                members=4,
                with_jkn=2,
                applications=0,
            )
        want[h.pk] = (at_start / school_age, at_end / school_age, attended)
    assert "campaign:sekolah-2025:school" in dict(datasets.outcome_choices(tkpk_analyst))
    result = _run(
        "evaluate",
        "from-data",
        "--outcome",
        "campaign:sekolah-2025:school",
        "--from",
        "2025-01-01",
        "--to",
        "2025-03-01",
        "--method",
        "before-after",
        "--as",
        tkpk_analyst.username,
    )
    rows = np.array([(a - b, t) for b, a, t in want.values()])
    effect = rows[rows[:, 1] == 1, 0].mean() - rows[rows[:, 1] == 0, 0].mean()
    assert result["effect"] == pytest.approx(effect, abs=1e-9)
    assert result["dataset"]["treated"] == 10 and result["dataset"]["households"] == 20
    from django.urls import reverse

    from tests.helpers import english_client

    client = english_client(client_for, tkpk_analyst)
    url = reverse("evaluation:from_system")
    assert "Campaign Kembali ke sekolah: members with JKN" in client.get(url).content.decode()
    form = {"title": "JKN", "method": "did", "programme": "", "first_date": "2025-01-01", "second_date": "2025-03-01"}
    assert client.post(url, {**form, "outcome": "registry:floor_area_m2"}).status_code == 400  # needs a programme
    assert client.post(url, {**form, "outcome": "campaign:sekolah-2025:jkn"}).status_code == 302
    assert Job.objects.filter(kind=FROM_SYSTEM_KIND).latest("pk").params["programme"] is None
    with pytest.raises(Refused, match="No campaign"):
        datasets.build(
            {"programme": None, "outcome": "campaign:nope:school", "first": "2025-01-01", "second": "2025-03-01"}
        )


def test_a_registry_import_is_read_back_like_an_edit(regions: Any) -> None:
    """The registry import writes one ``household.import_update`` event per changed household with the
    old values (entas.registry.importer): the value at a date is read back across it."""
    from entas.programs.models import Cycle, Entitlement

    programme = make_programme(None)
    cycle = Cycle.objects.create(programme=programme, number=1, period="2026-01")
    for i in range(6):
        h = make_household(regions[MANGGAR], f"6471010404{i:06d}", members=1)
        Household.objects.filter(pk=h.pk).update(
            created_at=timezone.make_aware(dt.datetime(2024, 1, 1)), floor_area_m2=40 + i
        )
        AuditEvent.objects.create(
            action="household.import_update",
            object_type="registry.household",
            object_id=str(h.pk),
            at=timezone.make_aware(dt.datetime(2026, 1, 5, 9)),
            before={"floor_area_m2": 30 + i},
            after={"floor_area_m2": 40 + i},
        )
        if i < 3:
            Entitlement.objects.create(cycle=cycle, household=h, amount=300_000)
    data = datasets.build(
        {
            "programme": programme,
            "outcome": "registry:floor_area_m2",
            "first": dt.date(2025, 6, 30),
            "second": dt.date(2026, 6, 30),
        }
    )
    assert data.columns["before"].tolist() == [30.0 + i for i in range(6)]
    assert data.columns["after"].tolist() == [40.0 + i for i in range(6)]


def test_promote_proposes_a_saved_scenario_for_another_to_decide(
    cash_programme: Any, plan: Any, tkpk_analyst: User
) -> None:
    from entas.evaluation.models import Scenario

    scenario = services.save_scenario(
        actor=tkpk_analyst,
        title="Naik",
        result={"households": 10, "cost": 1},
        specification={"rule": cash_programme.rule.expression, "formula": {"base": 350_000}, "target_kelurahan": []},
        programme=cash_programme,
    )
    with pytest.raises(CommandError, match="--reason"):
        _run("simulate", "promote", str(scenario.pk), "--as", tkpk_analyst.username)
    out = _run("simulate", "promote", str(scenario.pk), "--reason", "Lebih dalam", "--as", tkpk_analyst.username)
    assert out["field"] == "base_amount" and out["after"] == 350_000 and out["state"] == "proposed"
    assert Scenario.objects.get(pk=scenario.pk).adjustment_id == out["adjustment"]
    assert scenario.reference in out["evidence"]
    cash_programme.refresh_from_db()
    assert cash_programme.base_amount == 300_000  # proposed only: another person decides
    with pytest.raises(CommandError, match="already"):
        _run("simulate", "promote", str(scenario.pk), "--reason", "Lagi", "--as", tkpk_analyst.username)
