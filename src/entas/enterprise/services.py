"""Writes of economic empowerment: every one a :func:`service` with an actor and an audit event.

A write that finds what it would write already there (the same group, the same payment reference,
the same report) changes nothing and says ``unchanged``: files are imported again without harm."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.core import audit
from entas.core.errors import Problem, Refused
from entas.core.services import service

from . import choices as c
from . import rules, selectors
from .models import (
    BusinessReport,
    Buyer,
    BuyerLink,
    Certification,
    CreditLinkage,
    Grant,
    GrantItem,
    Group,
    Loan,
    MarketEvent,
    Membership,
    MentoringVisit,
    Participation,
    Repayment,
)

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.programs.models import Programme
    from entas.regions.models import Region
    from entas.registry.models import Member
    from entas.training.models import Cohort
    from entas.training.services import ApplyResult


@dataclass
class Outcome:
    """What a write did: ``inserted``, ``updated`` or ``unchanged``, with any warnings."""

    obj: Any
    outcome: str
    warnings: list[str] = field(default_factory=list)


def _check(actor: User, group: Group) -> None:
    if not selectors.may_manage(actor, group):
        raise Refused(_("You may not change business groups of this kelurahan."), code="forbidden")


def _region(group: Group) -> str:
    return group.kelurahan.code


def _programme(programme: Programme | None) -> None:
    if programme is not None and not selectors.empowerment_programmes().filter(pk=programme.pk).exists():
        raise Refused(_("%(name)s is not an economic-empowerment programme.") % {"name": programme.name})


@service
def save_group(
    *,
    actor: User,
    name: str,
    type: str,
    kbli: str,
    kelurahan: Region,
    founded: dt.date,
    product: str = "",
    address: str = "",
    nib: str = "",
    programme: Programme | None = None,
    closed_on: dt.date | None = None,
) -> Outcome:
    """Record a group, or bring the group of that name in that kelurahan up to date."""
    values = {
        "type": type,
        "kbli": kbli,
        "founded": founded,
        "product": product,
        "address": address,
        "nib": nib,
        "programme": programme,
        "closed_on": closed_on,
    }
    existing = Group.objects.select_for_update().filter(name=name, kelurahan=kelurahan).first()
    group = existing or Group(name=name, kelurahan=kelurahan, created_by=actor)
    _check(actor, group)
    _programme(programme)
    before = {k: str(getattr(group, k)) for k in values} if existing else {}
    for key, value in values.items():
        setattr(group, key, value)
    try:
        group.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        problems = [Problem(f, str(m)) for f, ms in exc.message_dict.items() for m in ms]
        raise Refused(" ".join(p.message for p in problems), code="invalid", issues=problems) from exc
    after = {k: str(getattr(group, k)) for k in values}
    if existing and before == after:
        return Outcome(group, "unchanged")
    group.save()
    b, a = audit.diff(before, after)
    audit.record(
        actor=actor,
        action="enterprise.group_change" if existing else "enterprise.group_add",
        obj=group,
        region_code=_region(group),
        before=b or None,
        after=a,
    )
    return Outcome(group, "updated" if existing else "inserted")


@service
def seat(*, actor: User, group: Group, member: Member, role: str, joined_on: dt.date) -> Outcome:
    """Seat a person in a group with a role; a new role ends their current seat and opens another (the
    history stays). A person already in another group of the same programme is seated with a warning."""
    _check(actor, group)
    if role not in c.Role.values:
        raise Refused(_("Unknown role %(role)r.") % {"role": role[:20]}, code="invalid")
    if member.exited_on is not None:
        raise Refused(_("%(name)s has left the registry.") % {"name": member.name}, code="invalid")
    chaired = group.memberships.filter(left_on__isnull=True, role=c.Role.CHAIR).exclude(member=member)
    if role == c.Role.CHAIR and chaired.exists():
        raise Refused(_("The group already has a chair: end their seat first."), code="conflict")
    current = group.memberships.select_for_update().filter(member=member, left_on__isnull=True).first()
    if current is not None and current.role == role:
        return Outcome(current, "unchanged")
    if current is not None:
        current.left_on = max(joined_on, current.joined_on)
        current.save(update_fields=["left_on"])
    membership = Membership.objects.create(group=group, member=member, role=role, joined_on=joined_on)
    warnings = []
    if group.programme_id is not None:
        others = (
            Membership.objects.filter(member=member, left_on__isnull=True, group__programme_id=group.programme_id)
            .exclude(group=group)
            .values_list("group__name", flat=True)
        )
        if others:
            warnings.append(
                _("%(name)s is also in %(groups)s, fostered under the same programme.")
                % {"name": member.name, "groups": ", ".join(others)}
            )
    audit.record(
        actor=actor,
        action="enterprise.seat",
        obj=group,
        region_code=_region(group),
        before={"role": current.role} if current else None,
        after={"member": member.pk, "role": role},
    )
    return Outcome(membership, "updated" if current else "inserted", warnings)


@service
def unseat(*, actor: User, membership: Membership, left_on: dt.date) -> Membership:
    """End a person's seat in a group."""
    _check(actor, membership.group)
    if membership.left_on is not None:
        raise Refused(_("This seat has already ended."), code="conflict")
    if left_on < membership.joined_on:
        raise Refused(_("A seat cannot end before it began."), code="invalid")
    membership.left_on = left_on
    membership.save(update_fields=["left_on"])
    audit.record(
        actor=actor,
        action="enterprise.unseat",
        obj=membership.group,
        region_code=_region(membership.group),
        after={"member": membership.member_id, "left_on": str(left_on)},
    )
    return membership


