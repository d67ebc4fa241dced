"""Campaign sessions in the policy register's benefit timeline (registered with
:func:`entas.policy.selectors.add_benefit_source` when the app starts): each event of a campaign a
member of the household attended, read where it is kept."""

from __future__ import annotations

from typing import Any

from entas.policy.selectors import TimelineEntry

from .models import Attendance


def sessions(household: Any, member: Any = None) -> list[TimelineEntry]:
    rows = Attendance.objects.filter(household=household).select_related("event__campaign__programme")
    if member is not None:
        rows = rows.filter(member=member)
    out = []
    for a in rows:
        campaign = a.event.campaign
        out.append(
            TimelineEntry(
                a.event.date,
                campaign.programme.name if campaign.programme else campaign.name,
                "campaign",
                f"{campaign.name}: {a.event.venue}",
                1,
                "",
                0,
                a.name,
                a.member_id,
            )
        )
    return out


def reach(programme_ids: list[int], day: Any) -> list[tuple[int, int, int | None]]:
    """The registry people who attended the programmes' campaign events held by ``day``."""
    return list(
        Attendance.objects.filter(
            event__campaign__programme_id__in=programme_ids, event__date__lte=day, household__isnull=False
        ).values_list("event__campaign__programme_id", "household_id", "member_id")
    )
