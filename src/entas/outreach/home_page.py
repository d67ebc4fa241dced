"""Awareness campaigns' part of the home page (entas.core.home), for the campaign officers: the
campaigns running today and the events already held in the user's areas whose attendance is not
recorded yet (no attendee and no head count)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.core import home

from .models import Campaign, Event


@home.contribute("outreach.work", order=57)
def outreach_work(user: Any) -> list[home.Item]:
    if not user.can(Capability.MANAGE_OUTREACH):
        return []
    today = timezone.localdate()
    running = Campaign.objects.restrict(user, "view").filter(start__lte=today, end__gte=today).count()
    unrecorded = (
        Event.objects.restrict(user, "view")
        .filter(date__lte=today, attendance__isnull=True, head_counts__isnull=True)
        .count()
    )
    return [
        home.Item(
            _("Awareness campaigns running"), running, reverse("outreach:campaigns"), kind="figure", value=str(running)
        ),
        home.Item(_("Campaign events held without attendance recorded"), unrecorded, reverse("outreach:campaigns")),
    ]
