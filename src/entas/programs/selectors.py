"""Reading cash programmes, always through :meth:`ScopedQuerySet.restrict`: programmes and cycles are
the city's and shown by role; everything that names a household (enrolments, entitlements, payments,
affected households) is also kept to the user's areas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from entas.core import jobqueue
from entas.payees.rules import mask_account as mask
from entas.payees.selectors import accounts_of

from .models import Cycle, Enrolment, Entitlement, Payment, Programme, ShockFlag

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.core.models import Job
    from entas.registry.models import Household


def budget_remaining(programme: Programme, *, excluding: Cycle | None = None) -> int:
    """The programme's budget ceiling less the control sums of its cycles (cancelled ones excepted)."""
    used = programme.cycles.exclude(state=Cycle.State.CANCELLED)
    if excluding is not None:
        used = used.exclude(pk=excluding.pk)
    return int(programme.budget_ceiling - (used.aggregate(s=Sum("control_sum"))["s"] or 0))


def programmes_for(user: User) -> QuerySet[Programme]:
    """The cash programmes the user's role lets them see, with their enrolled households and cycles
    counted (the other kinds are the policy register's and their own apps')."""
    return (
        Programme.objects.restrict(user, "view")
        .filter(kind=Programme.Kind.CASH)
        .annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__state=Enrolment.State.ENROLLED), distinct=True),
            cycle_count=Count("cycles", distinct=True),
        )
        .order_by("-start", "name")
    )


def programme_for(user: User, pk: int) -> Programme:
    """One programme, or Programme.DoesNotExist when it does not exist or the role does not show it."""
    return Programme.objects.restrict(user, "view").filter(kind=Programme.Kind.CASH).select_related("rule").get(pk=pk)


def cycle_for(user: User, pk: int) -> Cycle:
    """One cycle, or Cycle.DoesNotExist."""
    return Cycle.objects.restrict(user, "view").select_related("programme", "prepared_by", "approved_by").get(pk=pk)


def enrolment_counts(programme: Programme) -> dict[str, int]:
    """Households of the programme in each enrolment state (city-wide aggregate figures)."""
    states = dict(Enrolment.objects.filter(programme=programme).values_list("state").annotate(n=Count("id")).order_by())
    return {state: int(states.get(state, 0)) for state in Enrolment.State.values}


def held_enrolments(user: User, programme: Programme) -> QuerySet[Enrolment]:
    """Households of the user's areas in the programme but not enrolled (held, paused, exited…), newest first."""
    return (
        Enrolment.objects.restrict(user, "view")
        .filter(programme=programme)
        .exclude(state=Enrolment.State.ENROLLED)
        .select_related("household__kelurahan")
        .order_by("-changed_at", "pk")
    )


def entitlements_by_kelurahan(user: User, cycle: Cycle) -> list[dict[str, Any]]:
    """Per kelurahan of the user's areas: entitled households, their total and how many are flagged."""
    return list(
        Entitlement.objects.restrict(user, "view")
        .filter(cycle=cycle)
        .values("household__kelurahan__code", "household__kelurahan__name")
        .annotate(households=Count("id"), total=Sum("amount"), flagged=Count("id", filter=~Q(flags="")))
        .order_by("household__kelurahan__code")
    )


def flagged_entitlements(user: User, cycle: Cycle) -> QuerySet[Entitlement]:
    """Entitlements of the user's areas that carry a flag (a possible duplicate, an exclusive programme)."""
    return (
        Entitlement.objects.restrict(user, "view")
        .filter(cycle=cycle)
        .exclude(flags="")
        .select_related("household__kelurahan")
        .order_by("household__kk_number")
    )


def payee_accounts(programme: Programme, household_ids: Any = None) -> dict[int, tuple[str, str]]:
    """The current payee account (number, holder) of the programme's households, by household id
    (accounts live in entas.payees: one per household, whatever the programme)."""
    if household_ids is None:
        household_ids = Enrolment.objects.filter(programme=programme).values_list("household_id", flat=True)
    return {pk: (p.account_number, p.account_holder) for pk, p in accounts_of(household_ids).items()}


def mask_account(number: str) -> str:
    """The account number masked as everywhere (entas.payees.rules.mask_account); empty stays empty."""
    number = number.strip()
    return mask(number) if number else ""


def failed_payments(user: User, cycle: Cycle) -> QuerySet[Payment]:
    """Failed payments of the user's areas not yet retried, with the bank's reason, by kelurahan and KK."""
    return (
        Payment.objects.restrict(user, "view")
        .filter(entitlement__cycle=cycle, status=Payment.Status.FAILED, retry__isnull=True)
        .select_related("entitlement__household__kelurahan")
        .order_by("entitlement__household__kelurahan__code", "entitlement__household__kk_number", "pk")
    )


def cycle_payments(user: User, cycle: Cycle, *, status: str = "", kelurahan: str = "") -> QuerySet[Payment]:
    """Every payment of the cycle in the user's areas (a retry is a payment of its own), by id: the
    API pages it by keyset (``pk > after``). ``status``: sent, paid or failed; ``kelurahan``: a code."""
    rows = Payment.objects.restrict(user, "view").filter(entitlement__cycle=cycle)
    if status:
        rows = rows.filter(status=status)
    if kelurahan:
        rows = rows.filter(entitlement__household__kelurahan__code=kelurahan)
    return rows.select_related("entitlement__household__kelurahan").order_by("pk")


