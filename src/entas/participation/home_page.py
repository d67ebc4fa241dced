"""Participation's part of the home page (entas.core.home): the forums held this year in the user's
areas, and for the kelurahan operator the musyawarah whose signed berita acara is not attached yet."""

from __future__ import annotations

from typing import Any

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
    mine = Forum.objects.restrict(user, "view")
    items = [
        home.Item(
            _("Forums held this year"),
            mine.filter(held_on__year=timezone.localdate().year).count(),
            reverse("participation:forums"),
        )
    ]
    if user.can("registry.change"):
        unsigned = mine.filter(kind=c.ForumKind.MUSYAWARAH, scan="").count()
        items.append(
            home.Item(
                _("Musyawarah without the signed berita acara"),
                unsigned,
                reverse("participation:forums") + "?kind=musyawarah",
            )
        )
    return items