@dataclass(frozen=True)
class Item:
    description: str
    quantity: int
    unit_value: int


@service
def record_grant(
    *,
    actor: User,
    group: Group,
    kind: str,
    handed_over_on: dt.date,
    handover_reference: str,
    amount: int | None = None,
    items: Sequence[Item] = (),
    programme: Programme | None = None,
    note: str = "",
) -> Outcome:
    """Record a grant handed over to a group. An equipment grant lists its items and is worth their
    sum; a cash grant names its amount. The same handover record for the same group is the same grant."""
    _check(actor, group)
    _programme(programme)
    if kind not in c.GrantKind.values:
        raise Refused(_("A grant is cash or equipment."), code="invalid")
    if not handover_reference.strip():
        raise Refused(_("A grant needs the number of its handover record (berita acara)."), code="invalid")
    if any(i.quantity <= 0 or i.unit_value < 0 for i in items):
        raise Refused(_("Every item needs a quantity and a value of at least zero."), code="invalid")
    total = sum(i.quantity * i.unit_value for i in items)
    if kind == c.GrantKind.EQUIPMENT:
        if not items:
            raise Refused(_("An equipment grant lists its items."), code="invalid")
        if amount is not None and amount != total:
            raise Refused(
                _("The items add up to Rp %(total)s, not the value given.") % {"total": f"{total:,}"}, code="invalid"
            )
        amount = total
    if amount is None or amount <= 0:
        raise Refused(_("A cash grant needs a positive amount."), code="invalid")
    existing = Grant.objects.filter(group=group, handover_reference=handover_reference.strip()).first()
    if existing is not None:
        if existing.amount == amount and existing.kind == kind and existing.handed_over_on == handed_over_on:
            return Outcome(existing, "unchanged")
        raise Refused(
            _("Handover record %(ref)s is already recorded for this group with other figures.")
            % {"ref": handover_reference},
            code="conflict",
        )
    grant = Grant.objects.create(
        group=group,
        programme=programme,
        kind=kind,
        amount=amount,
        handed_over_on=handed_over_on,
        handover_reference=handover_reference.strip(),
        note=note,
        created_by=actor,
    )
    GrantItem.objects.bulk_create(
        [GrantItem(grant=grant, description=i.description, quantity=i.quantity, unit_value=i.unit_value) for i in items]
    )
    audit.record(
        actor=actor,
        action="enterprise.grant",
        obj=grant,
        region_code=_region(group),
        after={"group": group.pk, "kind": kind, "amount": amount, "items": len(items)},
    )
    return Outcome(grant, "inserted")


