"""Every read of the reports app: the reports a user may see, and the inputs of each kind of report
gathered from the modules that hold them (monitoring, the policy register, evaluation, programmes,
the portal), through their own selectors and scoped to the user's areas. What comes back is plain
JSON-able data for the pure builders (:mod:`.builders`), with the list of what it was read from."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from entas.accounts.scoping import region_q
from entas.core.errors import Refused
from entas.regions.models import Region

from .models import Report, ReportKind, ReportVersion, VersionStatus

if TYPE_CHECKING:
    from entas.accounts.models import User

# Which RPKD sector an indicator belongs to, by the start of its code (configurable in settings as
# ENTAS_REPORT_SECTORS; the first matching sector wins).
DEFAULT_SECTORS: dict[str, tuple[str, ...]] = {
    "poverty": ("p0", "p1", "p2", "gini", "extreme", "sdg-1-1", "sdg-1-2", "desil"),
    "education": ("school", "pip", "education", "sdg-4"),
    "health": ("pbi", "jkn", "health", "stunting", "sdg-3"),
    "water_sanitation": ("water", "sanitation", "toilet", "sdg-6"),
    "housing": ("house", "housing", "rtlh", "floor"),
    "social_protection": ("pkh", "sembako", "bansos", "sdg-1-3"),
    "economy": ("working", "training", "unemploy", "tpt", "enterprise", "sdg-8"),
}


def sector_of(code: str) -> str | None:
    sectors: dict[str, tuple[str, ...]] = getattr(settings, "ENTAS_REPORT_SECTORS", DEFAULT_SECTORS)
    for sector, prefixes in sectors.items():
        if code.startswith(prefixes):
            return sector
    return None


def reports_for(user: User) -> QuerySet[Report]:
    """The reports, each with its number of versions and its newest version's status and data date
    (one query)."""
    newest = ReportVersion.objects.filter(report=OuterRef("pk")).order_by("-number")
    return (
        Report.objects.restrict(user, "view")
        .select_related("programme")
        .annotate(
            version_count=Count("versions"),
            latest_status=Subquery(newest.values("status")[:1]),
            latest_snapshot=Subquery(newest.values("snapshot")[:1]),
        )
        .order_by("-year", "-quarter", "kind", "-pk")
    )


def drafts_awaiting_checker(user: User) -> int:
    """How many reports' newest version is a draft that ``user`` may finalise (neither generated it
    nor wrote its narrative: checker ≠ maker); one query."""
    newest = ReportVersion.objects.filter(report=OuterRef("pk")).order_by("-number")
    drafts = (
        Report.objects.restrict(user, "view")
        .annotate(
            status=Subquery(newest.values("status")[:1]),
            maker=Subquery(newest.values("generated_by")[:1]),
            writer=Subquery(newest.values("edited_by")[:1]),
        )
        .filter(status=VersionStatus.DRAFT)
        .exclude(maker=user.pk)
        .filter(Q(writer__isnull=True) | ~Q(writer=user.pk))  # NOT (NULL = pk) would drop unwritten drafts
    )
    return drafts.order_by().count()


def due_periods(day: dt.date) -> list[tuple[str, int, int | None]]:
    """The reports due on ``day``: the extreme-poverty report of the last completed quarter and the
    LP2KD of last year, as (kind, year, quarter)."""
    quarter = (day.month - 1) // 3  # the last completed quarter (0: the fourth of last year)
    year = day.year if quarter else day.year - 1
    return [("extreme_poverty", year, quarter or 4), ("lp2kd", day.year - 1, None)]


def reports_due(day: dt.date) -> list[str]:
    """The reports due on ``day`` (:func:`due_periods`) that have no final version yet, as labels; one
    query."""
    periods = due_periods(day)
    wanted = Q()
    for kind, year, quarter in periods:
        wanted |= Q(report__kind=kind, report__year=year, report__quarter=quarter)
    done = set(
        ReportVersion.objects.filter(wanted, status=VersionStatus.FINAL).values_list(
            "report__kind", "report__year", "report__quarter"
        )
    )
    labels = dict(ReportKind.choices)
    return [
        f"{labels[kind]} {year}" + (f" Q{quarter}" if quarter else "")
        for kind, year, quarter in periods
        if (kind, year, quarter) not in done
    ]


def report_for(user: User, pk: int) -> Report:
    found = Report.objects.restrict(user, "view").select_related("programme").filter(pk=pk).first()
    if found is None:
        raise Refused(_("No such report."), code="not_found")
    return found


def versions_of(report: Report) -> QuerySet[ReportVersion]:
    return report.versions.select_related("generated_by", "edited_by", "finalised_by").order_by("-number")


def latest_version(report: Report) -> ReportVersion | None:
    return versions_of(report).first()


def version_for(user: User, report: Report, number: int) -> ReportVersion:
    found = ReportVersion.objects.restrict(user, "view").filter(report=report, number=number).first()
    if found is None:
        raise Refused(_("No such version."), code="not_found")
    return found


def city() -> Region:
    found = Region.objects.filter(code=settings.ENTAS_CITY_CODE).first()
    if found is None:
        raise Refused(_("The city %(code)s is not loaded.") % {"code": settings.ENTAS_CITY_CODE}, code="not_found")
    return found


def covers_city(user: User) -> bool:
    """Whether the user's areas hold the whole city."""
    return Region.objects.filter(region_q(user), code=settings.ENTAS_CITY_CODE).exists()


