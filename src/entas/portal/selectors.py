"""Reads of the portal, scoped through Case.objects.restrict(user, action)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .choices import NoteKind, State
from .models import Case, CaseNote

if TYPE_CHECKING:
    from entas.accounts.models import User


def queue_for(user: User, *, state: str = "", category: str = "", mine: bool = False) -> QuerySet[Case]:
    """The cases of the user's areas, open ones first and the most overdue at the top."""
    cases = Case.objects.restrict(user, "view").select_related("kelurahan", "assigned_to")
    if state == "open":
        cases = cases.filter(state__in=[State.NEW, State.IN_PROGRESS, State.WAITING])
    elif state:
        cases = cases.filter(state=state)
    if category:
        cases = cases.filter(category=category)
    if mine:
        cases = cases.filter(assigned_to=user)
    return cases.order_by("-escalation", "resolution_due", "pk")


def case_for(user: User, pk: int, action: str = "view") -> Case:
    return (
        Case.objects.restrict(user, action)
        .select_related(
            "kelurahan", "assigned_to", "household", "programme", "cycle", "payment", "duplicate_of", "created_by"
        )
        .get(pk=pk)
    )


def public_answers(case: Case) -> QuerySet[CaseNote]:
    """What the holder of the code reads: the public answers, never the internal notes."""
    return case.notes.filter(kind=NoteKind.PUBLIC).order_by("written_at", "pk")


def home_counts(user: User) -> dict[str, int]:
    today = timezone.localdate()
    open_q = Q(state__in=[State.NEW, State.IN_PROGRESS, State.WAITING])
    return Case.objects.restrict(user, "view").aggregate(
        new=Count("pk", filter=Q(state=State.NEW)),
        mine=Count("pk", filter=open_q & Q(assigned_to=user)),
        overdue=Count("pk", filter=Q(state__in=[State.NEW, State.IN_PROGRESS], resolution_due__lt=today)),
        escalated=Count("pk", filter=open_q & Q(escalation__gt=0)),
    )


def handlers_for(case: Case) -> list[Any]:
    """The active users who may be assigned the case (they handle complaints of its kelurahan)."""
    from entas.accounts.models import User
    from entas.accounts.roles import ROLE_CAPABILITIES, Capability

    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.HANDLE_GRIEVANCES in caps]
    users = User.objects.filter(is_active=True, role__in=roles).prefetch_related("areas").order_by("username")
    from entas.accounts.scoping import can_act_in

    return [u for u in users if can_act_in(u, case.kelurahan)]


def overdue_days(case: Case, today: dt.date | None = None) -> int:
    from . import rules, services

    return rules.working_days_between(case.resolution_due, today or timezone.localdate(), services.holidays())


# -- cek bansos -------------------------------------------------------------------------------------


def status_check(*, kelurahan_code: str, nik: str, letters: str) -> dict[str, Any] | None:
    """What *cek bansos* tells the person who knows a NIK, its kelurahan and the first letters of the
    name that goes with it: whether the household is registered, its verification status and the
    programmes it receives now (names only: no amounts, no other member). None, the same for an
    unknown NIK, another kelurahan and a wrong name.

    The two outcomes cost the same queries: the member is looked up by NIK (a row or none), and the
    programmes are read for its household or for none (``pk=-1``), so neither the answer nor the number
    of database round trips says whether the NIK exists."""
    from entas.programs.models import Enrolment
    from entas.registry.models import Member

    from . import rules

    member = (
        Member.objects.filter(
            nik=nik, exited_on__isnull=True, merged_into__isnull=True, household__kelurahan__code=kelurahan_code
        )
        .select_related("household")
        .only("name", "household__verification_status", "household__id")
        .first()
    )
    matched = rules.name_matches(letters, [member.name if member else "\0" * 8])
    household_id = member.household.pk if member is not None and matched else -1
    today = timezone.localdate()
    programmes = list(
        Enrolment.objects.filter(
            household_id=household_id,
            state=Enrolment.State.ENROLLED,
            programme__start__lte=today,
            programme__end__gte=today,
        )
        .order_by("programme__name")
        .values_list("programme__name", flat=True)
    )
    if household_id == -1 or member is None:
        return None
    return {
        "registered": True,
        "verification": member.household.get_verification_status_display(),
        "verification_code": member.household.verification_status,
        "programmes": programmes,
    }


# -- the TKPK's dashboard ---------------------------------------------------------------------------

AGEING = ((0, 7), (8, 30), (31, 90), (91, None))  # days since submission of open cases


