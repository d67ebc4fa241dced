"""Group assistance in the policy register's benefit timeline (registered with
:func:`entas.policy.selectors.add_benefit_source` when the app starts): the grants and revolving
loans a business group got while a member of the household sat in it, read where they are kept.
The value is the group's (a grant or a loan is the group's, not one member's)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from entas.policy.selectors import TimelineEntry

from .models import Grant, Loan, Membership


def _seated(seat: Membership, day: Any) -> bool:
    return seat.joined_on <= day and (seat.left_on is None or day <= seat.left_on)


def assistance(household: Any, member: Any = None) -> list[TimelineEntry]:
    seats = list(Membership.objects.filter(member__household=household).select_related("member", "group"))
    if member is not None:
        seats = [s for s in seats if s.member_id == member.pk]
    if not seats:
        return []
    groups = {s.group_id for s in seats}
    out = []
    done: set[tuple[str, int, int]] = set()  # a role changed on the day opens a second seat: once
    for grant in Grant.objects.filter(group__in=groups).select_related("programme", "group"):
        for seat in seats:
            key = ("grant", grant.pk, seat.member_id)
            if seat.group_id == grant.group_id and _seated(seat, grant.handed_over_on) and key not in done:
                done.add(key)
                what = _("%(group)s: grant (%(kind)s)") % {"group": grant.group.name, "kind": grant.get_kind_display()}
                name = grant.programme.name if grant.programme else grant.group.name
                out.append(
                    TimelineEntry(
                        grant.handed_over_on,
                        name,
                        "empowerment",
                        what,
                        1,
                        "",
                        grant.amount,
                        seat.member.name,
                        seat.member_id,
                    )
                )
    for loan in Loan.objects.filter(group__in=groups).select_related("programme", "group"):
        for seat in seats:
            key = ("loan", loan.pk, seat.member_id)
            if seat.group_id == loan.group_id and _seated(seat, loan.disbursed_on) and key not in done:
                done.add(key)
                what = _("%(group)s: revolving loan %(reference)s") % {
                    "group": loan.group.name,
                    "reference": loan.reference,
                }
                name = loan.programme.name if loan.programme else loan.group.name
                out.append(
                    TimelineEntry(
                        loan.disbursed_on,
                        name,
                        "empowerment",
                        what,
                        1,
                        "",
                        loan.principal,
                        seat.member.name,
                        seat.member_id,
                    )
                )
    return out


def reach(programme_ids: list[int], day: Any) -> list[tuple[int, int, int | None]]:
    """The members (and their households) of the groups given a grant or a loan under the programmes
    by ``day``, seated on the day it was given."""
    given = [
        *Grant.objects.filter(programme_id__in=programme_ids, handed_over_on__lte=day).values_list(
            "programme_id", "group_id", "handed_over_on"
        ),
        *Loan.objects.filter(programme_id__in=programme_ids, disbursed_on__lte=day).values_list(
            "programme_id", "group_id", "disbursed_on"
        ),
    ]
    seats: dict[int, list[tuple[int, int, Any, Any]]] = {}
    for group_id, member_id, household_id, joined, left in Membership.objects.filter(
        group__in={g for _p, g, _d in given}
    ).values_list("group_id", "member_id", "member__household_id", "joined_on", "left_on"):
        seats.setdefault(group_id, []).append((member_id, household_id, joined, left))
    return [
        (programme_id, household_id, member_id)
        for programme_id, group_id, on in given
        for member_id, household_id, joined, left in seats.get(group_id, ())
        if joined <= on and (left is None or on <= left)
    ]
