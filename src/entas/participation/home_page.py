"""Participation's part of the home page (entas.core.home): the forums held this year in the user's
areas, and for the kelurahan operator the musyawarah whose signed berita acara is not attached yet."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.core import home

from . import choices as c
from .models import FORUM_ACTIONS, Forum


@home.contribute("participation.forums", order=58)
def forums(user: Any) -> list[home.Item]:
    if not any(user.can(cap) for cap in FORUM_ACTIONS["view"]):
        return []
    counts = Forum.objects.restrict(user, "view").aggregate(
        this_year=Count("pk", filter=Q(held_on__year=timezone.localdate().year)),
        unsigned=Count("pk", filter=Q(kind=c.ForumKind.MUSYAWARAH, scan="")),
    )
    items = [home.Item(_("Forums held this year"), counts["this_year"], reverse("participation:forums"))]
    if user.can("registry.change"):
        unsigned = counts["unsigned"]
        items.append(
            home.Item(
                _("Musyawarah without the signed berita acara"),
                unsigned,
                reverse("participation:forums") + "?kind=musyawarah",
            )
        )
    return items
