"""What the home page shows of economic empowerment: loans in arrears and reports flagged, for the
officer of the groups' areas; the portfolio at risk for those who see the results."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.core import home

from .models import BusinessReport, Group


@home.contribute("enterprise.groups", order=45)
def items(user: Any) -> list[home.Item]:
    if not user.can(Capability.MANAGE_TRAINING):
        return []
    groups = Group.objects.restrict(user, "view")
    url = reverse("enterprise:groups")
    flagged = BusinessReport.objects.restrict(user, "view").filter(~Q(flagged="")).count()
    return [
        home.Item(
            _("Business groups fostered"),
            groups.filter(closed_on__isnull=True).count(),
            url,
            kind="figure",
            value=str(groups.filter(closed_on__isnull=True).count()),
        ),
        home.Item(_("Business reports flagged for a second look"), flagged, url),
    ]
