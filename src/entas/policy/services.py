"""Writes of the policy register, each one audited in its own transaction: loading a plan file,
adopting a plan, recording realisation, and proposing and deciding adjustments (maker-checker)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.accounts.models import Opd
from entas.accounts.roles import Capability
from entas.core import audit
from entas.core.context import channel, client_ip, os_user
from entas.core.errors import Problem, Refused
from entas.core.models import AuditEvent
from entas.core.services import service
from entas.programs.models import Programme
from entas.regions.models import Region, RegionLevel

from . import rules
from .choices import AdjustmentState, PlanStatus
from .models import Activity, Adjustment, BudgetMonth, Funding, Plan, ProgrammeRecord, Strategy
from .planfile import PlanSpec, months_of, spread

if TYPE_CHECKING:
    from entas.accounts.models import User


def _require(actor: User | None, capability: Capability, message: str) -> None:
    if actor is None or not actor.can(capability):
        raise Refused(message, code="forbidden")


def digest(spec: PlanSpec) -> str:
    """The fingerprint of a plan file's content (not of its spelling: comments and order of keys aside)."""
    text = json.dumps(dataclasses.asdict(spec), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class LoadResult:
    plan: Plan
    outcome: str  # created, updated or unchanged
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan.pk,
            "code": self.plan.code,
            "version": self.plan.version,
            "status": self.plan.status,
            "outcome": self.outcome,
            **self.counts,
        }


def _check_references(spec: PlanSpec) -> tuple[dict[str, Region], dict[str, Programme]]:
    """The kelurahan and programmes the file names, or a refusal listing every unknown one."""
    problems: list[Problem] = []
    known_opds = {o.code for o in spec.opds} | set(Opd.objects.values_list("code", flat=True))
    for p in spec.programmes():
        for code in (p.lead_opd, *p.partner_opds, *(a.opd for a in p.activities)):
            if code not in known_opds:
                problems.append(
                    Problem(
                        p.code, _("%(programme)s names an unknown OPD %(opd)s") % {"programme": p.code, "opd": code}
                    )
                )
    wanted = {c for s in spec.strategies for c in s.focus_kelurahan} | {
        c for p in spec.programmes() for c in p.target_kelurahan
    }
    kelurahan = {r.code: r for r in Region.objects.filter(code__in=wanted, level=RegionLevel.KELURAHAN)}
    for code in sorted(wanted - set(kelurahan)):
        problems.append(Problem("kelurahan", _("%(code)s is not a kelurahan code") % {"code": code}))
    existing = {p.name: p for p in Programme.objects.filter(name__in=[p.name for p in spec.programmes()])}
    for p in spec.programmes():
        found = existing.get(p.name)
        if p.kind == "cash" and found is None:
            problems.append(
                Problem(
                    p.code,
                    _(
                        "The cash programme %(name)s is not defined: load its programme file first "
                        "(entas program load FILE)."
                    )
                    % {"name": p.name},
                )
            )
        elif found is not None and found.kind != p.kind:
            problems.append(
                Problem(
                    p.code,
                    _("%(name)s is a programme of another kind (%(kind)s)") % {"name": p.name, "kind": found.kind},
                )
            )
    records = ProgrammeRecord.objects.filter(programme__in=existing.values()).exclude(strategy__plan__code=spec.code)
    for record in records.select_related("programme", "strategy__plan"):
        if record.strategy.plan.status != PlanStatus.SUPERSEDED:
            problems.append(
                Problem(
                    record.programme.name,
                    _("%(name)s is already registered under plan %(plan)s")
                    % {"name": record.programme.name, "plan": record.strategy.plan.code},
                )
            )
    if problems:
        raise Refused(
            _("The plan cannot be loaded:") + "\n" + "\n".join(p.message for p in problems),
            code="invalid",
            issues=problems,
        )
    return kelurahan, existing


