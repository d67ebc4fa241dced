"""Training's part of the home page (entas.core.home): for the training officer, cohorts open for
applications and follow-ups due; for managers of figures, the trainees of this year."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from entas.core import home

from . import selectors


@home.contribute("training.work", order=50)
def training_work(user: Any) -> list[home.Item]:
    if not selectors.can_manage(user):
        return []
    counts = selectors.home_counts(user)
    return [
        home.Item(_("Training cohorts open for applications"), counts["open"], reverse("training:cohorts")),
        home.Item(_("Training follow-ups due"), counts["follow_ups"], reverse("training:tracer_list")),
    ]


@home.contribute("training.to_register", order=55)
def to_register(user: Any) -> list[home.Item]:
    if not user.can("registry.change"):
        return []
    count = selectors.to_register(user).count()
    return [home.Item(_("Training applicants to register in the registry"), count, reverse("training:to_register"))]
