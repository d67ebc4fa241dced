"""Reading survey rounds and poverty lines, and the poverty profile for a user's areas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from entas.accounts.scoping import region_q
from entas.core.errors import Refused
from entas.regions.models import Region, RegionLevel

from . import profile
from .models import PovertyLine, SurveyHousehold, SurveyRound

if TYPE_CHECKING:
    from entas.accounts.models import User


def latest_survey(year: int | None = None) -> SurveyRound | None:
    qs = SurveyRound.objects.all()
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "-imported_at").first()


def survey_years() -> list[int]:
    return sorted(set(SurveyRound.objects.values_list("year", flat=True)), reverse=True)


def poverty_line(kind: str, year: int | None = None, city_code: str | None = None) -> PovertyLine | None:
    """The latest line of a kind for the city (or its province) up to ``year``."""
    code = city_code or settings.ENTAS_CITY_CODE
    qs = PovertyLine.objects.filter(kind=kind).filter(Q(region__code=code) | Q(region__code=code.split(".")[0]))
    if year is not None:
        qs = qs.filter(period__lte=year)
    return qs.order_by("-period").select_related("region").first()


def profile_for(
    user: User | None, *, survey: SurveyRound, line: float, extreme_line: float | None, by: str
) -> tuple[profile.AreaProfile, list[profile.AreaProfile]]:
    """The poverty profile by kecamatan or kelurahan, limited to the user's areas (None: everything)."""
    if by not in {"kecamatan", "kelurahan"}:
        raise Refused(_("Group by kecamatan or kelurahan, not %(by)r.") % {"by": by}, code="invalid")
    rows = list(
        SurveyHousehold.objects.filter(survey=survey).values_list(
            "consumption_per_capita",
            "household_size",
            "weight",
            "stratum",
            "psu",
            "kelurahan__code",
            "kelurahan__parent__code",
            "kelurahan_id",
        )
    )
    if not rows:
        raise Refused(_("The survey %(survey)s has no households.") % {"survey": survey})
    columns = list(zip(*rows, strict=True))
    kelurahan_id = np.asarray(columns[7])
    visible = Region.objects.filter(level=RegionLevel.KELURAHAN)
    if user is not None:
        visible = visible.filter(region_q(user))
    visible_ids = set(visible.values_list("pk", flat=True))
    area_code = np.asarray(columns[5] if by == "kelurahan" else columns[6], dtype=object)
    areas_qs = Region.objects.filter(level=RegionLevel.KELURAHAN if by == "kelurahan" else RegionLevel.KECAMATAN)
    if user is not None:
        areas_qs = areas_qs.filter(region_q(user))
    names = dict(areas_qs.values_list("code", "name"))
    in_areas = np.isin(kelurahan_id, list(visible_ids))
    if not in_areas.any():
        # A user whose areas hold no sampled household (a partner has no areas at all) has no estimate:
        # every figure would be 0/0.
        raise Refused(_("The survey %(survey)s has no sampled household in your areas.") % {"survey": survey})
    # Households outside the user's areas stay in the design (for the variance) but in no shown area.
    area_code = np.where(in_areas & np.isin(area_code, list(names)), area_code, "")
    total, areas = profile.compute(
        consumption=np.asarray(columns[0], dtype=float),
        size=np.asarray(columns[1], dtype=float),
        weight=np.asarray(columns[2], dtype=float),
        stratum=np.asarray(columns[3]),
        psu=np.asarray(columns[4]),
        area_code=area_code,
        area_names=names,
        line=line,
        extreme_line=extreme_line,
        total_domain=None if user is None or user.is_city_wide else in_areas,
    )
    return total, areas


def profile_as_dict(total: profile.AreaProfile, areas: list[profile.AreaProfile], **meta: Any) -> dict[str, Any]:
    return {**meta, "total": total.as_dict(), "areas": [a.as_dict() for a in areas]}


def registry_profile_for(
    user: User | None, *, line: float, extreme_line: float | None, by: str
) -> tuple[profile.AreaProfile, list[profile.AreaProfile], Any]:
    """The profile of the registry from the predicted consumption of the latest scored PMT model
    (a model-based, non-official figure: every registered household, no sampling error)."""
    from entas.targeting.models import HouseholdScore
    from entas.targeting.services import latest_scored_model

    if by not in {"kecamatan", "kelurahan"}:
        raise Refused(_("Group by kecamatan or kelurahan, not %(by)r.") % {"by": by}, code="invalid")
    model = latest_scored_model()
    if model is None:
        raise Refused(
            _("No PMT model has scored the registry yet: fit a model on a survey round and score the registry first.")
        )
    scores = HouseholdScore.objects.filter(model=model)
    if user is not None:
        scores = scores.filter(region_q(user, "household__kelurahan"))
    area_field = "household__kelurahan__code" if by == "kelurahan" else "household__kelurahan__parent__code"
    rows = list(
        scores.annotate(
            size=Count("household__members", filter=Q(household__members__exited_on__isnull=True))
        ).values_list("predicted_consumption", "size", area_field)
    )
    if not rows:
        raise Refused(_("The registry has no scored household in these areas."))
    consumption, size, codes = (np.asarray(c) for c in zip(*rows, strict=True))
    level = RegionLevel.KELURAHAN if by == "kelurahan" else RegionLevel.KECAMATAN
    names = dict(Region.objects.filter(level=level, code__in=set(codes.tolist())).values_list("code", "name"))
    total, areas = profile.compute_census(
        consumption=consumption.astype(float),
        size=np.maximum(size.astype(float), 1),
        area_code=codes.astype(object),
        area_names=names,
        line=line,
        extreme_line=extreme_line,
    )
    return total, areas, model


