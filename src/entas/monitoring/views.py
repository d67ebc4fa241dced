from __future__ import annotations

from itertools import groupby, pairwise
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core import home as home_items
from entas.core import uploads
from entas.core.charts import bars_with_intervals, region_map
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused
from entas.regions.models import Region, RegionLevel
from entas.registry.selectors import summary_by_kelurahan

from . import selectors, services
from .forms import IndicatorFileForm, OfficialValueForm, PovertyLinesForm, SurveyForm
from .models import PovertyLine, SurveyRound


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The home page: what waits for the user (each app contributes its items, entas.core.home), the
    city's key figures for managers, and the registry summary of the user's areas."""
    contributed = home_items.items_for(request.user)
    rows = summary_by_kelurahan(request.user)  # type: ignore[arg-type]
    kecamatan = []
    for (code, name), group in groupby(rows, key=lambda r: (r["kecamatan_code"], r["kecamatan"])):
        items = list(group)
        kecamatan.append(
            {
                "code": code,
                "name": name,
                "kelurahan": items,
                "households": sum(r["households"] for r in items),
                "people": sum(r["people"] for r in items),
            }
        )
    spec = region_map(rows, value="households", value_title=_("Households"), name_title=_("Kelurahan"))
    context = {
        "work": sorted((i for i in contributed if i.kind == "work"), key=lambda i: not i.waiting),  # waiting first
        "nothing_waiting": not any(i.waiting for i in contributed),
        "figures": [i for i in contributed if i.kind == "figure"],
        "kecamatan": kecamatan,
        "total_households": sum(r["households"] for r in rows),
        "total_people": sum(r["people"] for r in rows),
        "map_spec": spec,
        "map_is_choropleth": bool(rows) and all(r["boundary"] for r in rows),
    }
    return render(request, "monitoring/home.html", context)


def _number(value: str) -> float | None:
    try:
        number = float(value.replace(".", "").replace(",", ".")) if value else None
    except ValueError:
        return None
    return number


@require(Capability.VIEW_SUMMARY)
def poverty_profile(request: AuthenticatedRequest) -> HttpResponse:
    """Profil Kemiskinan: P0, P1, P2, number of poor, Gini and extreme poverty per area, with intervals."""
    by = request.GET.get("by", "") or selectors.default_level(request.user)
    by = by if by in {"kecamatan", "kelurahan"} else "kecamatan"
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() else None
    source = "registry" if request.GET.get("source") == "registry" else "survey"
    context: dict[str, Any] = {
        "by": by,
        "years": selectors.survey_years(),
        "year": year,
        "errors": [],
        "source": source,
    }
    survey = selectors.latest_survey(year)
    if survey is None and source == "survey":
        return render(request, "monitoring/poverty_profile.html", context)
    national = selectors.poverty_line("national", survey.year if survey else year)
    line_text = request.GET.get("line", "").strip()
    line = _number(line_text)
    if line_text and (line is None or line <= 0):
        context["errors"].append(
            _("The poverty line %(value)r is not a positive amount in rupiah.") % {"value": line_text}
        )
        line = None
    if line is None and national is not None:
        line = float(national.rupiah_per_capita_month)
    context.update({"survey": survey, "national": national, "line": line})
    if line is None:
        return render(request, "monitoring/poverty_profile.html", context)
    extreme = selectors.poverty_line("extreme", survey.year if survey else year)
    extreme_line = float(extreme.rupiah_per_capita_month) if extreme else None
    if source == "registry":
        from entas.targeting.selectors import model_in_use

        if model_in_use() is None:
            # Say what is missing and link to the step that makes it, rather than an error message.
            context["no_model"] = True
            return render(request, "monitoring/poverty_profile.html", context)
    try:
        if source == "registry":
            total, areas, model = selectors.registry_profile_for(
                request.user, line=line, by=by, extreme_line=extreme_line
            )
            context["model"] = model
        else:
            assert survey is not None
            total, areas = selectors.profile_for(
                request.user, survey=survey, line=line, by=by, extreme_line=extreme_line
            )
    except Refused as exc:
        context["errors"].append(str(exc))
        return render(request, "monitoring/poverty_profile.html", context)
    rows = [selectors.profile_row(a, sampled=source == "survey") for a in areas]
    total_row = selectors.profile_row(total, sampled=source == "survey")
    regions = {r.code: r for r in Region.objects.filter(code__in=[a.code for a in areas]).select_related("parent")}
    map_rows = [
        {
            "code": r["code"],
            "name": r["name"],
            "p0_pct": r["p0"],
            "boundary": regions[r["code"]].boundary,
            "kecamatan": getattr(regions[r["code"]].parent, "name", ""),
            "lat": regions[r["code"]].centroid_lat,
            "lng": regions[r["code"]].centroid_lng,
        }
        for r in rows
    ]
    context.update(
        {
            "extreme": extreme,
            "total": total_row,
            "rows": rows,
            "any_no_poor_sampled": any(r["no_poor_sampled"] for r in [total_row, *rows]),
            "map_spec": region_map(
                map_rows,
                value="p0_pct",
                value_title=_("P0 (%)"),
                name_title=_("Kecamatan") if by == "kecamatan" else _("Kelurahan"),
                value_format=".2f",
            ),
            "bars_spec": bars_with_intervals(
                rows,
                category="name",
                value="p0",
                low="p0_low",
                high="p0_high",
                category_title=_("Kecamatan") if by == "kecamatan" else _("Kelurahan"),
                value_title=_("P0 (%) with 95% interval"),
            )
            if rows
            else None,
        }
    )
    return render(request, "monitoring/poverty_profile.html", context)


REFERENCE_DIR = "reference"  # stored uploads of reference data, under MEDIA_ROOT


@require(Capability.VIEW_ANALYTICS, post=Capability.RUN_JOBS)
def reference_data(request: AuthenticatedRequest) -> HttpResponse:
    """Poverty lines and survey rounds: what is loaded, and uploads of new ones (the same services as
    ``entas load_poverty_lines`` and ``entas import_survey``; hostile files refused by entas.core.uploads)."""
    lines_form = PovertyLinesForm(
        request.POST if request.POST.get("kind") == "lines" else None,
        request.FILES if request.POST.get("kind") == "lines" else None,
        prefix="lines",
    )
    survey_form = SurveyForm(
        request.POST if request.POST.get("kind") == "survey" else None,
        request.FILES if request.POST.get("kind") == "survey" else None,
        prefix="survey",
    )
    if request.method == "POST":
        form = lines_form if request.POST.get("kind") == "lines" else survey_form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            stored = None
            try:
                stored = uploads.store_upload(upload, owner=str(request.user.pk), folder=REFERENCE_DIR)
                path = uploads.media_path(stored)
                if form is lines_form:
                    count = services.load_poverty_lines(
                        text=uploads.read_text(path, name=upload.name), actor=request.user
                    )
                    messages.success(request, _("%(n)d poverty lines loaded.") % {"n": count})
                else:
                    survey = services.import_survey(
                        path=path,
                        name=form.cleaned_data["name"],
                        year=form.cleaned_data["year"],
                        actor=request.user,
                        file_name=upload.name,
                    )
                    messages.success(
                        request,
                        _("Survey round %(survey)s loaded (%(n)d households).")
                        % {"survey": survey, "n": survey.households.count()},
                    )
                return redirect("monitoring:reference_data")
            except Refused as exc:
                for problem in (exc.problems or [exc.message])[:20]:
                    form.add_error("file", problem)
            finally:
                if stored:
                    uploads.media_path(stored).unlink(missing_ok=True)
    context = {
        "lines_form": lines_form,
        "survey_form": survey_form,
        "lines": PovertyLine.objects.select_related("region").order_by("kind", "-period", "name"),
        "surveys": SurveyRound.objects.annotate(n=Count("households")).order_by("-year", "-imported_at"),
        "can_load": request.user.can(Capability.RUN_JOBS),
    }
    return render(request, "monitoring/reference_data.html", context)


# -- the TKPK dashboard, the results framework and small-area estimates (docs/monitoring.md) ----------


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def trend_spec(points: list[dict[str, Any]], *, title: str) -> dict[str, Any]:
    """Value by period with a 95 % band (value ± 1.96 SE) where there is an SE, and targets as points."""
    from entas.core.charts import VEGA_LITE_SCHEMA

    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": 260,
        "data": {"values": points},
        "encoding": {"x": {"field": "period", "type": "ordinal", "title": _("Period")}},
        "layer": [
            {
                "transform": [{"filter": "datum.low != null"}],
                "mark": {"type": "area", "opacity": 0.25, "color": "#1f5fa8"},
                "encoding": {
                    "y": {"field": "low", "type": "quantitative", "title": title},
                    "y2": {"field": "high"},
                },
            },
            {
                "transform": [{"filter": "datum.value != null"}],
                "mark": {"type": "line", "point": True, "color": "#1f5fa8"},
                "encoding": {
                    "y": {"field": "value", "type": "quantitative", "title": title},
                    "detail": {"field": "version", "type": "nominal"},
                    "tooltip": [
                        {"field": "period", "title": _("Period")},
                        {"field": "value", "title": title, "format": ".2f"},
                        {"field": "version", "title": _("Definition version")},
                    ],
                },
            },
            {
                "transform": [{"filter": "datum.target != null"}],
                "mark": {"type": "point", "shape": "diamond", "filled": True, "color": "#c0392b", "size": 70},
                "encoding": {
                    "y": {"field": "target", "type": "quantitative"},
                    "tooltip": [{"field": "period", "title": _("Period")}, {"field": "target", "title": _("Target")}],
                },
            },
        ],
    }


def _dashboard_context(request: AuthenticatedRequest) -> dict[str, Any]:
    from . import rules as monitoring_rules

    all_indicators = list(selectors.indicators())
    code = request.GET.get("indicator") or (all_indicators[0].code if all_indicators else "")
    try:
        area = selectors.area_for(request.user, request.GET.get("area"))
    except Refused as exc:
        if request.GET.get("area"):
            raise
        return {"indicators": all_indicators, "code": code, "error": str(exc)}  # a user without areas
    context: dict[str, Any] = {"indicators": all_indicators, "area": area, "code": code}
    if not all_indicators:
        return context
    indicator = selectors.indicator(code)
    facts = list(selectors.facts_for(request.user, indicator.pk, area=area))
    targets = selectors.targets_of(indicator.pk)
    higher = indicator.direction == indicator.Direction.UP
    # The indicator table: latest value of each indicator for the area, against the year's target.
    from .models import Fact

    latest: dict[int, Any] = {}
    for fact in Fact.objects.filter(area=area, dimension="").order_by("indicator_id", "period"):
        latest[fact.indicator_id] = fact
    all_targets: dict[tuple[int, int], float] = {}
    from .models import Target

    for ind_id, year, value in Target.objects.values_list("result_indicator__indicator_id", "year", "value"):
        all_targets.setdefault((ind_id, year), value)
    table = []
    for item in all_indicators:
        last = latest.get(item.pk)
        target = all_targets.get((item.pk, int(last.period[:4]))) if last else None
        table.append(
            {
                "indicator": item,
                "fact": last,
                "target": target,
                "light": monitoring_rules.traffic_light(
                    last.value if last else None, target, higher_is_better=item.direction == "up"
                ),
            }
        )
    periods = [f.period for f in facts]
    # A period that is not one of the indicator's (a stale or hand-made link) falls back to the latest.
    period = request.GET.get("period", "")
    period = period if period in periods else (periods[-1] if periods else "")
    compare = request.GET.get("compare", "")
    compare = compare if compare in periods else (periods[-2] if len(periods) > 1 else "")
    points = [
        {
            "period": f.period,
            "value": f.value,
            "low": None if f.se is None or f.value is None else f.value - 1.96 * f.se,
            "high": None if f.se is None or f.value is None else f.value + 1.96 * f.se,
            "target": targets.get(int(f.period[:4])),
            "version": f.version,
        }
        for f in facts
    ]
    breaks = [b.period for a, b in pairwise(facts) if a.version != b.version]
    children = list(selectors.facts_for(request.user, indicator.pk, children_of=area))
    by_period: dict[str, dict[int, Any]] = {}
    for f in children:
        by_period.setdefault(f.period, {})[f.area_id] = f
    child_rows = []
    for f in by_period.get(period, {}).values():
        before = by_period.get(compare, {}).get(f.area_id)
        target = targets.get(int(period[:4])) if period else None
        child_rows.append(
            {
                "area": f.area,
                "value": f.value,
                "se": f.se,
                "numerator": f.numerator,
                "denominator": f.denominator,
                "compare": before.value if before else None,
                "change": None if before is None or before.value is None or f.value is None else f.value - before.value,
                "light": monitoring_rules.traffic_light(f.value, target, higher_is_better=higher),
                "drill": f.area.level < RegionLevel.KELURAHAN,
            }
        )
    child_rows.sort(key=lambda r: r["area"].code)
    map_rows = [
        {
            "code": r["area"].code,
            "name": r["area"].name,
            "kecamatan": area.name,
            "value": r["value"] if r["value"] is not None else 0.0,
            "boundary": r["area"].boundary,
            "lat": r["area"].centroid_lat,
            "lng": r["area"].centroid_lng,
        }
        for r in child_rows
    ]
    current = next((f for f in facts if f.period == period), None)
    context.update(
        {
            "indicator": indicator,
            "table": table,
            "facts": facts,
            "periods": periods,
            "period": period,
            "compare": compare,
            "current": current,
            "current_ci": (current.value - 1.96 * current.se, current.value + 1.96 * current.se)
            if current and current.se is not None and current.value is not None
            else None,
            "current_target": targets.get(int(period[:4])) if period else None,
            "breaks": breaks,
            "children": child_rows,
            "breakdown": _breakdown(list(selectors.breakdown_for(request.user, indicator.pk, area, period)))
            if period
            else [],
            "trend_spec": trend_spec(points, title=indicator.name[:60]) if points else None,
            "map_spec": region_map(
                map_rows, value="value", value_title=indicator.name[:40], name_title=_("Area"), value_format=".2f"
            )
            if map_rows
            else None,
            "ancestors": list(Region.objects.filter(pk__in=_ancestor_ids(area)).order_by("level")),
            "alerts": selectors.open_alerts(request.user),
        }
    )
    return context


def _breakdown(facts: list[Any]) -> list[dict[str, Any]]:
    """Disaggregation rows with readable labels, categories in their natural order (age bands and
    desil by number)."""
    labels = {"sex": _("Sex"), "age_band": _("Age band"), "desil": _("Desil"), "disability": _("Disability")}
    words = {"female": _("female"), "male": _("male"), "yes": _("with a disability"), "no": _("without")}

    def order(fact: Any) -> tuple[str, int, str]:
        digits = fact.category.split("-")[0].rstrip("+")
        return (fact.dimension, int(digits) if digits.isdigit() else 0, fact.category)

    return [
        {
            "dimension": labels.get(f.dimension, f.dimension),
            "category": words.get(f.category, f.category),
            "value": f.value,
            "numerator": f.numerator,
            "denominator": f.denominator,
        }
        for f in sorted(facts, key=order)
    ]


def _ancestor_ids(area: Region) -> list[int]:
    ids = []
    parent = area.parent
    while parent is not None and parent.level >= RegionLevel.REGENCY_CITY:
        ids.append(parent.pk)
        parent = parent.parent
    return ids


@require(Capability.VIEW_SUMMARY, post=Capability.RUN_JOBS)
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """The TKPK dashboard: every indicator against its target with a traffic light; for the chosen
    indicator its trend with 95 % bands and targets, a map and table of the areas below (drill-down
    city → kecamatan → kelurahan), a comparison of two periods, the disaggregations and the alerts.
    A POST queues a refresh of the facts (the job kind the scheduler runs), the same as
    ``entas indicator refresh``."""
    if request.method == "POST":
        from entas.core import jobqueue

        from .jobs import REFRESH_KIND

        job = jobqueue.submit(kind=REFRESH_KIND, params={"full": request.POST.get("full") == "1"}, actor=request.user)
        messages.info(request, _("The indicators are being refreshed in the background; this page shows its progress."))
        return redirect("jobs:detail", pk=job.pk)
    context = _dashboard_context(request)
    context["can_refresh"] = request.user.can(Capability.RUN_JOBS)
    from .models import RefreshRun

    context["last_refresh"] = RefreshRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    return render(request, "monitoring/dashboard.html", context)


@require(Capability.VIEW_SUMMARY)
def dashboard_csv(request: AuthenticatedRequest) -> HttpResponse:
    """The data behind the dashboard's charts: the indicator's facts for the area and the areas below."""
    import csv

    from entas.core.spreadsheet import csv_cell

    indicator = selectors.indicator(request.GET.get("indicator", ""))
    area = selectors.area_for(request.user, request.GET.get("area"))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="indikator-{indicator.code}-{area.code}.csv"'
    writer = csv.writer(response)
    writer.writerow(["indicator", "version", "area_code", "area", "period", "numerator", "denominator", "value", "se"])
    rows = [
        *selectors.facts_for(request.user, indicator.pk, area=area),
        *selectors.facts_for(request.user, indicator.pk, children_of=area),
    ]
    for f in rows:
        writer.writerow(
            [
                indicator.code,
                f.version,
                f.area.code,
                csv_cell(f.area.name),
                f.period,
                _fmt(f.numerator),
                _fmt(f.denominator),
                _fmt(f.value),
                _fmt(f.se),
            ]
        )
    return response


@require(Capability.VIEW_SUMMARY)
def framework(request: AuthenticatedRequest) -> HttpResponse:
    """The results framework (logframe): impact → outcome → output with indicators, baselines and targets."""
    from entas.policy.models import ProgrammeRecord

    results = selectors.framework(request.GET.get("plan") or None)
    programmes = (
        ProgrammeRecord.objects.select_related("programme").order_by("code")
        if request.user.can(Capability.VIEW_POLICY)
        else ProgrammeRecord.objects.none()
    )
    return render(request, "monitoring/framework.html", {"results": results, "programmes": programmes})


@require(Capability.VIEW_ANALYTICS)
def small_area(request: AuthenticatedRequest) -> HttpResponse:
    """Kelurahan P0 by the Fay–Herriot model next to the direct survey estimate, with diagnostics."""
    from entas.core.charts import VEGA_LITE_SCHEMA

    from . import smallarea

    year_text = request.GET.get("year", "")
    context: dict[str, Any] = {
        "years": selectors.survey_years(),
        "year": int(year_text) if year_text.isdigit() else None,
    }
    try:
        result = smallarea.fit_p0(context["year"])
    except Refused as exc:
        context["error"] = str(exc)
        return render(request, "monitoring/small_area.html", context)
    rows = result.rows
    context.update(
        {
            "result": result,
            "rows": rows,
            "unreliable": sum(1 for r in rows if r["unreliable"]),
            "shrinkage_spec": {
                "$schema": VEGA_LITE_SCHEMA,
                "width": "container",
                "height": 260,
                "data": {"values": [r for r in rows if r["direct"] is not None]},
                "mark": {"type": "point", "filled": True},
                "encoding": {
                    "x": {"field": "direct", "type": "quantitative", "title": _("Direct estimate (%)")},
                    "y": {"field": "eblup", "type": "quantitative", "title": _("EBLUP (%)")},
                    "color": {"field": "gamma", "type": "quantitative", "title": _("Shrinkage factor γ")},
                    "tooltip": [{"field": "name"}, {"field": "direct"}, {"field": "eblup"}, {"field": "gamma"}],
                },
            },
            "residual_spec": {
                "$schema": VEGA_LITE_SCHEMA,
                "width": "container",
                "height": 220,
                "data": {"values": [r for r in rows if r["residual"] is not None]},
                "mark": {"type": "point", "filled": True, "color": "#1f5fa8"},
                "encoding": {
                    "x": {"field": "eblup", "type": "quantitative", "title": _("EBLUP (%)")},
                    "y": {"field": "residual", "type": "quantitative", "title": _("Standardised residual")},
                    "tooltip": [{"field": "name"}, {"field": "residual"}],
                },
            },
        }
    )
    return render(request, "monitoring/small_area.html", context)


@require(Capability.VIEW_POLICY)
def programme_dashboard(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A programme's dashboard: reach (families and people reached, enrolled and paid), money by year
    (pagu in force against realisation), and its logframe results (outputs and outcomes) with the
    latest value of each indicator against the year's target."""
    from collections import defaultdict

    from django.http import Http404
    from django.utils import timezone

    from entas.core.charts import VEGA_LITE_SCHEMA
    from entas.policy import selectors as policy
    from entas.policy.models import ProgrammeRecord

    from . import rules as monitoring_rules
    from .models import Fact, Result

    try:
        record = policy.record_for(request.user, pk)
    except ProgrammeRecord.DoesNotExist:
        raise Http404(_("No such programme in the register.")) from None
    day = timezone.localdate()
    money: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for rows in policy.years_of(record, day).values():
        for row in rows:
            money[row.year][0] += row.money.budget
            money[row.year][1] += row.money.realised
    money_rows = [
        {"year": year, "budget": b, "realised": r, "percent": r * 100 // b if b else 0}
        for year, (b, r) in sorted(money.items())
    ]
    chart_rows = [
        {"year": str(m["year"]), "what": label, "rupiah": m[key]}
        for m in money_rows
        for key, label in (("budget", _("Budget (pagu)")), ("realised", _("Realisation")))
    ]
    city = selectors.area_for(None, None)
    results = list(
        Result.objects.filter(programme=record).prefetch_related("indicators__indicator", "indicators__targets")
    )
    outcome_rows = []
    for result in results:
        for link in result.indicators.all():
            fact = Fact.objects.filter(indicator=link.indicator, area=city, dimension="").order_by("-period").first()
            target = next((t.value for t in link.targets.all() if fact and t.year == int(fact.period[:4])), None)
            outcome_rows.append(
                {
                    "result": result,
                    "indicator": link.indicator,
                    "baseline": link.baseline,
                    "fact": fact,
                    "target": target,
                    "light": monitoring_rules.traffic_light(
                        fact.value if fact else None, target, higher_is_better=link.indicator.direction == "up"
                    ),
                }
            )
    return render(
        request,
        "monitoring/programme.html",
        {
            "record": record,
            "reached": policy.beneficiaries(record, day),
            "money": money_rows,
            "outcomes": outcome_rows,
            "money_spec": {
                "$schema": VEGA_LITE_SCHEMA,
                "width": "container",
                "height": 220,
                "data": {"values": chart_rows},
                "mark": "bar",
                "encoding": {
                    "x": {"field": "year", "type": "ordinal", "title": _("Year")},
                    "xOffset": {"field": "what"},
                    "y": {"field": "rupiah", "type": "quantitative", "title": _("Rupiah")},
                    "color": {"field": "what", "type": "nominal", "title": ""},
                    "tooltip": [{"field": "year"}, {"field": "what"}, {"field": "rupiah", "format": ",d"}],
                },
            }
            if chart_rows
            else None,
        },
    )


# -- managing indicators: the indicator file and official values (the same services as the command) ----


@require(Capability.VIEW_ANALYTICS, post=Capability.EDIT_POLICY)
def indicators(request: AuthenticatedRequest) -> HttpResponse:
    """The indicators with their kind and version, and the upload of an indicator file (YAML): the
    same service as ``entas indicator load``; a refused file lists every problem with its place."""
    from .models import Indicator

    form = IndicatorFileForm(request.POST or None, request.FILES or None)
    problems: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        stored = None
        try:
            stored = uploads.store_upload(upload, owner=str(request.user.pk), folder=REFERENCE_DIR)
            text = uploads.read_text(uploads.media_path(stored), name=upload.name, rows=False)
            counts = services.load_indicators(data=services.read_indicator_file(text), actor=request.user)
            messages.success(
                request,
                _(
                    "Indicator file loaded: %(created)d created, %(changed)d changed (new version), %(unchanged)d "
                    "unchanged; %(values)d official values, %(results)d results, %(alerts)d alert rules."
                )
                % counts,
            )
            return redirect("monitoring:indicators")
        except Refused as exc:
            form.add_error("file", exc.message)
            problems = [(p.field, p.message) for p in exc.issues][:200]
        finally:
            if stored:
                uploads.media_path(stored).unlink(missing_ok=True)
    context = {
        "form": form,
        "problems": problems,
        "indicators": Indicator.objects.annotate(n_official=Count("official_values")).order_by("code"),
        "can_edit": request.user.can(Capability.EDIT_POLICY),
    }
    return render(request, "monitoring/indicators.html", context)


@require(Capability.VIEW_ANALYTICS, post=Capability.EDIT_POLICY)
def official_values(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """An official series: its values with source and confirmed flag; enter (or correct) a value, and
    confirm one whose source was checked (``services.enter_official_value``, audited)."""
    from .models import OfficialValue

    indicator = selectors.indicator(code)
    form = OfficialValueForm(request.POST if request.POST.get("action") == "enter" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "confirm":
                row = OfficialValue.objects.filter(
                    indicator=indicator, pk=_int_or_none(request.POST.get("value")) or 0
                ).first()
                if row is None:
                    raise Refused(_("There is no such value of this series."), code="not_found")
                services.confirm_official_value(row=row, actor=request.user)
                messages.success(request, _("The value for %(period)s is confirmed.") % {"period": row.period})
                return redirect("monitoring:official_values", code=indicator.code)
            if form.is_valid():
                data = form.cleaned_data
                services.enter_official_value(
                    indicator=indicator,
                    area_code=data["area"].strip(),
                    period=data["period"].strip(),
                    value=data["value"],
                    se=data["se"],
                    source=data["source"],
                    confirmed=data["confirmed"],
                    actor=request.user,
                )
                messages.success(request, _("The value for %(period)s is saved.") % {"period": data["period"]})
                return redirect("monitoring:official_values", code=indicator.code)
        except Refused as exc:
            if request.POST.get("action") == "confirm":
                messages.error(request, exc.message)
            else:
                form.add_error(None, exc.message)
    context = {
        "indicator": indicator,
        "form": form,
        "values": OfficialValue.objects.filter(indicator=indicator)
        .select_related("area")
        .order_by("-period", "area__code"),
        "can_edit": request.user.can(Capability.EDIT_POLICY) and indicator.kind == "official",
    }
    return render(request, "monitoring/official_values.html", context)


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None