def city_name() -> str:
    """The city's name as a report's cover prints it ("Kota Balikpapan")."""
    found = Region.objects.filter(code=settings.ENTAS_CITY_CODE).values_list("name", flat=True).first()
    if not found:
        return settings.ENTAS_CITY_CODE
    return found if found.lower().startswith(("kota", "kab")) else f"Kota {found}"


# -- the poverty profile, official series and kelurahan estimates -----------------------------------------


def _survey_upto(year: int) -> Any:
    from entas.monitoring.models import SurveyRound

    return SurveyRound.objects.filter(year__lte=year).order_by("-year", "-imported_at").first()


def profile_inputs(user: User, year: int, sources: list[str]) -> dict[str, Any]:
    from entas.monitoring import selectors as mon
    from entas.monitoring.models import OfficialValue

    out: dict[str, Any] = {"profile": None, "official": [], "sae": None}
    survey = _survey_upto(year)
    line = mon.poverty_line("national", survey.year) if survey else None
    if survey is not None and line is not None:
        extreme = mon.poverty_line("extreme", survey.year)
        try:
            total, _areas = mon.profile_for(
                user,
                survey=survey,
                line=float(line.rupiah_per_capita_month),
                extreme_line=float(extreme.rupiah_per_capita_month) if extreme else None,
                by="kelurahan",
            )
        except Refused:
            total = None
        if total is not None:
            out["profile"] = {
                "survey": str(survey),
                "line": float(line.rupiah_per_capita_month),
                "total": total.as_dict(),
            }
            sources.append(_("Survey round %(survey)s; poverty line %(line)s") % {"survey": survey, "line": line.name})
        if covers_city(user):  # the kelurahan estimates are benchmarked to the whole city
            from entas.monitoring import smallarea

            try:
                out["sae"] = smallarea.fit_p0(survey.year).as_dict()
                sources.append(_("Fay–Herriot kelurahan estimates, survey year %(year)s") % {"year": survey.year})
            except Refused:
                pass
    # The province's and the nation's published series are public comparators: shown to whoever may
    # see the city's, not only to users whose areas include the province.
    comparators = Q(area__code__in=[settings.ENTAS_CITY_CODE.split(".")[0], NATIONAL_AREA_CODE])
    official = (
        OfficialValue.objects.filter(period__lte=f"{year}-99")
        .filter(region_q(user, "area") | comparators)
        .select_related("indicator", "area")
        .order_by("indicator__code", "area__level", "period")
    )
    out["official"] = [
        {
            "code": o.indicator.code,
            "indicator": o.indicator.name,
            "area": o.area.name,
            "area_code": o.area.code,
            "area_level": o.area.level,
            "period": o.period,
            "value": o.value,
            "se": o.se,
            "source": o.source,
            "confirmed": o.confirmed,
            "direction": o.indicator.direction,
        }
        for o in official
    ]
    if out["official"]:
        sources.append(_("Official series (monitoring): %(n)s values") % {"n": len(out["official"])})
    return out


# -- indicators against targets ---------------------------------------------------------------------------


