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