@service
def load_plan(*, spec: PlanSpec, actor: User, source: str = "") -> LoadResult:
    """Create a plan version, or update a draft one, with its OPDs, strategies, programmes (cash ones
    must already be defined; the others are created), funding, activities and monthly pagu (each
    year's pagu spread over its months). Loading the same file again changes nothing; an adopted or
    superseded version is never changed by a file (adjust its programmes, or load a new version)."""
    _require(actor, Capability.EDIT_POLICY, _("You may not edit the policy register."))
    fingerprint = digest(spec)
    plan = Plan.objects.select_for_update().filter(code=spec.code, version=spec.version).first()
    if plan is not None and plan.digest == fingerprint:
        return LoadResult(plan, "unchanged", {})
    if plan is not None and plan.status != PlanStatus.DRAFT:
        raise Refused(
            _(
                "Version %(version)d of %(code)s is %(status)s and is not changed by a file: adjust its programmes, "
                "or load the file as a new version."
            )
            % {"version": spec.version, "code": spec.code, "status": plan.get_status_display()},
            code="conflict",
        )
    parent = None
    if spec.parent:
        parent = Plan.objects.filter(code=spec.parent).order_by("-version").first()
        if parent is None:
            raise Refused(_("There is no plan %(code)s to carry out.") % {"code": spec.parent}, code="invalid")
    kelurahan, programmes = _check_references(spec)
    counts = {"strategies": 0, "programmes": 0, "programmes_created": 0, "activities": 0, "months": 0}
    outcome = "updated" if plan is not None else "created"
    fields = {
        "kind": spec.kind,
        "title": spec.title,
        "parent": parent,
        "start_year": spec.start_year,
        "end_year": spec.end_year,
        "status": spec.status,
        "adopted_on": spec.adopted_on,
        "legal_basis": spec.legal_basis,
        "digest": fingerprint,
    }
    if plan is None:
        plan = Plan.objects.create(code=spec.code, version=spec.version, **fields)
    else:
        Plan.objects.filter(pk=plan.pk).update(**fields)
        plan.refresh_from_db()
    if plan.status == PlanStatus.ADOPTED:
        _supersede_others(plan)
    opds = {o.code: o for o in Opd.objects.all()}
    for o in spec.opds:
        if o.code not in opds:
            opds[o.code] = Opd.objects.create(code=o.code, name=o.name)
        elif opds[o.code].name != o.name:
            Opd.objects.filter(pk=opds[o.code].pk).update(name=o.name)
    for s in spec.strategies:
        strategy, _c = Strategy.objects.update_or_create(
            plan=plan,
            code=s.code,
            defaults={
                "name": s.name,
                "national_strategy": s.national_strategy,
                "goals": s.goals,
                "thematic": s.thematic,
                "holistic": s.holistic,
                "integrative": s.integrative,
            },
        )
        strategy.focus_kelurahan.set([kelurahan[c] for c in s.focus_kelurahan])
        counts["strategies"] += 1
        for p in s.programmes:
            programme = programmes.get(p.name)
            if programme is None:
                programme = Programme.objects.create(
                    name=p.name, kind=p.kind, agency=opds[p.lead_opd].name[:120], start=p.start, end=p.end
                )
                counts["programmes_created"] += 1
            elif p.kind != "cash":
                Programme.objects.filter(pk=programme.pk).update(
                    agency=opds[p.lead_opd].name[:120], start=p.start, end=p.end
                )
            record, _c = ProgrammeRecord.objects.update_or_create(
                programme=programme,
                defaults={
                    "strategy": strategy,
                    "code": p.code,
                    "budget_code": p.budget_code,
                    "lead_opd": opds[p.lead_opd],
                    "target_group": p.target_group,
                    "target_beneficiaries": p.target_beneficiaries,
                    "status": p.status,
                },
            )
            record.partner_opds.set([opds[c] for c in p.partner_opds])
            record.target_kelurahan.set([kelurahan[c] for c in p.target_kelurahan])
            record.funding.all().delete()
            Funding.objects.bulk_create(
                [Funding(record=record, source=f.source, amount=f.amount, note=f.note) for f in p.funding]
            )
            counts["programmes"] += 1
            start, end = (programme.start, programme.end) if p.kind == "cash" else (p.start, p.end)
            for a in p.activities:
                activity, _c = Activity.objects.update_or_create(
                    code=a.code,
                    defaults={
                        "record": record,
                        "level": a.level,
                        "name": a.name,
                        "opd": opds[a.opd],
                        "output": a.output,
                        "unit": a.unit,
                        "volume_target": a.volume_target,
                        "location": a.location,
                        "realised_from_payments": a.from_payments,
                    },
                )
                counts["activities"] += 1
                counts["months"] += _set_pagu(activity, a.pagu, start, end, actor)
    audit.record(
        actor=actor,
        action="policy.plan_load",
        obj=plan,
        after={"outcome": outcome, "digest": fingerprint, **counts},
        note=source[:200],
    )
    return LoadResult(plan, outcome, counts)