@service
def record_loan(
    *,
    actor: User,
    group: Group,
    reference: str,
    principal: int,
    term_months: int,
    disbursed_on: dt.date,
    first_due: dt.date | None = None,
    annual_rate_bp: int = 0,
    method: str = c.Method.FLAT,
    programme: Programme | None = None,
) -> Outcome:
    """Record a revolving-fund loan disbursed to a group (its schedule follows from its terms). The same
    reference with the same terms is the same loan; with other terms, a conflict."""
    _check(actor, group)
    _programme(programme)
    first_due = first_due or rules.add_months(disbursed_on, 1)
    try:
        rules.schedule(principal, annual_rate_bp, term_months, first_due, method)
    except ValueError:
        raise Refused(
            _("A loan needs a positive principal and term, a rate of at least zero and a known method."),
            code="invalid",
        ) from None
    if first_due <= disbursed_on:
        raise Refused(_("The first instalment falls due after the loan is disbursed."), code="invalid")
    terms = {
        "group_id": group.pk,
        "principal": principal,
        "term_months": term_months,
        "disbursed_on": disbursed_on,
        "first_due": first_due,
        "annual_rate_bp": annual_rate_bp,
        "method": method,
    }
    existing = Loan.objects.filter(reference=reference).first()
    if existing is not None:
        if all(getattr(existing, k) == v for k, v in terms.items()):
            return Outcome(existing, "unchanged")
        raise Refused(_("Loan %(ref)s is already recorded with other terms.") % {"ref": reference}, code="conflict")
    loan = Loan.objects.create(reference=reference, programme=programme, created_by=actor, **terms)
    audit.record(
        actor=actor,
        action="enterprise.loan",
        obj=loan,
        region_code=_region(group),
        after={k: str(v) for k, v in terms.items()},
    )
    return Outcome(loan, "inserted")


@service
def record_repayment(*, actor: User, loan: Loan, reference: str, paid_on: dt.date, amount: int) -> Outcome:
    """Record a payment on a loan. Its reference is the payment's identity: the same reference again
    is the same payment (``unchanged``, never counted twice); with another loan, day or amount it is a
    conflict."""
    _check(actor, loan.group)
    reference = reference.strip()
    if not reference:
        raise Refused(_("A payment needs its reference."), code="invalid")
    if amount <= 0:
        raise Refused(_("A payment is a positive amount."), code="invalid")
    if loan.written_off_on is not None:
        raise Refused(_("Loan %(ref)s is written off.") % {"ref": loan.reference}, code="conflict")
    if paid_on < loan.disbursed_on:
        raise Refused(_("A payment cannot precede the loan."), code="invalid")
    existing = Repayment.objects.filter(reference=reference).first()
    if existing is not None:
        if existing.loan_id == loan.pk and existing.amount == amount and existing.paid_on == paid_on:
            return Outcome(existing, "unchanged")
        raise Refused(
            _("Payment %(ref)s is already recorded with another loan, day or amount.") % {"ref": reference},
            code="conflict",
        )
    repayment = Repayment.objects.create(
        loan=loan, reference=reference, paid_on=paid_on, amount=amount, recorded_by=actor
    )
    audit.record(
        actor=actor,
        action="enterprise.repayment",
        obj=repayment,
        region_code=_region(loan.group),
        after={"loan": loan.reference, "amount": amount, "paid_on": str(paid_on)},
    )
    return Outcome(repayment, "inserted")


@service
def request_write_off(*, actor: User, loan: Loan, reason: str) -> Loan:
    """Ask for a loan in default to be written off (another person approves)."""
    _check(actor, loan.group)
    if not reason.strip():
        raise Refused(_("Say why the loan should be written off."), code="invalid")
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    view = selectors.loan_views([loan])[0]
    problem = rules.may_write_off(
        rules.WriteOffFacts(actor.pk, -1, view.position.days_late, loan.written_off_on is not None)
    )
    if problem:
        raise Refused(problem, code="refused")
    loan.write_off_reason = reason.strip()[:300]
    loan.write_off_requested_by = actor
    loan.save(update_fields=["write_off_reason", "write_off_requested_by"])
    audit.record(
        actor=actor,
        action="enterprise.write_off_request",
        obj=loan,
        region_code=_region(loan.group),
        after={"reason": reason},
    )
    return loan


@service
def approve_write_off(*, actor: User, loan: Loan, day: dt.date | None = None) -> Loan:
    """Approve a requested write-off: the principal still owed is written off on ``day`` (today)."""
    _check(actor, loan.group)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    if loan.write_off_requested_by_id is None:
        raise Refused(_("No write-off of this loan was asked for."), code="conflict")
    day = day or timezone.localdate()
    view = selectors.loan_views([loan], day)[0]
    problem = rules.may_write_off(
        rules.WriteOffFacts(
            loan.write_off_requested_by_id, actor.pk, view.position.days_late, loan.written_off_on is not None
        )
    )
    if problem:
        raise Refused(problem, code="refused")
    loan.written_off_on = day
    loan.written_off_amount = view.position.outstanding_principal
    loan.write_off_approved_by = actor
    loan.save(update_fields=["written_off_on", "written_off_amount", "write_off_approved_by"])
    audit.record(
        actor=actor,
        action="enterprise.write_off",
        obj=loan,
        region_code=_region(loan.group),
        after={"amount": loan.written_off_amount, "day": str(day)},
    )
    return loan


