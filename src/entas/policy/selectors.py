"""Reads of the policy register, through ``restrict`` (the register is the city's: shown by role).

:func:`register` builds the whole tree of a plan with its money rolled up (:func:`rules.roll_up`), as
it stood on a date, in a fixed number of queries whatever the size of the plan."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from entas.accounts.roles import Capability
from entas.core.models import AuditEvent
from entas.programs.models import Payment

from . import rules
from .choices import AdjustmentState, PlanStatus
from .models import Activity, Adjustment, BudgetMonth, Funding, Plan, ProgrammeRecord, Strategy

if TYPE_CHECKING:
    from entas.accounts.models import User


def plans_for(user: User) -> QuerySet[Plan]:
    return (
        Plan.objects.restrict(user, "view").select_related("parent").order_by("kind", "-start_year", "code", "-version")
    )


def plan_for(user: User, pk: int) -> Plan:
    """One plan, or Plan.DoesNotExist."""
    return Plan.objects.restrict(user, "view").get(pk=pk)


def current_plan(user: User) -> Plan | None:
    """The plan a register page opens on: the adopted RPKD (the latest one), else the latest plan."""
    plans = Plan.objects.restrict(user, "view")
    return (
        plans.filter(kind="rpkd", status=PlanStatus.ADOPTED).order_by("-start_year", "-version").first()
        or plans.order_by("-created_at", "-pk").first()
    )


def record_for(user: User, pk: int) -> ProgrammeRecord:
    """One registered programme, or ProgrammeRecord.DoesNotExist."""
    return (
        ProgrammeRecord.objects.restrict(user, "view")
        .select_related("programme", "strategy__plan", "lead_opd")
        .get(pk=pk)
    )


def record_named(user: User, name: str) -> ProgrammeRecord:
    """A registered programme by its programme's name or register code, or ProgrammeRecord.DoesNotExist."""
    qs = ProgrammeRecord.objects.restrict(user, "view").select_related("programme", "strategy__plan", "lead_opd")
    found = qs.filter(programme__name=name).first() or qs.filter(code=name).order_by("-strategy__plan__version").first()
    if found is None:
        raise ProgrammeRecord.DoesNotExist
    return found


def adjustment_for(user: User, pk: int) -> Adjustment:
    return (
        Adjustment.objects.restrict(user, "view")
        .select_related("record__programme", "proposed_by", "activity")
        .get(pk=pk)
    )


def adjustments_for(user: User, record: ProgrammeRecord | None = None) -> QuerySet[Adjustment]:
    qs = Adjustment.objects.restrict(user, "view").select_related(
        "record__programme", "proposed_by", "decided_by", "activity"
    )
    if record is not None:
        qs = qs.filter(record=record)
    return qs.order_by("-proposed_at", "-pk")


def pending_adjustments(user: User) -> QuerySet[Adjustment]:
    """Adjustments waiting for a decision that the user may take (not their own proposals)."""
    return adjustments_for(user).filter(state=AdjustmentState.PROPOSED).exclude(proposed_by=user)


def activity_for(user: User, pk: int) -> Activity:
    """One activity of the register, with its programme and OPD (raises DoesNotExist)."""
    return (
        Activity.objects.restrict(user, "view")
        .select_related("record__programme", "record__strategy__plan", "opd")
        .get(pk=pk)
    )


@dataclass(frozen=True)
class MonthRow:
    """One month of an activity: the pagu and its revision, the realisation and physical progress,
    and who last changed it."""

    month: dt.date
    pagu: int
    revised: int | None
    in_force: int
    realised: int
    physical: int | None
    updated_at: dt.datetime | None
    updated_by: str


def activity_months(activity: Activity) -> list[MonthRow]:
    """Every month of an activity, oldest first (a cash transfer's paid activity: its payments)."""
    paid: dict[dt.date, int] = {}
    if activity.realised_from_payments:
        far = dt.date(9999, 12, 31)
        paid = {month: amount for (_p, month), amount in paid_by_month([activity.record.programme_id], far).items()}
    out = []
    for m in BudgetMonth.objects.filter(activity=activity).select_related("updated_by").order_by("month"):
        who = (m.updated_by.get_full_name() or m.updated_by.username) if m.updated_by is not None else ""
        out.append(
            MonthRow(
                m.month,
                m.pagu,
                m.revised,
                rules.effective_pagu(m.pagu, m.revised),
                paid.get(m.month, 0) if activity.realised_from_payments else m.realised,
                m.physical,
                m.updated_at,
                who,
            )
        )
    return out