def _set_pagu(activity: Activity, pagu: dict[int, int], start: dt.date, end: dt.date, actor: User) -> int:
    """Spread each year's pagu over its months (within the period), keeping realisation and revisions."""
    wanted: dict[dt.date, int] = {}
    for year, amount in pagu.items():
        months = months_of(year, start, end)
        wanted.update(zip(months, spread(amount, len(months)), strict=True))
    rows = {m.month: m for m in BudgetMonth.objects.filter(activity=activity)}
    now = timezone.now()
    changed = []
    for month, amount in wanted.items():
        row = rows.get(month)
        if row is None:
            rows[month] = BudgetMonth(activity=activity, month=month, pagu=amount, updated_at=now, updated_by=actor)
        elif row.pagu != amount:
            row.pagu, row.updated_at, row.updated_by = amount, now, actor
            changed.append(row)
    BudgetMonth.objects.bulk_create([r for r in rows.values() if r.pk is None])
    BudgetMonth.objects.bulk_update(changed, ["pagu", "updated_at", "updated_by"])
    return len(wanted)


def _supersede_others(plan: Plan) -> None:
    Plan.objects.filter(code=plan.code, status=PlanStatus.ADOPTED).exclude(pk=plan.pk).update(
        status=PlanStatus.SUPERSEDED
    )


@service
def adopt_plan(*, plan: Plan, adopted_on: dt.date, legal_basis: str, actor: User) -> Plan:
    """Adopt a draft plan version (by its Perwali or SK); the version adopted before is superseded."""
    _require(actor, Capability.EDIT_POLICY, _("You may not edit the policy register."))
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise Refused(_("Only a draft plan can be adopted."), code="conflict")
    if not legal_basis.strip():
        raise Refused(_("Name the Perwali or SK that adopts the plan."), code="invalid")
    Plan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.ADOPTED, adopted_on=adopted_on, legal_basis=legal_basis.strip()
    )
    _supersede_others(plan)
    plan.refresh_from_db()
    audit.record(
        actor=actor,
        action="policy.plan_adopt",
        obj=plan,
        after={"adopted_on": adopted_on.isoformat(), "legal_basis": plan.legal_basis},
    )
    return plan


# -- realisation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealisationRow:
    activity: Activity
    month: dt.date
    realised: int
    physical: int | None


def may_realise(actor: User | None, activity: Activity) -> bool:
    """Whether the actor may enter realisation for the activity: the register's editors for any, an
    OPD officer for their own OPD's only."""
    if actor is None or not actor.is_active:
        return False
    if actor.can(Capability.EDIT_POLICY):
        return True
    return actor.can(Capability.REALISE_POLICY) and actor.opd_id is not None and actor.opd_id == activity.opd_id


