"""The reports' part of the home page (entas.core.home), for those who prepare official reports: the
drafts waiting for a checker (their newest version a draft this user neither generated nor wrote), and
the reports due: the last completed quarter's extreme-poverty report (Inpres 4/2022) and last year's
LP2KD while neither has a final version."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.core import home

from . import selectors


@home.contribute("reports.drafts", order=47)
def drafts_to_check(user: Any) -> list[home.Item]:
    if not user.can(Capability.EDIT_REPORTS):
        return []
    count = selectors.drafts_awaiting_checker(user)
    return [home.Item(_("Draft reports waiting for a checker"), count, reverse("reports:list"))]


@home.contribute("reports.due", order=48)
def reports_due(user: Any) -> list[home.Item]:
    if not user.can(Capability.EDIT_REPORTS):
        return []
    due = selectors.reports_due(timezone.localdate())
    return [
        home.Item(
            _("Official reports due"),
            len(due),
            reverse("reports:new"),
            hint=", ".join(str(d) for d in due),
        )
    ]