def indicator_rows(user: User, year: int, *, programme_record: Any = None) -> list[dict[str, Any]]:
    """Each indicator's latest city value in ``year`` (facts) against the year's target, with its light.
    ``programme_record``: only the indicators of that programme's results."""
    from entas.monitoring.models import Fact, Indicator, Target
    from entas.monitoring.rules import traffic_light

    indicators = Indicator.objects.order_by("code")
    if programme_record is not None:
        indicators = indicators.filter(results__result__programme=programme_record).distinct()
    where = city()
    facts: dict[int, Any] = {}
    for f in (
        Fact.objects.filter(area=where, dimension="", period__startswith=str(year), indicator__in=indicators)
        .filter(region_q(user, "area"))
        .order_by("indicator_id", "period")
    ):
        facts[f.indicator_id] = f  # the latest period of the year wins
    targets: dict[int, Any] = {}
    for ind_id, goal in Target.objects.filter(year=year).values_list("result_indicator__indicator_id", "value"):
        targets.setdefault(ind_id, goal)
    rows = []
    for ind in indicators:
        fact = facts.get(ind.pk)
        value = fact.value if fact is not None else None
        target = targets.get(ind.pk)
        if value is None and target is None:
            continue
        rows.append(
            {
                "code": ind.code,
                "name": ind.name,
                "period": fact.period if fact is not None else str(year),
                "value": value,
                "target": target,
                "light": traffic_light(value, target, higher_is_better=ind.direction == "up"),
            }
        )
    return rows


# -- the policy register ----------------------------------------------------------------------------------


def budget_inputs(user: User, day: dt.date) -> dict[str, Any] | None:
    from entas.policy import selectors as pol

    plan = pol.current_plan(user)
    if plan is None:
        return None
    reg = pol.register(user, plan, day)
    data = pol.register_json(reg)
    reg_names = dict(reg.opd_names)
    programmes = [
        {
            "code": p["code"],
            "name": p["name"],
            "lead_opd": p["lead_opd"],
            "budget": p["money"]["budget"],
            "realised": p["money"]["realised"],
            "percent": p["money"]["percent"],
            "activities": p["activities"],
        }
        for s in data["strategies"]
        for p in s["programmes"]
    ]
    return {
        "plan": f"{plan.code} v{plan.version}",
        "as_of": day.isoformat(),
        "money": data["money"],
        "funding": data["funding"],
        "by_opd": data["by_opd"],
        "opd_names": reg_names,
        "programmes": programmes,
    }


def funding_labels() -> dict[str, str]:
    from entas.policy.choices import FundingKind

    return {k: str(v) for k, v in FundingKind.choices}


def evaluation_rows(user: User, year: int) -> list[dict[str, Any]]:
    from entas.evaluation.selectors import evaluations_for

    return [
        {
            "title": e.title,
            "method": e.get_method_display(),
            "effect": e.result.get("effect"),
            "ci_low": e.result.get("ci_low"),
            "ci_high": e.result.get("ci_high"),
            "causal": bool(e.result.get("causal")),
            "snapshot": e.snapshot_date.isoformat(),
        }
        for e in evaluations_for(user).filter(created_at__year=year)
    ]


# -- the inputs of each kind ------------------------------------------------------------------------------


def lp2kd_inputs(user: User, *, year: int, day: dt.date) -> dict[str, Any]:
    sources: list[str] = []
    out: dict[str, Any] = {"city": city_name(), "year": year, "snapshot": day.isoformat()}
    out.update(profile_inputs(user, year, sources))
    out["budget"] = budget_inputs(user, min(day, dt.date(year, 12, 31)))
    if out["budget"]:
        sources.append(
            _("Policy register, plan %(plan)s, as of %(day)s")
            % {"plan": out["budget"]["plan"], "day": out["budget"]["as_of"]}
        )
    out["funding_labels"] = funding_labels()
    out["indicators"] = indicator_rows(user, year)
    if out["indicators"]:
        sources.append(_("Indicator facts and targets of %(year)s") % {"year": year})
    out["evaluations"] = evaluation_rows(user, year)
    if out["evaluations"]:
        sources.append(_("Saved evaluations of %(year)s: %(n)s") % {"year": year, "n": len(out["evaluations"])})
    out["sources"] = sources
    return out


# The area code under which official series of the nation are entered (monitoring keeps official
# values per region; the nation is the region "00", Kemendagri's codes starting at the provinces' 11–96).
NATIONAL_AREA_CODE = "00"