@service
def enter_realisation(
    *, actor: User, entries: list[tuple[str, str, int, int | None]], note: str = "api"
) -> dict[str, int]:
    """Realisation entered row by row (the API): each ``(activity code, month "2026-03", realised Rp,
    physical % or None)`` checked by the same rules as a realisation file's row (the activity exists,
    the actor may enter it, it is not realised from payments, the month is in the programme's
    period, one row per activity and month); all rows or none. Returns the counts."""
    if not (actor.can(Capability.EDIT_POLICY) or actor.can(Capability.REALISE_POLICY)):
        raise Refused(_("Your role may not enter budget realisation."), code="forbidden")
    activities = {
        a.code: a
        for a in Activity.objects.filter(code__in={e[0] for e in entries}).select_related("record__programme", "opd")
    }
    problems: list[Problem] = []
    rows: list[RealisationRow] = []
    seen: set[tuple[str, dt.date]] = set()
    for number, (code, month_text, realised, physical) in enumerate(entries):
        month = rules.parse_month(month_text)
        if isinstance(month, str):
            problems.append(Problem(f"rows.{number}.month", month))
            continue
        activity = activities.get(code)
        if activity is None:
            problems.append(Problem(f"rows.{number}.activity_code", _("No activity with this code in the register.")))
            continue
        programme = activity.record.programme
        reasons = rules.check_realisation(
            month,
            rules.MonthFacts(
                exists=True,
                may_enter=may_realise(actor, activity),
                from_payments=activity.realised_from_payments,
                first_month=programme.start.replace(day=1),
                last_month=programme.end.replace(day=1),
            ),
        )
        if (code, month) in seen:
            reasons.append(
                _("Activity %(code)s has a second row for %(month)s.") % {"code": code, "month": f"{month:%Y-%m}"}
            )
        seen.add((code, month))
        problems += [Problem(f"rows.{number}", reason) for reason in reasons]
        if not reasons:
            rows.append(RealisationRow(activity, month, realised, physical))
    if problems:
        raise Refused(problems[0].message, code="invalid", issues=problems)
    return record_realisation(rows, actor=actor, note=note)


def record_realisation(rows: list[RealisationRow], *, actor: User, note: str = "") -> dict[str, int]:
    """Write realisation rows (set-based: one read, one insert, one update and one insert of audit
    events), inside the caller's transaction. Returns inserted/updated/unchanged counts. The caller
    has checked every row (:func:`may_realise`, the period, not from payments)."""
    if not rows:
        return {"inserted": 0, "updated": 0, "unchanged": 0}
    keys = Q()
    for r in rows:
        keys |= Q(activity_id=r.activity.pk, month=r.month)
    existing = {(m.activity_id, m.month): m for m in BudgetMonth.objects.select_for_update().filter(keys)}
    now = timezone.now()
    inserted: list[BudgetMonth] = []
    updated: list[BudgetMonth] = []
    events = []
    unchanged = 0
    for r in rows:
        row = existing.get((r.activity.pk, r.month))
        before = None if row is None else {"realised": row.realised, "physical": row.physical}
        after = {"realised": r.realised, "physical": r.physical}
        if before == after:
            unchanged += 1
            continue
        if row is None:
            row = BudgetMonth(activity=r.activity, month=r.month, realised=r.realised, physical=r.physical)
            inserted.append(row)
            existing[(r.activity.pk, r.month)] = row
        else:
            row.realised, row.physical = r.realised, r.physical
            if row.pk is not None and row not in updated:
                updated.append(row)
        row.updated_at, row.updated_by = now, actor
        events.append(
            AuditEvent(
                actor=actor,
                action="policy.realisation",
                object_type="policy.activity",
                object_id=str(r.activity.pk),
                object_repr=f"{r.activity.code} {r.month:%Y-%m}"[:200],
                before=before,
                after=after,
                client_ip=client_ip.get(),
                channel=channel.get(),
                os_user=os_user.get(),
                note=note[:200],
            )
        )
    BudgetMonth.objects.bulk_create([r for r in inserted if r.pk is None])
    BudgetMonth.objects.bulk_update(updated, ["realised", "physical", "updated_at", "updated_by"])
    AuditEvent.objects.bulk_create(events)
    return {"inserted": len(inserted), "updated": len(updated), "unchanged": unchanged}