def payees(user: User, cycle: Cycle, *, query: str = "", kelurahan: str = "") -> QuerySet[Entitlement]:
    """Who is paid how much in the cycle (the approver's list): entitlements of the user's areas with
    the head of the family and the status of the last payment, by kelurahan and KK number. ``query``
    matches the KK number or the head's name; ``kelurahan`` is a kelurahan code."""
    from entas.registry.choices import Relationship
    from entas.registry.models import Member

    head = Member.objects.filter(
        household=OuterRef("household"), relationship=Relationship.HEAD, exited_on__isnull=True
    ).order_by("pk")
    last = Payment.objects.filter(entitlement=OuterRef("pk")).order_by("-pk")
    rows = (
        Entitlement.objects.restrict(user, "view")
        .filter(cycle=cycle)
        .select_related("household__kelurahan")
        .annotate(head_name=Subquery(head.values("name")[:1]), payment_status=Subquery(last.values("status")[:1]))
        .order_by("household__kelurahan__code", "household__kk_number", "pk")
    )
    if kelurahan:
        rows = rows.filter(household__kelurahan__code=kelurahan)
    query = query.strip()
    if query:
        heads = Member.objects.filter(
            relationship=Relationship.HEAD, exited_on__isnull=True, name__icontains=query
        ).values("household_id")
        rows = rows.filter(Q(household__kk_number__startswith=query) | Q(household_id__in=heads))
    return rows


def payment_counts(cycle: Cycle) -> dict[str, int]:
    """Payments of the cycle by status (aggregate figures)."""
    counts = dict(
        Payment.objects.filter(entitlement__cycle=cycle).values_list("status").annotate(n=Count("id")).order_by()
    )
    return {status: int(counts.get(status, 0)) for status in Payment.Status.values}


def failed_to_retry(cycle: Cycle) -> bool:
    """Whether the cycle has failed payments not yet retried."""
    return Payment.objects.filter(entitlement__cycle=cycle, status=Payment.Status.FAILED, retry__isnull=True).exists()


def working_job(cycle: Cycle) -> Job | None:
    """The job holding the cycle now (writing its payment file), if any."""
    return jobqueue.lock_holder([cycle.lock_key])


def cycles_of(user: User, programme: Programme) -> QuerySet[Cycle]:
    return Cycle.objects.restrict(user, "view").filter(programme=programme).order_by("-number")


def affected_households(user: User) -> QuerySet[ShockFlag]:
    """Households of the user's areas reported as affected by a shock, newest first."""
    return (
        ShockFlag.objects.restrict(user, "view")
        .select_related("household__kelurahan", "reported_by")
        .order_by("-reported_at", "-pk")
    )


def affected_count(programme: Programme) -> int | None:
    """How many households are flagged for a shock programme's event (None for other programmes)."""
    return ShockFlag.objects.filter(event=programme.shock_event).count() if programme.shock_event else None


def benefit_history(household: Household) -> list[dict[str, Any]]:
    """Every programme cycle the household was entitled to, with the amount and the payment status."""
    rows = []
    for entitlement in (
        Entitlement.objects.filter(household=household)
        .select_related("cycle__programme")
        .prefetch_related("payments")
        .order_by("-cycle__programme__start", "-cycle__number")
    ):
        payments = sorted(entitlement.payments.all(), key=lambda p: p.pk)
        last = payments[-1] if payments else None
        rows.append(
            {
                "programme": entitlement.cycle.programme.name,
                "cycle": entitlement.cycle.number,
                "period": entitlement.cycle.period,
                "cycle_state": entitlement.cycle.get_state_display(),
                "amount": entitlement.amount,
                "payment": last.get_status_display() if last else "",
                "reason": last.reason if last else "",
                "flags": entitlement.flags,
            }
        )
    return rows


def home_counts(user: User) -> dict[str, int]:
    """For the home page (one query): the cycles waiting for ``user``'s next step — to approve (one
    someone else prepared), or, for a manager, to submit, to disburse, to reconcile or to close."""
    cycles = Cycle.objects.restrict(user, "view").order_by()
    S = Cycle.State
    figures = cycles.aggregate(
        to_approve=Count("pk", filter=Q(state=S.TO_APPROVE) & ~Q(prepared_by=user)),
        in_progress=Count("pk", filter=Q(state__in=[S.DRAFT, S.APPROVED, S.DISBURSED, S.RECONCILED])),
    )
    return {
        "to_approve": (figures["to_approve"] or 0) if user.can("programmes.approve") else 0,
        "in_progress": (figures["in_progress"] or 0) if user.can("programmes.manage") else 0,
    }


def key_figures(user: User, year: int) -> dict[str, int]:
    """The city's assistance in ``user``'s areas (two queries): households enrolled in a programme,
    and the rupiah paid in ``year``."""
    enrolled = (
        Enrolment.objects.restrict(user, "view")
        .filter(state=Enrolment.State.ENROLLED)
        .order_by()
        .values("household_id")
        .distinct()
        .count()
    )
    paid = (
        Payment.objects.restrict(user, "view")
        .filter(status=Payment.Status.PAID, created_at__year=year)
        .order_by()
        .aggregate(s=Sum("amount"))["s"]
    )
    return {"enrolled_households": enrolled, "paid": int(paid or 0)}