def _comparison_level(o: dict[str, Any], city_code: str, province_code: str) -> str | None:
    """Which column of the trend comparison an official value fills: the city's own code, its province,
    or the nation; None for any other area."""
    code = o.get("area_code", "")
    if code == city_code:
        return "city"
    if code == province_code:
        return "province"
    if code == NATIONAL_AREA_CODE:
        return "national"
    return None


def rpkd_inputs(user: User, *, year: int, day: dt.date) -> dict[str, Any]:
    sources: list[str] = []
    out: dict[str, Any] = {"city": city_name(), "year": year, "snapshot": day.isoformat()}
    out.update(profile_inputs(user, year, sources))
    here = city()
    province_code = here.code.split(".")[0]
    series: dict[str, dict[str, Any]] = {}
    history = []
    for o in out["official"]:
        sector = sector_of(o["code"])
        if sector is None:
            continue
        level = _comparison_level(o, here.code, province_code)
        if level is None:
            continue
        history.append(
            {"sector": sector, "name": o["indicator"], "area": o["area"], "period": o["period"], "value": o["value"]}
        )
        entry = series.setdefault(
            o["code"],
            {
                "sector": sector,
                "name": o["indicator"],
                "direction": o["direction"],
                "city": {},
                "province": {},
                "national": {},
            },
        )
        entry[level][o["period"]] = o["value"]
    latest: dict[str, dict[str, Any]] = {}
    for code, entry in series.items():
        # one period per row: the latest in which the city and a comparator both have a value (else the
        # city's latest, else the comparators'), so the columns compare the same year
        compared = [p for p in entry["city"] if p in entry["province"] or p in entry["national"]]
        period = max(compared or entry["city"] or [*entry["province"], *entry["national"]])
        latest[code] = {
            "sector": entry["sector"],
            "name": entry["name"],
            "period": period,
            **{level: entry[level].get(period) for level in ("city", "province", "national")},
            "direction": entry["direction"],
        }
    for r in indicator_rows(user, year):
        sector = sector_of(r["code"])
        if sector is None or r["code"] in latest or r["value"] is None:
            continue
        latest[r["code"]] = {
            "sector": sector,
            "name": r["name"],
            "period": r["period"],
            "city": r["value"],
            "province": None,
            "national": None,
            "direction": "up",
        }
    out["sector_indicators"] = list(latest.values())
    out["sector_history"] = history
    entered = {
        lvl: any(_comparison_level(o, here.code, province_code) == lvl for o in out["official"])
        for lvl in ("province", "national")
    }
    out["comparators"] = {
        "province": province_code,
        "national": NATIONAL_AREA_CODE,
        "province_entered": entered["province"],
        "national_entered": entered["national"],
    }
    sources.append(
        _("Indicators by sector: city %(city)s, province %(province)s (%(p)s), nation %(national)s (%(n)s)")
        % {
            "city": here.code,
            "province": province_code,
            "national": NATIONAL_AREA_CODE,
            "p": _("entered") if entered["province"] else _("not entered"),
            "n": _("entered") if entered["national"] else _("not entered"),
        }
    )
    out["deprivation"] = deprivation_inputs(user, day=day)
    if out["deprivation"]:
        sources.append(
            _("Deprivations of %(n)s registered households by quintile of predicted consumption (%(model)s)")
            % {"n": out["deprivation"]["households"], "model": out["deprivation"]["model"]}
        )
    out["sources"] = sources
    return out


HOUSEHOLD_DEPRIVATION_FIELDS = (
    "id",
    "water_source",
    "toilet_facility",
    "sewage_disposal",
    "floor_material",
    "wall_material",
    "roof_material",
    "floor_area_m2",
)
MEMBER_DEPRIVATION_FIELDS = (
    "household_id",
    "birth_date",
    "relationship",
    "school_participation",
    "diploma",
    "health_insurance",
    "worked",
    "employment_insurance",
)