# -- adjustments -----------------------------------------------------------------------------------


def _year_months(record: ProgrammeRecord, year: int) -> list[dt.date]:
    return months_of(year, record.programme.start, record.programme.end)


def current_value(record: ProgrammeRecord, name: str, activity: Activity | None = None) -> Any:
    """A programme's present value of an adjustable field (or an activity's pagu in force for a year:
    ``pagu.2026``), as plain JSON."""
    if activity is not None and name in rules.ACTIVITY_FIELDS:
        return getattr(activity, name)
    if activity is not None:
        year = int(name.split(".", 1)[1])
        rows = BudgetMonth.objects.filter(activity=activity, month__in=_year_months(record, year))
        return sum(rules.effective_pagu(m.pagu, m.revised) for m in rows)
    if name in ("status", "target_group", "target_beneficiaries"):
        return getattr(record, name)
    if name == "target_kelurahan":
        return sorted(record.target_kelurahan.values_list("code", flat=True))
    if name == "lead_opd":
        return record.lead_opd.code
    if name == "end":
        return record.programme.end.isoformat()
    if name == "base_amount":
        return record.programme.base_amount
    if name == "rule":
        rule = record.programme.rule
        return rule.name if rule is not None else ""
    if name.startswith("funding."):
        row = record.funding.filter(source=name.split(".", 1)[1]).first()
        return row.amount if row is not None else 0
    raise Refused(_("%(field)s cannot be adjusted.") % {"field": name[:40]}, code="invalid")


def _revise(record: ProgrammeRecord, activity: Activity, name: str, value: int, actor: User) -> dict[str, list[int]]:
    """Set the revised pagu of each month of the year (the year's amount spread as the plan file's
    is); returns each month's pagu in force before and after."""
    months = _year_months(record, int(name.split(".", 1)[1]))
    rows = {m.month: m for m in BudgetMonth.objects.select_for_update().filter(activity=activity, month__in=months)}
    now = timezone.now()
    changes: dict[str, list[int]] = {}
    for month, amount in zip(months, spread(value, len(months)), strict=True):
        row = rows.get(month) or BudgetMonth(activity=activity, month=month)
        changes[f"{month:%Y-%m}"] = [rules.effective_pagu(row.pagu, row.revised), amount]
        row.revised, row.updated_at, row.updated_by = amount, now, actor
        row.save()
    return changes


def _apply(record: ProgrammeRecord, name: str, value: Any) -> None:
    if name in ("status", "target_group", "target_beneficiaries"):
        ProgrammeRecord.objects.filter(pk=record.pk).update(**{name: value})
    elif name == "target_kelurahan":
        record.target_kelurahan.set(Region.objects.filter(code__in=value, level=RegionLevel.KELURAHAN))
    elif name == "lead_opd":
        ProgrammeRecord.objects.filter(pk=record.pk).update(lead_opd=Opd.objects.get(code=value))
    elif name == "end":
        Programme.objects.filter(pk=record.programme_id).update(end=dt.date.fromisoformat(value))
    elif name == "base_amount":
        Programme.objects.filter(pk=record.programme_id).update(base_amount=value)
    elif name == "rule":
        from entas.targeting.models import EligibilityRule

        Programme.objects.filter(pk=record.programme_id).update(rule=EligibilityRule.objects.get(name=value))
    elif name.startswith("funding."):
        source = name.split(".", 1)[1]
        if value:
            Funding.objects.update_or_create(record=record, source=source, defaults={"amount": value})
        else:
            Funding.objects.filter(record=record, source=source).delete()