@service
def record_report(
    *,
    actor: User,
    group: Group,
    period: str,
    period_start: dt.date,
    revenue: int,
    costs: int,
    production: int = 0,
    workers_family: int = 0,
    workers_hired: int = 0,
    capital: int = 0,
    source: str = "page",
) -> Outcome:
    """Record a group's report for a month or a quarter (or correct it: the same period again).
    Negative figures are refused; a tenfold jump on the report before is kept, flagged."""
    _check(actor, group)
    if period not in c.Period.values:
        raise Refused(_("A report is monthly or quarterly."), code="invalid")
    if period_start.day != 1 or (period == c.Period.QUARTER and period_start.month % 3 != 1):
        raise Refused(
            _("A period starts on the first day of a month (of a quarter: January, April, July, October)."),
            code="invalid",
        )
    if period_start > timezone.localdate():
        raise Refused(_("A report cannot be for a period that has not begun."), code="invalid")
    facts = rules.ReportFacts(
        3 if period == c.Period.QUARTER else 1, production, revenue, costs, workers_family, workers_hired, capital
    )
    previous = group.reports.filter(period_start__lt=period_start).order_by("-period_start").first()
    verdict = rules.check_report(facts, previous.facts() if previous else None)
    if not verdict.ok:
        problems = [Problem(f, m) for f, m in verdict.errors]
        raise Refused(" ".join(p.message for p in problems), code="invalid", issues=problems)
    values = {
        "production": production,
        "revenue": revenue,
        "costs": costs,
        "workers_family": workers_family,
        "workers_hired": workers_hired,
        "capital": capital,
        "flagged": " ".join(m for _f, m in verdict.warnings)[:300],
    }
    existing = (
        BusinessReport.objects.select_for_update().filter(group=group, period=period, period_start=period_start).first()
    )
    warnings = [m for _f, m in verdict.warnings]
    if existing is not None:
        before = {k: getattr(existing, k) for k in values}
        if before == values:
            return Outcome(existing, "unchanged", warnings)
        for k, v in values.items():
            setattr(existing, k, v)
        existing.entered_by, existing.entered_at, existing.source = actor, timezone.now(), source
        existing.save()
        b, a = audit.diff(before, values)
        audit.record(
            actor=actor, action="enterprise.report_change", obj=existing, region_code=_region(group), before=b, after=a
        )
        return Outcome(existing, "updated", warnings)
    report = BusinessReport.objects.create(
        group=group, period=period, period_start=period_start, source=source, entered_by=actor, **values
    )
    audit.record(
        actor=actor,
        action="enterprise.report",
        obj=report,
        region_code=_region(group),
        after={"revenue": revenue, "costs": costs},
    )
    return Outcome(report, "inserted", warnings)


@service
def record_visit(*, actor: User, group: Group, visited_on: dt.date, topics: str, notes: str = "") -> MentoringVisit:
    """Record a business-mentoring visit to a group."""
    _check(actor, group)
    if not topics.strip():
        raise Refused(_("Say what the visit worked on."), code="invalid")
    visit = MentoringVisit.objects.create(
        group=group, visited_on=visited_on, facilitator=actor, topics=topics, notes=notes
    )
    audit.record(
        actor=actor, action="enterprise.visit", obj=visit, region_code=_region(group), after={"topics": topics}
    )
    return visit


@service
def record_certification(*, actor: User, group: Group, kind: str, number: str, obtained_on: dt.date) -> Outcome:
    """Record a certificate a group obtained (one of each kind; the same again changes nothing)."""
    _check(actor, group)
    if kind not in c.Certificate.values:
        raise Refused(_("Unknown certificate %(kind)r.") % {"kind": kind[:20]}, code="invalid")
    existing = Certification.objects.filter(group=group, kind=kind).first()
    if existing is not None and existing.number == number and existing.obtained_on == obtained_on:
        return Outcome(existing, "unchanged")
    cert, created = Certification.objects.update_or_create(
        group=group, kind=kind, defaults={"number": number, "obtained_on": obtained_on}
    )
    audit.record(
        actor=actor,
        action="enterprise.certification",
        obj=cert,
        region_code=_region(group),
        after={"kind": kind, "number": number},
    )
    return Outcome(cert, "inserted" if created else "updated")