def realisation_history(activity: Activity, limit: int = 500) -> QuerySet[AuditEvent]:
    """Every change of the activity's realisation, newest first: the month, the realisation and
    physical progress before and after, who entered it (a page, a file, the command line) and when."""
    return (
        AuditEvent.objects.filter(
            action="policy.realisation", object_type="policy.activity", object_id=str(activity.pk)
        )
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )


def activities_to_realise(user: User) -> QuerySet[Activity]:
    """The activities whose realisation the user may enter: every one for the register's editors,
    their own OPD's for an OPD officer, none otherwise."""
    qs = Activity.objects.restrict(user, "realise").select_related("record__programme", "opd")
    if user.can(Capability.EDIT_POLICY):
        return qs
    opd_id = user.opd_id
    if opd_id is None:
        return qs.none()
    return qs.filter(opd_id=opd_id)


def records_to_benefit(user: User) -> list[ProgrammeRecord]:
    """The registered programmes other than cash transfers (whose payments are their benefits) that
    the user may record benefits of: every one for the register's editors, their own OPD's lead
    programmes for an OPD officer, none otherwise."""
    qs = (
        ProgrammeRecord.objects.restrict(user, "view")
        .exclude(programme__kind="cash")
        .select_related("programme", "lead_opd")
        .order_by("code", "pk")
    )
    if not user.can(Capability.EDIT_POLICY):
        if not user.can(Capability.REALISE_POLICY) or user.opd_id is None:
            return []
        qs = qs.filter(lead_opd_id=user.opd_id)
    return list(qs[:300])


# -- the tree --------------------------------------------------------------------------------------


@dataclass
class ActivityRow:
    activity: Activity
    money: rules.Amounts
    physical: int | None
    # Its output, unit, volume target and location as they stood on the day (adjustments after it undone).
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProgrammeRow:
    record: ProgrammeRecord
    fields: dict[str, Any]  # the adjustable fields as they stood on the day
    money: rules.Amounts
    funding: dict[str, int]
    activities: list[ActivityRow] = field(default_factory=list)

    @property
    def funding_total(self) -> int:
        return sum(self.funding.values())


@dataclass
class StrategyRow:
    strategy: Strategy
    money: rules.Amounts
    funding: dict[str, int]
    programmes: list[ProgrammeRow] = field(default_factory=list)


@dataclass
class Register:
    plan: Plan
    day: dt.date
    money: rules.Amounts
    funding: dict[str, int]
    by_opd: dict[str, rules.Amounts]
    opd_names: dict[str, str]
    strategies: list[StrategyRow] = field(default_factory=list)

    def programmes(self) -> list[ProgrammeRow]:
        return [p for s in self.strategies for p in s.programmes]


def _fields(record: ProgrammeRecord, funding: dict[str, int]) -> dict[str, Any]:
    return {
        "status": record.status,
        "target_group": record.target_group,
        "target_beneficiaries": record.target_beneficiaries,
        "target_kelurahan": sorted(r.code for r in record.target_kelurahan.all()),
        "lead_opd": record.lead_opd.code,
        "end": record.programme.end.isoformat(),
        "base_amount": record.programme.base_amount,
        "rule": record.programme.rule.name if record.programme.rule else "",
        **{f"funding.{s}": funding.get(s, 0) for s in ("apbd", "dana_kelurahan", "apbn", "csr", "other")},
    }