def adjust_facts(record: ProgrammeRecord, activity: Activity | None = None) -> rules.AdjustFacts:
    return rules.AdjustFacts(
        kind=record.programme.kind,
        status=record.status,
        start=record.programme.start,
        opds=frozenset(Opd.objects.values_list("code", flat=True)),
        kelurahan=frozenset(Region.objects.filter(level=RegionLevel.KELURAHAN).values_list("code", flat=True)),
        end=record.programme.end,
        activity=activity is not None,
        rules=_rule_names() if record.programme.kind == Programme.Kind.CASH else frozenset(),
    )


def _rule_names() -> frozenset[str]:
    from entas.targeting.models import EligibilityRule

    return frozenset(EligibilityRule.objects.values_list("name", flat=True))


@service
def propose_adjustment(
    *,
    record: ProgrammeRecord,
    field: str,
    value: str,
    reason: str,
    actor: User,
    evidence: list[str] | None = None,
    effective_on: dt.date | None = None,
    activity: Activity | None = None,
) -> Adjustment:
    """Propose a change of one field of a programme, or of one of its activities (its pagu for a year,
    ``pagu.2026``, or its output, unit, volume target or location), with its rationale and evidence
    (links or references: an evaluation, an indicator, a forum decision, a grievance trend). It
    changes nothing until another person approves it."""
    _require(actor, Capability.EDIT_POLICY, _("You may not propose adjustments."))
    if not reason.strip():
        raise Refused(
            _("Say why: an adjustment needs its rationale."),
            code="invalid",
            issues=[Problem("reason", _("Say why: an adjustment needs its rationale."))],
        )
    record = ProgrammeRecord.objects.select_related("programme__rule", "lead_opd").get(pk=record.pk)
    if activity is not None and activity.record_id != record.pk:
        raise Refused(_("The activity is not one of this programme's."), code="invalid")
    after = rules.parse_adjustment(field, value, adjust_facts(record, activity))
    before = current_value(record, field, activity)
    if before == after:
        raise Refused(_("%(field)s is already %(value)s.") % {"field": field, "value": after}, code="invalid")
    links = [e.strip()[:500] for e in evidence or [] if e.strip()][:20]
    adjustment = Adjustment.objects.create(
        record=record,
        activity=activity,
        field=field,
        before=before,
        after=after,
        reason=reason.strip()[:4000],
        evidence=links,
        effective_on=effective_on or timezone.localdate(),
        proposed_by=actor,
    )
    audit.record(
        actor=actor,
        action="policy.adjustment_propose",
        obj=adjustment,
        object_repr=f"{record.programme.name}: {field}",
        before={field: before},
        after={field: after},
        note=adjustment.reason[:200],
    )
    return adjustment


@service
def decide_adjustment(*, adjustment: Adjustment, approve: bool, actor: User, note: str = "") -> Adjustment:
    """Approve (the change is applied) or reject a proposed adjustment. Never by its proposer: a second
    person checks every change (maker-checker)."""
    _require(actor, Capability.EDIT_POLICY, _("You may not approve adjustments."))
    adjustment = (
        Adjustment.objects.select_for_update(of=("self",))
        .select_related("record__programme", "activity")
        .get(pk=adjustment.pk)
    )
    if adjustment.state != AdjustmentState.PROPOSED:
        raise Refused(_("This adjustment was already decided."), code="conflict")
    if adjustment.proposed_by_id == actor.pk:
        raise Refused(_("You proposed this adjustment: another person must decide it."), code="forbidden")
    record = adjustment.record
    months = None
    if approve:
        now = current_value(record, adjustment.field, adjustment.activity)
        if now != adjustment.before:
            raise Refused(
                _("%(field)s changed since the adjustment was proposed (now %(value)s): propose it again.")
                % {"field": adjustment.field, "value": now},
                code="conflict",
            )
        if adjustment.activity is not None and adjustment.field in rules.ACTIVITY_FIELDS:
            Activity.objects.filter(pk=adjustment.activity.pk).update(**{adjustment.field: adjustment.after})
        elif adjustment.activity is not None:
            months = _revise(record, adjustment.activity, adjustment.field, int(adjustment.after or 0), actor)
        else:
            _apply(record, adjustment.field, adjustment.after)
    Adjustment.objects.filter(pk=adjustment.pk).update(
        months=months,
        state=AdjustmentState.APPROVED if approve else AdjustmentState.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note.strip()[:300],
    )
    adjustment.refresh_from_db()
    audit.record(
        actor=actor,
        action="policy.adjustment_approve" if approve else "policy.adjustment_reject",
        obj=adjustment,
        object_repr=f"{record.programme.name}: {adjustment.field}",
        before={adjustment.field: adjustment.before},
        after={adjustment.field: adjustment.after if approve else adjustment.before},
        note=note[:200],
    )
    return adjustment