# -- indicators and facts (the dashboards read facts only; docs/monitoring.md) ------------------------


def indicators() -> Any:
    from .models import Indicator

    return Indicator.objects.all().order_by("code")


def indicator(code: str) -> Any:
    from .models import Indicator

    found = Indicator.objects.filter(code=code).first()
    if found is None:
        raise Refused(_("No indicator %(code)s.") % {"code": code}, code="not_found")
    return found


def area_for(user: User | None, code: str | None) -> Region:
    """The area a user asked for (default: the city, or the user's own area when the city is not
    theirs), refused outside the user's areas."""
    if not code and user is not None and not user.is_city_wide:
        own = user.areas.order_by("level", "code").first()
        if own is not None and own.level >= RegionLevel.REGENCY_CITY:
            code = own.code
    city = Region.objects.filter(code=code or settings.ENTAS_CITY_CODE).first()
    if city is None:
        raise Refused(_("Unknown area %(code)s.") % {"code": code}, code="not_found")
    if user is not None and not Region.objects.filter(region_q(user), pk=city.pk).exists():
        raise Refused(_("The area %(code)s is outside your areas.") % {"code": city.code}, code="forbidden")
    return city


def facts_for(
    user: User | None, indicator_id: int, *, area: Region | None = None, children_of: Region | None = None
) -> Any:
    """Facts of an indicator (no disaggregation) for one area or the children of an area, within the
    user's areas."""
    from .models import Fact

    qs = Fact.objects.filter(indicator_id=indicator_id, dimension="")
    if area is not None:
        qs = qs.filter(area=area)
    if children_of is not None:
        qs = qs.filter(area__parent=children_of)
    if user is not None:
        qs = qs.filter(region_q(user, "area"))
    return qs.select_related("area").order_by("period", "area__code")


def breakdown_for(user: User | None, indicator_id: int, area: Region, period: str) -> Any:
    from .models import Fact

    qs = Fact.objects.filter(indicator_id=indicator_id, area=area, period=period).exclude(dimension="")
    return qs.order_by("dimension", "category")


def periods_of(indicator_id: int) -> list[str]:
    from .models import Fact

    return sorted(set(Fact.objects.filter(indicator_id=indicator_id, dimension="").values_list("period", flat=True)))


def targets_of(indicator_id: int) -> dict[int, float]:
    from .models import Target

    out: dict[int, float] = {}
    for year, value in Target.objects.filter(result_indicator__indicator_id=indicator_id).values_list("year", "value"):
        out.setdefault(year, value)
    return out


def framework(plan_code: str | None = None) -> list[Any]:
    """The logframe results (with their indicators and targets) of a plan (default: all)."""
    from django.db.models import Prefetch

    from .models import Result, ResultIndicator

    qs = Result.objects.select_related("plan", "programme", "parent").prefetch_related(
        Prefetch("indicators", queryset=ResultIndicator.objects.select_related("indicator").prefetch_related("targets"))
    )
    if plan_code:
        qs = qs.filter(plan__code=plan_code)
    order = {"impact": 0, "outcome": 1, "output": 2}
    return sorted(qs, key=lambda r: (order.get(r.level, 9), r.code))


def open_alerts(user: User | None, limit: int = 20) -> list[Any]:
    from .models import Alert

    qs = Alert.objects.filter(resolved_at__isnull=True).select_related("rule__indicator", "area")
    if user is not None:
        qs = qs.filter(region_q(user, "area"))
    return list(qs.order_by("-raised_at")[:limit])


def default_level(user: Any) -> str:
    """Kecamatan for whoever holds a whole kecamatan or more; kelurahan for a kelurahan operator (by
    kecamatan their areas would show as nothing)."""
    broad = user.areas.filter(level__lt=RegionLevel.KELURAHAN).exists()
    return "kecamatan" if broad or not user.areas.exists() else "kelurahan"


def profile_row(a: Any, *, sampled: bool = True) -> dict[str, Any]:
    """One area of the poverty profile as the page and the API show it: the measures in percent, the
    95 % interval clipped at 0, and whether no sampled household is below the line."""
    return {
        "code": a.code,
        "name": a.name or _("All your areas"),
        "households": a.households,
        "people": a.people,
        "p0": 100 * a.p0.value,
        "p0_se": 100 * a.p0.se,
        "p0_low": max(0.0, 100 * a.p0.ci_low),
        "p0_high": 100 * a.p0.ci_high,
        "p1": 100 * a.p1.value,
        "p2": 100 * a.p2.value,
        "poor": a.poor,
        "gini": a.gini.value if a.gini else None,
        "gini_se": a.gini.se if a.gini else None,
        "extreme": 100 * a.extreme_p0.value if a.extreme_p0 else None,
        # No sampled household below the line: "0,00 / SE 0,00 / CI 0,00–0,00" would read as certainty.
        "no_poor_sampled": sampled and a.households > 0 and a.p0.value == 0 and a.p0.se == 0,
    }
