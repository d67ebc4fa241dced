"""The policy register's part of the home page (entas.core.home): adjustments waiting for a second
editor, and for readers of the register the year's realisation of the adopted plan."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.core import home
from entas.core.money import format_rupiah

from . import selectors
from .models import BudgetMonth


@home.contribute("policy.adjustments", order=45)
def adjustments_waiting(user: Any) -> list[home.Item]:
    if not user.can(Capability.EDIT_POLICY):
        return []
    count = selectors.pending_adjustments(user).order_by().count()
    return [home.Item(_("Adjustments of programmes waiting for your decision"), count, reverse("policy:adjustments"))]


@home.contribute("policy.figures", order=115)
def realisation_figure(user: Any) -> list[home.Item]:
    if not user.can(Capability.VIEW_POLICY):
        return []
    plan = selectors.current_plan(user)
    if plan is None:
        return []
    today = timezone.localdate()
    # The months of this year up to this one, all activities (a cash transfer's payments show on its page).
    sums = BudgetMonth.objects.filter(
        activity__record__strategy__plan=plan, month__year=today.year, month__lte=today.replace(day=1)
    ).aggregate(pagu=Sum("pagu"), realised=Sum("realised"))
    pagu, realised = int(sums["pagu"] or 0), int(sums["realised"] or 0)
    percent = realised * 100 // pagu if pagu else 0
    return [
        home.Item(
            _("Poverty programmes: realisation in %(year)d") % {"year": today.year},
            realised,
            reverse("policy:plan"),
            kind="figure",
            value=f"{format_rupiah(realised)} ({percent}%)",
            hint=_("of a pagu of %(pagu)s to date, %(plan)s") % {"pagu": format_rupiah(pagu), "plan": plan.code},
        )
    ]