# -- benefits --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenefitRow:
    """One benefit to record (the caller has found the programme, household and member)."""

    programme: Programme
    household: Any
    member: Any
    received_on: dt.date
    description: str
    quantity: int = 1
    unit: str = ""
    value: int = 0


def may_record(actor: User | None, record: ProgrammeRecord | None, household: Any) -> bool:
    """Whether the actor may record a benefit of this programme for this household: an editor of the
    register, or an officer of the programme's lead OPD; in the household's area either way."""
    from entas.accounts.scoping import can_act_in

    if actor is None or record is None or not can_act_in(actor, household.kelurahan):
        return False
    if actor.can(Capability.EDIT_POLICY):
        return True
    return actor.can(Capability.REALISE_POLICY) and actor.opd_id is not None and actor.opd_id == record.lead_opd_id


@service
def record_benefits(*, rows: list[BenefitRow], actor: User, note: str = "") -> dict[str, int]:
    """Record benefits (set-based: one read, one insert, one insert of audit events). A benefit already
    recorded (same programme, household, person, day and description) is counted unchanged."""
    from .models import Benefit

    records = {
        r.programme_id: r
        for r in ProgrammeRecord.objects.filter(programme__in={row.programme.pk for row in rows}).select_related(
            "programme"
        )
    }
    for row in rows:
        if row.programme.kind == Programme.Kind.CASH:
            raise Refused(_("A cash transfer's benefits are its payments: they are not recorded here."), code="invalid")
        if not may_record(actor, records.get(row.programme.pk), row.household):
            raise Refused(
                _("You may not record benefits of %(programme)s for this household.")
                % {"programme": row.programme.name},
                code="forbidden",
            )
        if row.member is not None and row.member.household_id != row.household.pk:
            raise Refused(_("The person is not a member of this family."), code="invalid")
    existing: set[tuple[Any, ...]] = set(
        Benefit.objects.filter(household__in={r.household.pk for r in rows}).values_list(
            "programme_id", "household_id", "member_id", "received_on", "description"
        )
    )
    new = []
    for row in rows:
        key = (
            row.programme.pk,
            row.household.pk,
            row.member.pk if row.member else None,
            row.received_on,
            row.description,
        )
        if key in existing:
            continue
        existing.add(key)
        new.append(
            Benefit(
                programme=row.programme,
                household=row.household,
                member=row.member,
                received_on=row.received_on,
                description=row.description[:200],
                quantity=row.quantity,
                unit=row.unit[:40],
                value=row.value,
                recorded_by=actor,
            )
        )
    created = Benefit.objects.bulk_create(new)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                action="policy.benefit",
                object_type="registry.household",
                object_id=str(b.household.pk),
                object_repr=f"{b.programme.name}: {b.description}"[:200],
                region_code=b.household.kelurahan.code,
                after={
                    "programme": b.programme.pk,
                    "member": b.member.pk if b.member else None,
                    "on": b.received_on.isoformat(),
                    "value": b.value,
                },
                client_ip=client_ip.get(),
                channel=channel.get(),
                os_user=os_user.get(),
                note=note[:200],
            )
            for b in created
        ]
    )
    return {"inserted": len(created), "unchanged": len(rows) - len(created)}
