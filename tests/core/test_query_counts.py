"""Query counts of the list pages, against a stored baseline.

Each list page is requested twice, over a small city and over one with more of everything; a page
must cost the same number of queries at both sizes (a query per row is how list pages become slow),
and that number must be the one in tests/core/query_counts.json. A change that adds or saves a query
updates the file on purpose:

    ENTAS_UPDATE_QUERY_BASELINE=1 .venv/bin/pytest tests/core/test_query_counts.py   # on both databases
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from entas.accounts.models import User
from entas.core.models import Job
from entas.portal import services as portal
from entas.programs import services as programmes
from entas.programs.models import Entitlement, ShockFlag
from entas.targeting import services as targeting
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.helpers import make_pair, make_programme

pytestmark = pytest.mark.django_db

BASELINE = Path(__file__).with_name("query_counts.json")

# (route name, URL arguments from the world, persona)
PAGES: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]], str]] = [
    ("home", lambda w: {}, "manager"),
    ("registry:household_list", lambda w: {}, "manager"),
    ("registry:change_requests", lambda w: {}, "manager"),
    ("registry:ratification", lambda w: {}, "manager"),
    ("registry:household_detail", lambda w: {"pk": w["household"].pk}, "manager"),
    ("targeting:overrides", lambda w: {}, "operator"),
    ("targeting:rules", lambda w: {}, "manager"),
    ("targeting:rule", lambda w: {"pk": w["rule"].pk}, "manager"),
    ("targeting:pmt", lambda w: {}, "auditor"),
    ("dedup:queue", lambda w: {}, "manager"),
    ("programs:list", lambda w: {}, "manager"),
    ("programs:detail", lambda w: {"pk": w["programme"].pk}, "manager"),
    ("programs:cycle", lambda w: {"pk": w["cycle"].pk}, "manager"),
    ("programs:payees", lambda w: {"pk": w["cycle"].pk}, "manager"),
    ("programs:affected", lambda w: {}, "operator"),
    ("programs:without_account", lambda w: {"pk": w["cycle"].pk}, "manager"),
    ("training:cohorts", lambda w: {}, "training"),
    ("training:cohort", lambda w: {"pk": w["cohort"].pk}, "training"),
    ("training:tracer_list", lambda w: {}, "training"),
    ("training:outcomes", lambda w: {}, "training"),
    ("training:to_register", lambda w: {}, "operator"),
    ("jobs:list", lambda w: {}, "manager"),
    ("audit:list", lambda w: {}, "auditor"),
    ("enterprise:groups", lambda w: {}, "auditor"),
    ("enterprise:group", lambda w: {"pk": w["group"].pk}, "auditor"),
    ("enterprise:loan", lambda w: {"pk": w["loan"].pk}, "auditor"),
    ("enterprise:results", lambda w: {}, "auditor"),
    ("policy:plan", lambda w: {}, "auditor"),
    ("monitoring:dashboard", lambda w: {}, "manager"),
    ("monitoring:framework", lambda w: {}, "auditor"),
    ("policy:programme", lambda w: {"pk": w["record"].pk}, "auditor"),
    ("policy:adjustments", lambda w: {}, "auditor"),
    ("evaluation:index", lambda w: {}, "auditor"),
    ("reports:list", lambda w: {}, "auditor"),
    ("policy:realisation", lambda w: {}, "manager"),
    ("policy:funded", lambda w: {}, "partner"),
    ("portal:cases", lambda w: {}, "operator"),
    ("portal:case", lambda w: {"pk": w["case"].pk}, "manager"),
    ("portal:dashboard", lambda w: {}, "manager"),
    ("portal:agenda", lambda w: {}, "operator"),
    ("participation:forums", lambda w: {}, "operator"),
    ("participation:forum", lambda w: {"pk": w["forum"].pk}, "operator"),
    ("participation:proposals", lambda w: {}, "operator"),
    ("participation:proposal", lambda w: {"pk": w["proposal"].pk}, "operator"),
    ("participation:partners", lambda w: {}, "auditor"),
    ("participation:portal", lambda w: {}, "partner"),
    ("outreach:campaigns", lambda w: {}, "training"),
    ("outreach:campaign", lambda w: {"pk": w["campaign"].pk}, "training"),
    ("outreach:event", lambda w: {"pk": w["event"].pk}, "training"),
    ("outreach:results", lambda w: {"pk": w["campaign"].pk}, "training"),
]


def _programme(manager: User, officer: User) -> dict[str, Any]:
    from entas.training import services as training
    from entas.training.models import Course, Provider

    rule = targeting.save_rule(actor=manager, name="Semua", expression="true", benefit=100_000)
    programme = make_programme(rule, name="BLT", base_amount=100_000)
    cycle = programmes.create_cycle(programme=programme, period="2026-06", actor=manager)
    provider = Provider.objects.create(code="blki", name="UPTD BLKI", kind="blk")
    course = Course.objects.create(provider=provider, code="las", name="Las", competency_area="Las", hours=10)
    cohort, _ = training.save_cohort(
        course=course, code="las-1", start=dt.date(2026, 1, 5), end=dt.date(2026, 1, 9), seats=40, actor=officer
    )
    return {"rule": rule, "programme": programme, "cycle": cycle, "cohort": cohort, "officer": officer}


def _add_decision(household: Any, world: dict[str, Any], operator: User) -> None:
    """A musyawarah of the household's kelurahan deciding on it, and a decision at the one musyawarah
    of Manggar whose page is counted (the forum list and that page grow)."""
    from entas.participation.models import Attendance, Forum, ForumDecision

    rule = world["rule"]
    if household.kelurahan.code == MANGGAR:
        if "forum" not in world:
            world["forum"] = Forum.objects.create(
                kind="musyawarah",
                area=household.kelurahan,
                held_on=dt.date(2026, 2, 1),
                berita_acara="BA-M",
                recorded_by=operator,
            )
            Attendance.objects.create(forum=world["forum"], group="residents", men=10, women=12)
        ForumDecision.objects.create(forum=world["forum"], household=household, action="keep", recorded_by=operator)
        _add_proposal(household, world, operator)

    forum = Forum.objects.create(
        kind="musyawarah",
        area=household.kelurahan,
        held_on=dt.date.today(),  # on this year's calendar
        berita_acara=f"BA-{household.kk_number}",
        recorded_by=operator,
    )
    ForumDecision.objects.create(
        forum=forum, household=household, rule=rule, action="add", reason="musyawarah", recorded_by=operator
    )
    ForumDecision.objects.create(forum=forum, household=household, action="keep", recorded_by=operator)


def _add_proposal(household: Any, world: dict[str, Any], operator: User) -> None:
    """A Musrenbang proposal of the household's kelurahan, reviewed at the counted proposal's forum too."""
    from entas.participation.models import Proposal, Review

    proposal = Proposal.objects.create(
        code=f"USL-{household.kk_number}",
        title="Bedah rumah",
        kelurahan=household.kelurahan,
        category="housing",
        proposer="RT 01",
        stage="musrenbang_kelurahan",
        status="accepted",
        recorded_by=operator,
    )
    world.setdefault("proposal", proposal)
    Review.objects.create(proposal=proposal, forum=world["forum"], score=70, outcome="accepted", recorded_by=operator)


def _add_families(
    regions: dict[str, Any], world: dict[str, Any], serials: range, manager: User, operator: User
) -> None:
    """Families numbered ``serials`` in each of Manggar and Damai, with something on every list page."""
    households = [
        make_household(regions[code], f"64710{k}0101{2000 + i:04d}{k}", members=3)
        for k, code in ((1, MANGGAR), (6, DAMAI))
        for i in serials
    ]
    for h in households:
        Entitlement.objects.create(cycle=world["cycle"], household=h, amount=100_000, flags="ganda")
        world["programme"].enrolments.create(household=h, state="paused", reason="uji")
        ShockFlag.objects.create(household=h, event="Banjir", kind="disaster", reported_by=operator)
        _add_decision(h, world, operator)
        Job.objects.create(kind="registry.export", created_by=manager)
        case = portal.file_case(
            category="usul", kelurahan=h.kelurahan, description=f"Keluhan nomor {h.kk_number}", actor=manager
        ).case
        world.setdefault("case", case)
        portal.add_note(case=case, kind="internal", text="catatan", actor=manager)
    members = [h.members.order_by("pk")[0] for h in households]
    for left, right in zip(members[::2], members[1::2], strict=False):
        make_pair(left, right)
    world.setdefault("household", households[0])
    for h in households:
        _add_group(h, world)
    _add_trainees(world, households)
    _add_outreach(world, households)


def _add_outreach(world: dict[str, Any], households: list[Any]) -> None:
    """A campaign (and one more per call) with an event per family's kelurahan and call, attended by a
    member of each family who answered both tests, and a head count."""
    from entas.outreach import services as outreach
    from entas.outreach.models import Event

    officer = world["officer"]
    n = Event.objects.count()
    campaign, _ = outreach.save_campaign(
        code=f"kampanye-{n}",
        name="Kampanye",
        theme="jkn",
        channel="seminar",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 12, 31),
        target_kelurahan=list({h.kelurahan for h in households}),
        actor=officer,
    )
    world.setdefault("campaign", campaign)
    first = world["campaign"]
    for number in (1, 2):
        outreach.save_question(
            campaign=first, number=number, text="Soal", options=["Ya", "Tidak"], key="a", actor=officer
        )
    for i, h in enumerate(households):
        event, _ = outreach.save_event(
            campaign=first,
            code=f"acara-{n}-{i}",
            date=dt.date(2025, 3, 1),
            kelurahan=h.kelurahan,
            venue="Aula",
            actor=officer,
        )
        world.setdefault("event", event)
        attendance, _ = outreach.record_attendee(
            event=world["event"] if h.kelurahan == world["event"].kelurahan else event,
            nik=h.members.order_by("pk")[0].nik,
            actor=officer,
        )
        outreach.record_answers(attendance=attendance, phase="before", choices={1: "b", 2: "a"}, actor=officer)
        outreach.record_answers(attendance=attendance, phase="after", choices={1: "a", 2: "a"}, actor=officer)
        outreach.set_head_count(event=event, sex="2", age_band="25-44", count=i + 1, actor=officer)
    outreach.measure_follow_ups(campaign=first, actor=officer, on=dt.date(2026, 1, 1))


def _add_group(household: Any, world: dict[str, Any]) -> None:
    """A business group of the family's kelurahan, with a member, a grant, a loan with a payment and
    two reports (the first family's group is the one whose pages are counted)."""
    from entas.enterprise.models import BusinessReport, Grant, Group, Loan, Membership, Repayment

    group = Group.objects.create(
        name=f"KUBE {household.kk_number}",
        type="kube",
        kbli="10792",
        kelurahan=household.kelurahan,
        founded=dt.date(2024, 1, 1),
    )
    Membership.objects.create(
        group=group, member=household.members.order_by("pk")[0], role="chair", joined_on=dt.date(2024, 1, 1)
    )
    Grant.objects.create(
        group=group,
        kind="cash",
        amount=1_000_000,
        handed_over_on=dt.date(2024, 2, 1),
        handover_reference=f"BAST-{group.pk}",
    )
    loan = Loan.objects.create(
        group=group,
        reference=f"DB-{group.pk}",
        principal=1_200_000,
        term_months=12,
        disbursed_on=dt.date(2024, 2, 1),
        first_due=dt.date(2024, 3, 1),
    )
    Repayment.objects.create(loan=loan, reference=f"TRX-{group.pk}", paid_on=dt.date(2024, 3, 1), amount=100_000)
    for start in (dt.date(2024, 1, 1), dt.date(2025, 1, 1)):
        BusinessReport.objects.create(
            group=group, period="quarter", period_start=start, revenue=3_000_000, costs=2_000_000, workers_family=2
        )
    world.setdefault("group", group)
    world.setdefault("loan", loan)


def _add_trainees(world: dict[str, Any], households: list[Any]) -> None:
    """A member of each family applies to the cohort, is selected, completes and is due a follow-up."""
    from entas.training import services as training
    from entas.training.models import Application, Completion

    members = [h.members.order_by("pk")[0] for h in households]
    training.apply_members(cohort=world["cohort"], members=members, actor=world["officer"])
    applications = Application.objects.filter(member__in=members)
    applications.update(status="selected")
    ended = dt.date.today() - dt.timedelta(days=100)
    Completion.objects.bulk_create(
        [Completion(application=a, outcome="completed", ended_on=ended) for a in applications]
    )
    Application.objects.bulk_create(  # people not in the registry, for the operator to register
        [
            Application(
                cohort=world["cohort"],
                nik=f"99{h.pk:014d}",
                name=f"Pendaftar Baru {h.pk}",
                sex="2",
                birth_date=dt.date(2000, 1, 1),
                kelurahan=h.kelurahan,
                needs_verification=True,
                channel="file",
            )
            for h in households
        ]
    )


def _add_policy(world: dict[str, Any], serials: range, manager: User) -> None:
    """Programmes ``serials`` in the policy register, each with two activities, a year of months and
    an adjustment (the first one is the one whose page is measured)."""
    from entas.accounts.models import Opd
    from entas.policy.models import Activity, Adjustment, BudgetMonth, Plan, ProgrammeRecord, Strategy
    from entas.programs.models import Programme

    opd, _ = Opd.objects.get_or_create(code="DINSOS", defaults={"name": "Dinas Sosial"})
    plan, _ = Plan.objects.get_or_create(
        code="RPKD", version=1, defaults={"title": "RPKD", "start_year": 2025, "end_year": 2029, "status": "adopted"}
    )
    for i in serials:
        strategy, _ = Strategy.objects.get_or_create(plan=plan, code=f"S{i % 3}", defaults={"name": "Strategi"})
        programme = Programme.objects.create(
            name=f"Program {i}", kind="training", agency="Dinsos", start=dt.date(2025, 1, 1), end=dt.date(2029, 12, 31)
        )
        record = ProgrammeRecord.objects.create(programme=programme, strategy=strategy, code=f"P{i}", lead_opd=opd)
        record.partner_opds.add(opd)
        record.funding.create(source="apbd", amount=1_000_000)
        record.funding.create(source="csr", amount=500_000, note="Forum CSR")
        for j in range(2):
            activity = Activity.objects.create(record=record, code=f"1.06.04.2.01.{i:02d}{j:02d}", name="K", opd=opd)
            BudgetMonth.objects.bulk_create(
                BudgetMonth(activity=activity, month=dt.date(2025, m, 1), pagu=1000, realised=500, physical=m)
                for m in range(1, 13)
            )
        Adjustment.objects.create(
            record=record,
            field="status",
            before="active",
            after="paused",
            reason="uji",
            effective_on=dt.date(2026, 1, 1),
            proposed_by=manager,
        )
        world.setdefault("record", record)
        _add_contribution(record, manager)


def _add_contribution(record: Any, manager: User) -> None:
    """A contribution of the partner persona's organisation to the programme (the portal and the
    coordination view grow)."""
    from entas.participation.models import Contribution, Partner

    partner, created = Partner.objects.get_or_create(code="forum-csr", defaults={"name": "Forum CSR", "kind": "csr"})
    if created:
        partner.users.set(User.objects.filter(role="partner"))
    Contribution.objects.create(
        partner=partner,
        kind="cash",
        description="Dana",
        record=record,
        year=dt.date.today().year,
        pledged_value=1_000,
        delivered_value=500,
        recorded_by=manager,
    )


def _add_evaluations(serials: range, manager: User) -> None:
    """A saved evaluation and a scenario (of a programme, proposed as an adjustment) per serial."""
    from entas.evaluation.models import Evaluation, Scenario
    from entas.policy.models import Adjustment

    for i in serials:
        Evaluation.objects.create(
            title=f"Evaluasi {i}",
            method="did",
            specification={"method": "did"},
            source="panel.csv",
            snapshot_date=dt.date(2026, 1, 1),
            result={"effect": 1.0, "se": 0.5, "ci_low": 0.0, "ci_high": 2.0, "n": 10},
            created_by=manager,
        )
        adjustment = Adjustment.objects.filter(record__programme__name=f"Program {i}").first()
        Scenario.objects.create(
            title=f"Skenario {i}",
            programme=adjustment.record.programme if adjustment else None,
            specification={"rule": "desil <= 1"},
            result={"households": i, "cost": 1000 * i},
            survey="Susenas",
            created_by=manager,
            adjustment=adjustment,
        )


def _add_reports(serials: range, manager: User) -> None:
    """A programme report with a draft version per serial (the reports list grows)."""
    from entas.reports.models import Report, ReportVersion

    for i in serials:
        report = Report.objects.create(kind="lp2kd", year=2000 + i, created_by=manager)
        ReportVersion.objects.create(
            report=report, number=1, snapshot=dt.date(2026, 1, 1), document={}, generated_by=manager
        )


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return len(queries)


def test_list_pages_cost_the_same_at_any_size_and_match_the_baseline(
    regions: dict[str, Any], dinsos_manager: User, operator_manggar: User, auditor: User, partner: User, make_user: Any
) -> None:
    from entas.accounts.roles import Role

    partner.organisation = "Forum CSR"
    partner.save(update_fields=["organisation"])
    officer = make_user("pelatihan", Role.TRAINING_OFFICER, ["64.71"])
    users = {
        "manager": dinsos_manager,
        "operator": operator_manggar,
        "auditor": auditor,
        "partner": partner,
        "training": officer,
    }
    clients = {}
    for persona, user in users.items():
        clients[persona] = Client()
        clients[persona].force_login(user)
    world = _programme(dinsos_manager, officer)
    counts: dict[str, list[int]] = {}
    for serials in (range(0, 2), range(2, 8)):  # 4 families, then 16: every list grows
        _add_families(regions, world, serials, dinsos_manager, operator_manggar)
        _add_policy(world, serials, dinsos_manager)
        _add_evaluations(serials, dinsos_manager)
        _add_reports(serials, dinsos_manager)
        for name, kwargs, persona in PAGES:
            counts.setdefault(name, []).append(_count(clients[persona], reverse(name, kwargs=kwargs(world))))
    growing = {name: c for name, c in counts.items() if c[0] != c[1]}
    assert not growing, f"pages whose query count grows with the data (a query per row?): {growing}"
    measured = {name: c[0] for name, c in counts.items()}
    stored = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if os.environ.get("ENTAS_UPDATE_QUERY_BASELINE") == "1":
        stored[connection.vendor] = measured
        BASELINE.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
    expected = stored.get(connection.vendor, {})
    changed = {n: (expected.get(n), c) for n, c in measured.items() if expected.get(n) != c}
    assert not changed, (
        f"query counts differ from {BASELINE.name} on {connection.vendor} (page: (baseline, now)): {changed}. "
        "If the change is meant, run with ENTAS_UPDATE_QUERY_BASELINE=1 on SQLite and PostgreSQL."
    )
