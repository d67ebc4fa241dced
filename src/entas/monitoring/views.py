from __future__ import annotations

from itertools import groupby
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
from .forms import PovertyLinesForm, SurveyForm
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


def _default_level(user: Any) -> str:
    """Kecamatan for whoever holds a whole kecamatan or more; kelurahan for a kelurahan operator (by
    kecamatan their areas would show as nothing)."""
    broad = user.areas.filter(level__lt=RegionLevel.KELURAHAN).exists()
    return "kecamatan" if broad or not user.areas.exists() else "kelurahan"


@require(Capability.VIEW_SUMMARY)
def poverty_profile(request: AuthenticatedRequest) -> HttpResponse:
    """Profil Kemiskinan: P0, P1, P2, number of poor, Gini and extreme poverty per area, with intervals."""
    by = request.GET.get("by", "") or _default_level(request.user)
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
    rows = [_row(a, sampled=source == "survey") for a in areas]
    total_row = _row(total, sampled=source == "survey")
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


def _row(a: Any, *, sampled: bool = True) -> dict[str, Any]:
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
