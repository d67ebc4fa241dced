"""Training places in the policy register's benefit timeline (registered with
:func:`entas.policy.selectors.add_benefit_source` when the app starts): each place a member of the
household was selected for, with the course's cost per trainee, read where it is kept."""

from __future__ import annotations

from typing import Any

from entas.policy.selectors import TimelineEntry

from .choices import ApplicationStatus
from .models import Application


def places(household: Any, member: Any = None) -> list[TimelineEntry]:
    rows = Application.objects.filter(member__household=household, status=ApplicationStatus.SELECTED).select_related(
        "cohort__course", "cohort__programme", "completion"
    )
    if member is not None:
        rows = rows.filter(member=member)
    out = []
    for a in rows:
        cohort = a.cohort
        ended = getattr(a, "completion", None)
        what = f"{cohort.course.name} ({cohort.code})"
        if ended is not None:
            what += f": {ended.get_outcome_display()}"
        out.append(
            TimelineEntry(
                cohort.start,
                cohort.programme.name if cohort.programme else cohort.course.name,
                "training",
                what,
                1,
                "",
                cohort.course.cost_per_trainee,
                a.name,
                a.member_id,
            )
        )
    return out


def reach(programme_ids: list[int], day: Any) -> list[tuple[int, int, int | None]]:
    """The people given a place in the programmes' cohorts that started by ``day``."""
    return list(
        Application.objects.filter(
            cohort__programme_id__in=programme_ids,
            cohort__start__lte=day,
            status=ApplicationStatus.SELECTED,
            member__isnull=False,
        ).values_list("cohort__programme_id", "member__household_id", "member_id")
    )