def paid_by_month(programme_ids: list[int], until: dt.date) -> dict[tuple[int, dt.date], int]:
    """The cash programmes' paid payments, by programme and month (in the city's time zone)."""
    rows = (
        Payment.objects.filter(
            status=Payment.Status.PAID,
            entitlement__cycle__programme_id__in=programme_ids,
            created_at__date__lte=until,
        )
        .annotate(m=TruncMonth("created_at"))
        .values("entitlement__cycle__programme_id", "m")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    out: dict[tuple[int, dt.date], int] = defaultdict(int)
    for r in rows:
        month = r["m"].date() if isinstance(r["m"], dt.datetime) else r["m"]
        out[(r["entitlement__cycle__programme_id"], month.replace(day=1))] += int(r["total"] or 0)
    return out


def funded_records(user: User) -> QuerySet[ProgrammeRecord]:
    """The programmes a partner's organisation funds: a funding row whose note names the organisation
    (as the plan file records it: ``csr: {amount: …, note: Forum CSR Kota Balikpapan}``)."""
    organisation = (getattr(user, "organisation", "") or "").strip()
    if not organisation:
        return ProgrammeRecord.objects.none()
    return ProgrammeRecord.objects.restrict(user, "funded").filter(funding__note__iexact=organisation).distinct()


# Funding a higher module records, added to the register's roll-ups under its own source: the partners'
# delivered contributions (entas.participation registers itself here). A provider answers, for the
# programmes of a register and a day, the amount each received up to that day.
FundingProvider = Callable[[list[int], dt.date], dict[int, int]]
_FUNDING_SOURCES: dict[str, FundingProvider] = {}


def add_funding_source(source: str, provider: FundingProvider) -> None:
    _FUNDING_SOURCES[source] = provider


def register(
    user: User,
    plan: Plan,
    day: dt.date | None = None,
    *,
    opd: str | None = None,
    scope: QuerySet[ProgrammeRecord] | None = None,
) -> Register:
    """The plan's tree with its money as it stood on ``day`` (today by default): each programme's fields
    with the approved adjustments effective after ``day`` undone, and the months up to ``day``'s month
    counted (a cash transfer's payments up to ``day``). ``opd`` keeps the activities of one OPD;
    ``scope`` the programmes of an already scoped queryset (a partner's: :func:`funded_records`)."""
    day = day or timezone.localdate()
    last_month = day.replace(day=1)
    strategies = list(Strategy.objects.filter(plan=plan).prefetch_related("focus_kelurahan").order_by("code"))
    chosen = scope if scope is not None else ProgrammeRecord.objects.restrict(user, "view")
    records = list(
        chosen.filter(strategy__plan=plan)
        .select_related("programme__rule", "lead_opd")
        .prefetch_related("partner_opds", "target_kelurahan")
        .order_by("code")
    )
    record_ids = [r.pk for r in records]
    activities = list(Activity.objects.filter(record_id__in=record_ids).select_related("opd").order_by("code"))
    if opd:
        activities = [a for a in activities if a.opd.code == opd]
    sums = {
        r["activity_id"]: r
        for r in BudgetMonth.objects.filter(activity__in=activities, month__lte=last_month)
        .values("activity_id")
        .annotate(pagu=Sum("pagu"), realised=Sum("realised"))
        .order_by()
    }
    # The pagu in force: a month's revision where there is one (summed separately: revised may be null).
    revisions = {
        r["activity_id"]: r
        for r in BudgetMonth.objects.filter(activity__in=activities, month__lte=last_month, revised__isnull=False)
        .values("activity_id")
        .annotate(pagu=Sum("pagu"), revised=Sum("revised"))
        .order_by()
    }
    physical = _latest_physical(activities, last_month)
    cash = [r.programme_id for r in records if r.programme.kind == "cash"]
    paid = paid_by_month(cash, day) if cash else {}
    paid_total: dict[int, int] = defaultdict(int)
    for (programme_id, _month), amount in paid.items():
        paid_total[programme_id] += amount
    funding_rows = list(Funding.objects.filter(record_id__in=record_ids))
    changes: dict[int, list[rules.Change]] = defaultdict(list)
    shift: dict[int, int] = defaultdict(int)  # pagu revisions effective after the day, undone
    activity_changes: dict[int, list[rules.Change]] = defaultdict(list)
    for adj in Adjustment.objects.filter(record_id__in=record_ids, state=AdjustmentState.APPROVED):
        if adj.activity_id is None:
            changes[adj.record_id].append(rules.Change(adj.pk, adj.field, adj.before, adj.after, adj.effective_on))
        elif adj.field in rules.ACTIVITY_FIELDS:
            activity_changes[adj.activity_id].append(
                rules.Change(adj.pk, adj.field, adj.before, adj.after, adj.effective_on)
            )
        elif adj.effective_on > day and adj.months:
            shift[adj.activity_id] += rules.revision_shift(adj.months, last_month)

    by_record = {r.pk: r for r in records}
    strategy_of = {r.pk: r.strategy_id for r in records}
    lines = []
    for a in activities:
        s = sums.get(a.pk, {})
        rev = revisions.get(a.pk)
        budget = int(s.get("pagu") or 0)
        if rev is not None:
            budget += int(rev["revised"] or 0) - int(rev["pagu"] or 0)
        budget -= shift.get(a.pk, 0)
        realised = int(s.get("realised") or 0)
        if a.realised_from_payments:
            realised = paid_total.get(by_record[a.record_id].programme_id, 0)
        lines.append(
            rules.LineFacts(plan.pk, strategy_of[a.record_id], a.record_id, a.pk, a.opd.code, budget, realised)
        )
    rolled = rules.roll_up(lines)
    funding_by_record: dict[int, dict[str, int]] = defaultdict(dict)
    for f in funding_rows:
        funding_by_record[f.record_id][f.source] = f.amount
    fields = {r.pk: rules.as_of(_fields(r, funding_by_record[r.pk]), changes[r.pk], day) for r in records}
    # Funding as it stood on the day (adjustments of funding undone like any other field).
    planned = [
        rules.FundingFacts(plan.pk, strategy_of[pk], pk, key.split(".", 1)[1], int(value or 0))
        for pk, values in fields.items()
        for key, value in values.items()
        if key.startswith("funding.") and value
    ]
    delivered = [
        rules.FundingFacts(plan.pk, strategy_of[pk], pk, source, amount)
        for source, provider in _FUNDING_SOURCES.items()
        for pk, amount in (provider(record_ids, day) if record_ids else {}).items()
        if amount and pk in strategy_of
    ]
    funded = rules.funding_roll_up(planned + delivered)
    out = Register(
        plan=plan,
        day=day,
        money=rolled.total,
        funding=funded.total,
        by_opd=dict(sorted(rolled.opd.items())),
        opd_names={a.opd.code: a.opd.name for a in activities},
    )
    for strategy in strategies:
        row = StrategyRow(
            strategy, rolled.strategy.get(strategy.pk, rules.Amounts()), funded.strategy.get(strategy.pk, {})
        )
        for r in records:
            if r.strategy_id != strategy.pk:
                continue
            p = ProgrammeRow(
                r, fields[r.pk], rolled.programme.get(r.pk, rules.Amounts()), funded.programme.get(r.pk, {})
            )
            p.activities = [
                ActivityRow(
                    a, rolled.activity[a.pk], physical.get(a.pk), activity_fields(a, activity_changes[a.pk], day)
                )
                for a in activities
                if a.record_id == r.pk
            ]
            row.programmes.append(p)
        out.strategies.append(row)
    return out


def activity_fields(activity: Activity, changes: list[rules.Change], day: dt.date) -> dict[str, Any]:
    """An activity's output, unit, volume target and location as they stood on ``day``."""
    return rules.as_of({name: getattr(activity, name) for name in rules.ACTIVITY_FIELDS}, changes, day)


def activity_on(activity: Activity, day: dt.date) -> dict[str, Any]:
    """One activity's output, unit, volume target and location as they stood on ``day``."""
    adjustments = activity.adjustments.filter(state=AdjustmentState.APPROVED, field__in=list(rules.ACTIVITY_FIELDS))
    changes = [rules.Change(a.pk, a.field, a.before, a.after, a.effective_on) for a in adjustments]
    return activity_fields(activity, changes, day)


def _latest_physical(activities: list[Activity], last_month: dt.date) -> dict[int, int]:
    """Each activity's physical progress of its latest month that reports one (up to ``last_month``)."""
    out: dict[int, int] = {}
    rows: Any = (
        BudgetMonth.objects.filter(activity__in=activities, month__lte=last_month, physical__isnull=False)
        .order_by("activity_id", "month")
        .values_list("activity_id", "physical")
    )
    for activity_id, value in rows:
        out[activity_id] = value  # later months overwrite earlier ones
    return out


def register_json(reg: Register) -> dict[str, Any]:
    """The register as plain JSON (``entas policy show --json``, the API)."""

    def money(m: rules.Amounts) -> dict[str, int]:
        return {"budget": m.budget, "realised": m.realised, "percent": m.percent}

    return {
        "plan": {
            "id": reg.plan.pk,
            "code": reg.plan.code,
            "version": reg.plan.version,
            "kind": reg.plan.kind,
            "title": reg.plan.title,
            "status": reg.plan.status,
            "adopted_on": reg.plan.adopted_on.isoformat() if reg.plan.adopted_on else None,
            "legal_basis": reg.plan.legal_basis,
            "years": [reg.plan.start_year, reg.plan.end_year],
        },
        "as_of": reg.day.isoformat(),
        "money": money(reg.money),
        "funding": reg.funding,
        "by_opd": {code: money(m) for code, m in reg.by_opd.items()},
        "strategies": [
            {
                "code": s.strategy.code,
                "name": s.strategy.name,
                "national_strategy": s.strategy.national_strategy,
                "focus_kelurahan": sorted(r.code for r in s.strategy.focus_kelurahan.all()),
                "money": money(s.money),
                "funding": s.funding,
                "programmes": [
                    {
                        "id": p.record.pk,
                        "code": p.record.code,
                        "name": p.record.programme.name,
                        "kind": p.record.programme.kind,
                        "partner_opds": sorted(o.code for o in p.record.partner_opds.all()),
                        **p.fields,
                        "money": money(p.money),
                        "funding": p.funding,
                        "activities": [
                            {
                                "code": a.activity.code,
                                "name": a.activity.name,
                                "opd": a.activity.opd.code,
                                "output": a.fields["output"],
                                "unit": a.fields["unit"],
                                "volume_target": a.fields["volume_target"],
                                "location": a.fields["location"],
                                "physical": a.physical,
                                "money": money(a.money),
                            }
                            for a in p.activities
                        ],
                    }
                    for p in s.programmes
                ],
            }
            for s in reg.strategies
        ],
    }


@dataclass(frozen=True)
class YearRow:
    year: int
    money: rules.Amounts


def years_of(record: ProgrammeRecord, day: dt.date) -> dict[int, list[YearRow]]:
    """Each activity of a programme, year by year up to ``day``'s month: the pagu in force and the
    realisation (a cash transfer's payments for its paid activity)."""
    last_month = day.replace(day=1)
    activities = list(record.activities.all())
    totals: dict[tuple[int, int], rules.Amounts] = defaultdict(rules.Amounts)
    rows = BudgetMonth.objects.filter(activity__in=activities, month__lte=last_month).values_list(
        "activity_id", "month", "pagu", "revised", "realised"
    )
    paid_activity = next((a.pk for a in activities if a.realised_from_payments), None)
    for activity_id, month, pagu, revised, realised in rows:
        totals[(activity_id, month.year)].add(
            rules.effective_pagu(pagu, revised), 0 if activity_id == paid_activity else realised
        )
    if paid_activity is not None:
        for (_programme, month), amount in paid_by_month([record.programme_id], day).items():
            totals[(paid_activity, month.year)].add(0, amount)
    later = Adjustment.objects.filter(
        record=record, state=AdjustmentState.APPROVED, activity__isnull=False, effective_on__gt=day
    )
    for adj in later:
        for month, (before, after) in (adj.months or {}).items():
            if month <= f"{last_month:%Y-%m}" and adj.activity_id is not None:
                totals[(adj.activity_id, int(month[:4]))].add(before - after, 0)
    out: dict[int, list[YearRow]] = defaultdict(list)
    for (activity_id, year), money in sorted(totals.items()):
        out[activity_id].append(YearRow(year, money))
    return out


# -- who benefits from what ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One benefit in a household's timeline: a paid cash payment or a recorded benefit of any kind."""

    day: dt.date
    programme: str
    kind: str
    what: str
    quantity: int
    unit: str
    amount: int
    person: str
    person_id: int | None


# Benefits a higher module delivers and keeps in its own tables (a training place, a business group's
# grant or loan, a campaign session attended), read into the one timeline where they are, never
# copied: each delivery app registers a provider when it starts (as participation registers its
# funding). A provider answers, for a household and optionally one of its members, its entries.
BenefitProvider = Callable[[Any, Any], list[TimelineEntry]]
_BENEFIT_SOURCES: dict[str, BenefitProvider] = {}


def add_benefit_source(name: str, provider: BenefitProvider) -> None:
    _BENEFIT_SOURCES[name] = provider


def benefit_timeline(household: Any, member: Any = None) -> list[TimelineEntry]:
    """Everything the household (or one member) received, newest first, across every programme kind:
    the cash transfers' paid payments (household-wide: not listed for one person), the benefits
    recorded here (an OPD's list, in-kind aid, services) and those the delivery apps keep (training
    places, group assistance, campaign sessions: :func:`add_benefit_source`). The household was found
    through the user's areas by the caller."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from .models import Benefit

    zone = ZoneInfo(settings.TIME_ZONE)
    entries = []
    benefits = Benefit.objects.filter(household=household).select_related("programme", "member")
    if member is not None:
        benefits = benefits.filter(member=member)
    for b in benefits:
        entries.append(
            TimelineEntry(
                b.received_on,
                b.programme.name,
                b.programme.kind,
                b.description,
                b.quantity,
                b.unit,
                b.value,
                b.member.name if b.member else "",
                b.member_id,
            )
        )
    if member is None:
        payments = Payment.objects.filter(entitlement__household=household, status=Payment.Status.PAID).select_related(
            "entitlement__cycle__programme"
        )
        for p in payments:
            cycle = p.entitlement.cycle
            entries.append(
                TimelineEntry(
                    p.created_at.astimezone(zone).date(),
                    cycle.programme.name,
                    cycle.programme.kind,
                    f"#{cycle.number} {cycle.period}",
                    1,
                    "",
                    p.amount,
                    "",
                    None,
                )
            )
    for provider in _BENEFIT_SOURCES.values():
        entries.extend(provider(household, member))
    return sorted(entries, key=lambda e: (e.day, e.programme), reverse=True)


# Who a delivery app's programmes reached, for the counts: a provider answers, for programmes and a
# day, ``(programme id, household id, member id or None)`` of everything delivered up to that day.
ReachProvider = Callable[[list[int], dt.date], Iterable[tuple[int, int, int | None]]]
_REACH_SOURCES: dict[str, ReachProvider] = {}


def add_reach_source(name: str, provider: ReachProvider) -> None:
    _REACH_SOURCES[name] = provider


def beneficiaries(record: ProgrammeRecord, day: dt.date) -> dict[str, int]:
    """How many the programme reached by ``day`` (city-wide counts, no names): households and people
    with a benefit (recorded here or delivered by the training, enterprise and campaign apps:
    :func:`add_reach_source`), and for a cash transfer the households enrolled and those paid."""
    return beneficiaries_of([record], day)[record.pk]


def beneficiaries_of(records: list[ProgrammeRecord], day: dt.date) -> dict[int, dict[str, int]]:
    """:func:`beneficiaries` of several programmes in a fixed number of queries."""
    from django.db.models import Count

    from entas.programs.models import Enrolment

    from .models import Benefit

    by_programme = {r.programme_id: r.pk for r in records}
    out = {r.pk: {"households": 0, "people": 0} for r in records}
    households: dict[int, set[int]] = defaultdict(set)
    people: dict[int, set[int]] = defaultdict(set)
    ids = list(by_programme)
    rows: list[Iterable[tuple[int, int, int | None]]] = [
        Benefit.objects.filter(programme_id__in=ids, received_on__lte=day).values_list(
            "programme_id", "household_id", "member_id"
        )
    ]
    rows += [provider(ids, day) for provider in _REACH_SOURCES.values()] if ids else []
    for source in rows:
        for programme_id, household_id, member_id in source:
            households[programme_id].add(household_id)
            if member_id is not None:
                people[programme_id].add(member_id)
    for programme_id, pk in by_programme.items():
        out[pk].update(households=len(households[programme_id]), people=len(people[programme_id]))
    cash = [r.programme_id for r in records if r.programme.kind == "cash"]
    if cash:
        for r in records:
            if r.programme.kind == "cash":
                out[r.pk].update(enrolled=0, paid=0)
        enrolled = (
            Enrolment.objects.filter(programme_id__in=cash, state=Enrolment.State.ENROLLED)
            .values("programme_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in enrolled:
            out[by_programme[row["programme_id"]]]["enrolled"] = row["n"]
        paid = (
            Payment.objects.filter(
                status=Payment.Status.PAID, entitlement__cycle__programme_id__in=cash, created_at__date__lte=day
            )
            .values("entitlement__cycle__programme_id")
            .annotate(n=Count("entitlement__household", distinct=True))
            .order_by()
        )
        for row in paid:
            out[by_programme[row["entitlement__cycle__programme_id"]]]["paid"] = row["n"]
    return out