def dashboard(user: User, today: dt.date | None = None) -> dict[str, Any]:
    """Complaint figures of the user's areas (aggregates only: no case, no person), spam left out:
    volumes by category, kelurahan and month, service-level compliance, the ageing of open cases,
    and the most frequent (category, kelurahan) pairs."""
    from django.db.models import F
    from django.db.models.functions import TruncMonth

    from entas.accounts.scoping import region_q

    today = today or timezone.localdate()
    cases = Case.objects.filter(region_q(user, "kelurahan"), spam=False)
    open_q = Q(state__in=[State.NEW, State.IN_PROGRESS, State.WAITING])
    done_q = Q(resolved_at__isnull=False)
    on_time_q = done_q & Q(resolved_at__date__lte=F("resolution_due"))
    answered_on_time_q = Q(first_response_at__isnull=False, first_response_at__date__lte=F("first_response_due"))
    since = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    totals = cases.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=open_q),
        resolved=Count("pk", filter=done_q),
        resolved_on_time=Count("pk", filter=on_time_q),
        answered=Count("pk", filter=Q(first_response_at__isnull=False)),
        answered_on_time=Count("pk", filter=answered_on_time_q),
        overdue=Count("pk", filter=Q(state__in=[State.NEW, State.IN_PROGRESS], resolution_due__lt=today)),
        escalated=Count("pk", filter=open_q & Q(escalation__gt=0)),
        **{
            f"age_{low}": Count(
                "pk",
                filter=open_q
                & Q(submitted_at__date__lte=today - dt.timedelta(days=low))
                & (Q() if high is None else Q(submitted_at__date__gte=today - dt.timedelta(days=high))),
            )
            for low, high in AGEING
        },
    )

    def share(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    from .choices import Category

    labels = dict(Category.choices)
    by_category = [
        {**row, "label": labels.get(row["category"], row["category"]), "on_time": share(row["on_time"], row["done"])}
        for row in cases.values("category")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=open_q),
            done=Count("pk", filter=done_q),
            on_time=Count("pk", filter=on_time_q),
        )
        .order_by("-total", "category")
    ]
    by_kelurahan = list(
        cases.values("kelurahan__code", "kelurahan__name")
        .annotate(total=Count("pk"), open=Count("pk", filter=open_q))
        .order_by("-total", "kelurahan__code")[:20]
    )
    by_month = list(
        cases.filter(submitted_at__date__gte=since)
        .annotate(month=TruncMonth("submitted_at"))
        .values("month")
        .annotate(total=Count("pk"), on_time=Count("pk", filter=on_time_q), done=Count("pk", filter=done_q))
        .order_by("month")
    )
    recurring = [
        {**row, "label": labels.get(row["category"], row["category"])}
        for row in cases.values("category", "kelurahan__name")
        .annotate(total=Count("pk"))
        .order_by("-total", "category", "kelurahan__name")[:10]
    ]
    return {
        "totals": totals,
        "resolved_on_time_share": share(totals["resolved_on_time"], totals["resolved"]),
        "answered_on_time_share": share(totals["answered_on_time"], totals["answered"]),
        "ageing": [(low, high, totals[f"age_{low}"]) for low, high in AGEING],
        "by_category": by_category,
        "by_kelurahan": by_kelurahan,
        "by_month": by_month,
        "recurring": recurring,
    }


def agenda_for(user: User) -> list[tuple[Any, list[Case]]]:
    """The musyawarah kelurahan's agenda: the usul and sanggah of the user's areas still open or
    resolved in the last 90 days, by kelurahan, each with the household it concerns."""
    since = timezone.now() - dt.timedelta(days=90)
    cases = list(
        Case.objects.restrict(user, "view")
        .filter(category__in=["usul", "sanggah"], spam=False)
        .filter(Q(state__in=[State.NEW, State.IN_PROGRESS, State.WAITING]) | Q(resolved_at__gte=since))
        .select_related("kelurahan", "household")
        .order_by("kelurahan__code", "category", "submitted_at", "pk")
    )
    groups: dict[int, tuple[Any, list[Case]]] = {}
    for case in cases:
        groups.setdefault(case.kelurahan_id, (case.kelurahan, []))[1].append(case)
    return list(groups.values())


def verification_tasks_for(user: User) -> list[Any]:
    """The verification tasks of resolved sanggah on the households of the user's areas: open ones
    (the household not verified again since) first, oldest first; then done ones, newest first."""
    from .models import VerificationTask

    tasks = list(
        VerificationTask.objects.restrict(user, "view")
        .select_related("case", "household__kelurahan")
        .order_by("opened_at")
    )
    open_ = [t for t in tasks if not t.done]
    done = sorted((t for t in tasks if t.done), key=lambda t: t.opened_at, reverse=True)
    return open_ + done


def open_verification_tasks(user: User) -> int:
    """How many households resolved sanggah sent back to verification wait for the field check."""
    from django.db.models import F

    from .models import VerificationTask

    return (
        VerificationTask.objects.restrict(user, "view")
        .filter(Q(household__verified_at__isnull=True) | Q(household__verified_at__lte=F("opened_at")))
        .count()
    )