@service
def record_participation(
    *, actor: User, group: Group, event: str, kind: str, held_on: dt.date, place: str = "", sales: int = 0
) -> Outcome:
    """Record a group at a bazaar, an exhibition or a marketplace onboarding (the event by name and
    day, made on first use), with what it sold there; the same again changes nothing, another figure
    corrects it."""
    _check(actor, group)
    if kind not in c.EventKind.values:
        raise Refused(_("Unknown kind of event %(kind)r.") % {"kind": kind[:20]}, code="invalid")
    if sales < 0:
        raise Refused(_("Sales cannot be negative."), code="invalid")
    if not event.strip():
        raise Refused(_("Name the event."), code="invalid")
    market, _created = MarketEvent.objects.get_or_create(
        name=event.strip()[:120], held_on=held_on, defaults={"kind": kind, "place": place[:120]}
    )
    existing = Participation.objects.filter(event=market, group=group).first()
    if existing is not None and existing.sales == sales:
        return Outcome(existing, "unchanged")
    participation, created = Participation.objects.update_or_create(
        event=market, group=group, defaults={"sales": sales}
    )
    audit.record(
        actor=actor,
        action="enterprise.participation",
        obj=group,
        region_code=_region(group),
        after={"event": market.name, "sales": sales},
    )
    return Outcome(participation, "inserted" if created else "updated")


@service
def link_buyer(*, actor: User, group: Group, buyer: str, since: dt.date, kind: str = "", product: str = "") -> Outcome:
    """Record that a group sells to a buyer or off-taker (the buyer by name, made on first use)."""
    _check(actor, group)
    if not buyer.strip():
        raise Refused(_("Name the buyer."), code="invalid")
    who, _created = Buyer.objects.get_or_create(name=buyer.strip()[:120], defaults={"kind": kind[:60]})
    existing = BuyerLink.objects.filter(group=group, buyer=who).first()
    if existing is not None and existing.since == since and existing.product == product[:120]:
        return Outcome(existing, "unchanged")
    link, created = BuyerLink.objects.update_or_create(
        group=group, buyer=who, defaults={"since": since, "product": product[:120]}
    )
    audit.record(
        actor=actor, action="enterprise.buyer", obj=group, region_code=_region(group), after={"buyer": who.name}
    )
    return Outcome(link, "inserted" if created else "updated")


@service
def record_credit(*, actor: User, group: Group, scheme: str, lender: str, amount: int, obtained_on: dt.date) -> Outcome:
    """Record a KUR or UMi credit a group obtained through the city's linkage (the same again changes
    nothing)."""
    _check(actor, group)
    if scheme not in c.Scheme.values:
        raise Refused(_("A credit linkage is KUR or UMi."), code="invalid")
    if amount <= 0:
        raise Refused(_("A credit needs a positive amount."), code="invalid")
    values = {"scheme": scheme, "lender": lender.strip()[:80], "amount": amount, "obtained_on": obtained_on}
    existing = CreditLinkage.objects.filter(group=group, **values).first()
    if existing is not None:
        return Outcome(existing, "unchanged")
    credit = CreditLinkage.objects.create(group=group, **values)
    audit.record(
        actor=actor,
        action="enterprise.credit",
        obj=group,
        region_code=_region(group),
        after={"scheme": scheme, "amount": amount},
    )
    return Outcome(credit, "inserted")


@service
def enrol_members(*, actor: User, group: Group, cohort: Cohort) -> ApplyResult:
    """Apply the group's current members to a training cohort (management training: bookkeeping,
    marketing, digital selling) through the training module's own service: its courses, cohorts,
    selection and completion, not a copy. A member who applied before is counted ``already``; one the
    training module refuses (left the registry, outside the actor's areas) is listed with the reason."""
    from entas.training.services import apply_members

    _check(actor, group)
    members = [
        m.member
        for m in Membership.objects.filter(group=group, left_on__isnull=True).select_related(
            "member__household__kelurahan"
        )
    ]
    if not members:
        raise Refused(_("The group has no current member to enrol."), code="invalid")
    result = apply_members(cohort=cohort, members=members, actor=actor)
    audit.record(
        actor=actor,
        action="enterprise.enrol",
        obj=group,
        region_code=_region(group),
        after={"cohort": cohort.code, **result.as_dict()},
    )
    return result
