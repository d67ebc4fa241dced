"""Monitoring's part of the home page (entas.core.home): the number of poor people in the user's
areas, estimated from the latest survey round at the national poverty line, for managers and analysts."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.core import home
from entas.core.errors import Refused

from . import selectors

MANAGERS = (Capability.MANAGE_PROGRAMMES, Capability.APPROVE_PROGRAMMES, Capability.VIEW_ANALYTICS)


@home.contribute("monitoring.poor", order=100)
def poor_people(user: Any) -> list[home.Item]:
    if not user.can(Capability.VIEW_SUMMARY) or not any(user.can(c) for c in MANAGERS):
        return []
    url = reverse("monitoring:poverty_profile")
    survey = selectors.latest_survey()
    line = selectors.poverty_line("national", survey.year) if survey is not None else None
    if survey is None or line is None:
        hint = _("Load a survey round and the national poverty line to estimate it.")
        return [home.Item(_("Poor people"), None, url, kind="figure", value="–", hint=hint)]
    try:
        total, _areas = selectors.profile_for(
            user, survey=survey, line=float(line.rupiah_per_capita_month), extreme_line=None, by="kecamatan"
        )
    except Refused as exc:
        return [home.Item(_("Poor people"), None, url, kind="figure", value="–", hint=str(exc))]
    poor = round(total.poor) if total.poor == total.poor else None  # NaN: no estimate
    return [
        home.Item(
            _("Poor people"),
            poor,
            url,
            kind="figure",
            value=number_format(poor, force_grouping=True) if poor is not None else "–",
            hint=_("Estimated from the survey %(survey)s at the national poverty line (%(percent)s %%).")
            % {"survey": survey, "percent": number_format(100 * total.p0.value, 1)},
        )
    ]