def deprivation_inputs(user: User, *, day: dt.date) -> dict[str, Any] | None:
    """The overlap of deprivations by quintile of the latest scored PMT model's predicted consumption,
    over the registered households in the user's areas (None before any model has scored the
    registry). The household and member fields are read in two queries, the receipts of PKH and
    BPNT in the twelve months up to ``day`` in a third."""
    from entas.registry.models import Household, Member, ProgrammeReceipt
    from entas.targeting.models import HouseholdScore
    from entas.targeting.services import latest_scored_model

    from . import deprivation

    model = latest_scored_model()
    if model is None:
        return None
    scores = HouseholdScore.objects.filter(model=model, predicted_consumption__isnull=False).filter(
        region_q(user, "household__kelurahan")
    )
    consumption = {hh: float(c) for hh, c in scores.values_list("household_id", "predicted_consumption")}
    scored = scores.values("household_id")  # a subquery: no list of a city's ids as parameters
    households = {h["id"]: h for h in Household.objects.filter(pk__in=scored).values(*HOUSEHOLD_DEPRIVATION_FIELDS)}
    members: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in Member.objects.filter(household__in=scored, exited_on__isnull=True).values(*MEMBER_DEPRIVATION_FIELDS):
        members[m["household_id"]].append(m)
    since = (day.replace(day=1) - dt.timedelta(days=366)).replace(day=1)
    for hh, programme in (
        ProgrammeReceipt.objects.filter(household__in=scored, month__gt=since, month__lte=day)
        .filter(programme__in=("pkh", "bpnt"))
        .values_list("household_id", "programme")
    ):
        households[hh][f"receives_{programme}"] = True
    consumption = {hh: c for hh, c in consumption.items() if hh in households}
    deprived = {hh: deprivation.deprived_in(h, members.get(hh, []), on=day) for hh, h in households.items()}
    out = deprivation.overlap_by_quintile(consumption, deprived)
    out["model"] = str(model)
    return out


