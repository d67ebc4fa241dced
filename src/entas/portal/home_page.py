"""The portal's part of the home page: complaints waiting for an officer in their areas."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.core import home

from . import selectors


@home.contribute("portal.cases", order=45)
def cases_waiting(user: Any) -> list[home.Item]:
    if not user.can(Capability.HANDLE_GRIEVANCES):
        return []
    counts = selectors.home_counts(user)
    url = reverse("portal:cases")
    return [
        home.Item(_("New complaints"), counts["new"], f"{url}?state=new"),
        home.Item(_("Complaints assigned to you"), counts["mine"], f"{url}?mine=1&state=open"),
        home.Item(_("Complaints past their service level"), counts["escalated"], f"{url}?state=open"),
    ]


@home.contribute("portal.verification", order=46)
def verification_waiting(user: Any) -> list[home.Item]:
    if not user.can(Capability.CHANGE_REGISTRY):
        return []
    return [
        home.Item(
            _("Households to verify again after a sanggah"),
            selectors.open_verification_tasks(user),
            reverse("portal:verification_tasks"),
        )
    ]
