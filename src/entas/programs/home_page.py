"""Programmes' part of the home page (entas.core.home): cycles waiting, and for managers the
households enrolled and the rupiah paid this year in their areas."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.core import home
from entas.core.money import format_rupiah

from . import selectors


@home.contribute("programs.cycles", order=40)
def cycles_waiting(user: Any) -> list[home.Item]:
    approve, manage = user.can(Capability.APPROVE_PROGRAMMES), user.can(Capability.MANAGE_PROGRAMMES)
    if not (approve or manage):
        return []
    counts = selectors.home_counts(user)
    url = reverse("programs:list")
    items = []
    if approve:
        items.append(home.Item(_("Payment cycles waiting for your approval"), counts["to_approve"], url))
    if manage:
        items.append(
            home.Item(_("Payment cycles under way (to submit, pay, reconcile or close)"), counts["in_progress"], url)
        )
    return items


@home.contribute("programs.figures", order=110)
def assistance_figures(user: Any) -> list[home.Item]:
    if not (user.can(Capability.MANAGE_PROGRAMMES) or user.can(Capability.APPROVE_PROGRAMMES)):
        return []
    year = timezone.localdate().year
    figures = selectors.key_figures(user, year)
    url = reverse("programs:list")
    return [
        home.Item(
            _("Households enrolled in a programme"),
            figures["enrolled_households"],
            url,
            kind="figure",
            value=number_format(figures["enrolled_households"], force_grouping=True),
        ),
        home.Item(
            _("Paid to households in %(year)d") % {"year": year},
            figures["paid"],
            url,
            kind="figure",
            value=format_rupiah(figures["paid"]),
        ),
    ]