def quarter_end(year: int, quarter: int) -> dt.date:
    month = quarter * 3
    return (dt.date(year, month, 1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def extreme_inputs(user: User, *, year: int, quarter: int, day: dt.date) -> dict[str, Any]:
    """Households below the extreme-poverty line by the latest scored PMT model, by kelurahan; how many
    programmes (active enrolments, recorded benefits up to the day) reach each; the previous quarter's
    final report's counts."""
    from entas.monitoring import selectors as mon
    from entas.policy.models import Benefit
    from entas.programs.models import Enrolment
    from entas.registry.models import Member
    from entas.targeting.models import HouseholdScore
    from entas.targeting.services import latest_scored_model

    extreme = mon.poverty_line("extreme", year)
    if extreme is None:
        raise Refused(_("No extreme-poverty line is loaded for %(year)s.") % {"year": year}, code="not_found")
    model = latest_scored_model()
    if model is None:
        raise Refused(_("No PMT model has scored the registry yet."), code="not_found")
    line = float(extreme.rupiah_per_capita_month)
    scores = (
        HouseholdScore.objects.filter(model=model, predicted_consumption__lt=line)
        .filter(region_q(user, "household__kelurahan"))
        .values_list("household_id", "household__kelurahan__name")
    )
    kel_of = dict(scores)
    ids = list(kel_of)
    reach: dict[int, set[str]] = defaultdict(set)
    for hh, name in Enrolment.objects.filter(household_id__in=ids, state=Enrolment.State.ENROLLED).values_list(
        "household_id", "programme__name"
    ):
        reach[hh].add(name)
    for hh, name in Benefit.objects.filter(household_id__in=ids, received_on__lte=day).values_list(
        "household_id", "programme__name"
    ):
        reach[hh].add(name)
    people = dict(
        Member.objects.filter(household_id__in=ids, exited_on__isnull=True)
        .values("household_id")
        .annotate(n=Count("pk"))
        .values_list("household_id", "n")
    )
    by_kel: dict[str, dict[str, int]] = defaultdict(lambda: {"households": 0, "people": 0, "none": 0})
    for hh, name in kel_of.items():
        row = by_kel[name]
        row["households"] += 1
        row["people"] += people.get(hh, 0)
        row["none"] += 0 if reach.get(hh) else 1
    counts = np.array([len(reach.get(hh, ())) for hh in ids], dtype=int)
    convergence = {"0": int((counts == 0).sum()), "1": int((counts == 1).sum()), "2+": int((counts >= 2).sum())}
    per_programme = Counter(name for hh in ids for name in reach.get(hh, ()))
    previous_key = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    previous = (
        ReportVersion.objects.filter(
            report__kind="extreme_poverty",
            report__year=previous_key[0],
            report__quarter=previous_key[1],
            status=VersionStatus.FINAL,
        )
        .order_by("-number")
        .first()
    )
    previous_counts: dict[str, int] = {}
    if previous is not None:
        for section in previous.document["sections"]:
            for block in section["blocks"]:
                if block.get("key") == "extreme_by_kelurahan":
                    previous_counts = {str(r[0]): int(r[1]) for r in block["rows"][:-1]}
    sources = [
        _("Scores of %(model)s; extreme-poverty line %(line)s") % {"model": model, "line": extreme.name},
        _("Enrolments and recorded benefits up to %(day)s") % {"day": day.isoformat()},
    ]
    if previous is not None:
        sources.append(_("Final report of the previous quarter: %(report)s") % {"report": previous})
    return {
        "city": city_name(),
        "year": year,
        "quarter": quarter,
        "snapshot": day.isoformat(),
        "model": str(model),
        "line": line,
        "kelurahan": [{"name": k, **v} for k, v in sorted(by_kel.items())],
        "convergence": convergence,
        "programmes": [{"name": n, "households": c} for n, c in sorted(per_programme.items())],
        "previous": previous_counts,
        "previous_label": str(previous) if previous is not None else "",
        "sources": sources,
    }


def programme_inputs(user: User, *, year: int, programme: Any, day: dt.date) -> dict[str, Any]:
    from entas.policy.models import ProgrammeRecord
    from entas.portal.models import Case
    from entas.programs.models import Enrolment, Payment

    enrolments = (
        Enrolment.objects.filter(programme=programme, state=Enrolment.State.ENROLLED)
        .filter(region_q(user, "household__kelurahan"))
        .values("household__kelurahan__name")
        .annotate(n=Count("household_id", distinct=True))
        .order_by("household__kelurahan__name")
    )
    beneficiaries = [{"name": r["household__kelurahan__name"], "households": r["n"]} for r in enrolments]
    paid = int(
        sum(
            Payment.objects.filter(
                status=Payment.Status.PAID, entitlement__cycle__programme=programme, created_at__date__lte=day
            ).values_list("amount", flat=True)
        )
    )
    record = ProgrammeRecord.objects.restrict(user, "view").filter(programme=programme).first()
    money: dict[str, Any] = {"name": programme.name, "budget": None, "realised": None}
    activities: list[dict[str, Any]] = []
    outcomes: list[dict[str, Any]] = []
    if record is not None:
        budget = budget_inputs(user, day)
        for p in (budget or {}).get("programmes", []):
            if p["code"] == record.code:
                money.update(budget=p["budget"], realised=p["realised"])
                activities = [
                    {
                        "name": f"{a['code']} {a['name']}",
                        "output": a["output"],
                        "volume_target": a["volume_target"],
                        "physical": a["physical"],
                    }
                    for a in p["activities"]
                ]
        outcomes = indicator_rows(user, year, programme_record=record)
    complaints = (
        Case.objects.filter(programme=programme, submitted_at__year=year)
        .filter(region_q(user, "kelurahan"))
        .values("state")
        .annotate(n=Count("pk"))
        .order_by("state")
    )
    states = dict(Case._meta.get_field("state").choices or [])
    return {
        "city": city_name(),
        "year": year,
        "snapshot": day.isoformat(),
        "programme": money,
        "beneficiaries": beneficiaries,
        "paid": paid,
        "activities": activities,
        "outcomes": outcomes,
        "complaints": [{"status": str(states.get(c["state"], c["state"])), "cases": c["n"]} for c in complaints],
        "sources": [
            _("Enrolments of %(programme)s; payments paid up to %(day)s")
            % {"programme": programme.name, "day": day.isoformat()},
            _("Policy register record %(code)s") % {"code": record.code} if record else _("Not in the policy register"),
            _("Portal complaints naming the programme in %(year)s") % {"year": year},
        ],
    }


def inputs_for(report: Report, user: User, day: dt.date) -> dict[str, Any]:
    if report.kind == "lp2kd":
        return lp2kd_inputs(user, year=report.year, day=day)
    if report.kind == "rpkd_profile":
        return rpkd_inputs(user, year=report.year, day=day)
    if report.kind == "extreme_poverty":
        return extreme_inputs(user, year=report.year, quarter=report.quarter or 1, day=day)
    return programme_inputs(user, year=report.year, programme=report.programme, day=day)
