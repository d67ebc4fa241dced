"""Pages of impact evaluation and policy simulation: thin: read through :mod:`.selectors`, write
through :mod:`.services`. The TKPK analyst runs evaluations and simulations and proposes a scenario
as an adjustment; the policy team (Bappeda) reads them as evidence."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from entas.core import uploads
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.documents import Section, table_pdf
from entas.core.errors import Refused

from . import plots, selectors, services
from .models import Evaluation, Scenario
from .simulation import Formula

MAX_COMPARED = 4
FIGURES = (
    ("households", "int"),
    ("people", "int"),
    ("cost", "rupiah"),
    ("p0_before", "percent"),
    ("p0_after", "percent"),
    ("p1_before", "percent"),
    ("p1_after", "percent"),
    ("p2_before", "percent"),
    ("p2_after", "percent"),
    ("gini_before", "ratio"),
    ("gini_after", "ratio"),
    ("exclusion_error", "percent"),
    ("inclusion_error", "percent"),
)


def _labels() -> dict[str, str]:
    return {
        "households": _("Households covered"),
        "people": _("People covered"),
        "cost": _("Annual cost"),
        "p0_before": _("P0 before"),
        "p0_after": _("P0 after"),
        "p1_before": _("P1 before"),
        "p1_after": _("P1 after"),
        "p2_before": _("P2 before"),
        "p2_after": _("P2 after"),
        "gini_before": _("Gini before"),
        "gini_after": _("Gini after"),
        "exclusion_error": _("Exclusion error"),
        "inclusion_error": _("Inclusion error"),
    }


@require(selectors.VIEW)
def index(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "evaluation/index.html",
        {
            "evaluations": selectors.evaluations_for(request.user)[:50],
            "scenarios": selectors.scenarios_for(request.user)[:50],
            "can_run": request.user.can(selectors.RUN),
        },
    )


@require(selectors.VIEW, post=selectors.RUN)
def new(request: AuthenticatedRequest) -> HttpResponse:
    spec: dict[str, Any] = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        spec = {
            k: str(v).strip()
            for k, v in request.POST.items()
            if k not in {"csrfmiddlewaretoken", "title"} and str(v).strip()
        }
        spec["event_study"] = "event_study" in request.POST
        try:
            if upload is None:
                raise Refused(_("Choose a CSV file."), code="invalid")
            name = upload.name or "upload.csv"
            uploads.check_size(upload.size or 0, name)
            text = upload.read().decode("utf-8-sig", errors="replace")
            evaluation = services.run_and_save(
                actor=request.user,
                title=request.POST.get("title", ""),
                text=text,
                spec=spec,
                source=name[:300],
            )
        except Refused as exc:
            return render(request, "evaluation/new.html", {"error": exc.message, "spec": spec}, status=400)
        return redirect("evaluation:evaluation", pk=evaluation.pk)
    return render(request, "evaluation/new.html", {"spec": spec})


def _evaluation(request: AuthenticatedRequest, pk: int) -> Evaluation:
    return get_object_or_404(selectors.evaluations_for(request.user), pk=pk)


@require(selectors.VIEW)
def evaluation(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    e = _evaluation(request, pk)
    if request.GET.get("format") == "pdf":
        return _pdf(e)
    charts = [
        (f"chart-{i}", f"chart-{i}-spec", label, spec) for i, (label, spec) in enumerate(plots.for_evaluation(e.result))
    ]
    return render(request, "evaluation/evaluation.html", {"e": e, "r": e.result, "charts": charts})


def _pdf(e: Evaluation) -> HttpResponse:
    r = e.result
    rows: list[list[Any]] = [
        [_("Method"), e.get_method_display()],
        [_("Data"), f"{e.source} ({e.snapshot_date.isoformat()})"],
        [_("Effect"), f"{r['effect']:.4g}"],
        [_("Standard error"), f"{r['se']:.4g}"],
        # xgettext:no-python-format
        [_("95 % confidence interval"), f"{r['ci_low']:.4g} – {r['ci_high']:.4g}"],
        [_("Observations"), r["n"]],
    ]
    for key in ("pre_trend_p", "bandwidth", "density_p"):
        if r.get(key) is not None:
            rows.append([key, f"{r[key]:.4g}"])
    if r.get("robust"):
        rows.append(
            [
                _("Callaway–Sant'Anna"),
                f"{r['robust']['effect']:.4g} ({r['robust']['ci_low']:.4g} – {r['robust']['ci_high']:.4g})",
            ]
        )
    sections = [Section(e.title, rows)]
    if r.get("balance"):
        sections.append(
            Section(
                _("Balance"), [[b["covariate"], f"{b['smd_before']:.3f} → {b['smd_after']:.3f}"] for b in r["balance"]]
            )
        )
    if r.get("warnings"):
        sections.append(Section(_("Warnings"), [[str(i + 1), w[:150]] for i, w in enumerate(r["warnings"])]))
    out = io.BytesIO()
    table_pdf(out, title=e.title, columns=[_("Item"), _("Value")], widths_mm=[70, 200], sections=sections, empty="–")
    response = HttpResponse(out.getvalue(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="evaluasi-{e.pk}.pdf"'
    return response


def _int(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    digits = value.replace(".", "").replace(",", "").strip()
    if not digits.isdigit():
        raise Refused(_("%(value)s is not a whole number of rupiah.") % {"value": value[:20]}, code="invalid")
    return int(digits)


@require(selectors.VIEW, post=selectors.RUN)
def simulate(request: AuthenticatedRequest) -> HttpResponse:
    from entas.monitoring.models import SurveyRound
    from entas.programs.models import Programme

    data = request.POST if request.method == "POST" else request.GET
    programmes = Programme.objects.filter(kind=Programme.Kind.CASH, rule__isnull=False).select_related("rule")
    context: dict[str, Any] = {
        "programmes": programmes,
        "surveys": SurveyRound.objects.order_by("-year"),
        "form": data,
        "labels": _labels(),
        "can_save": request.user.can(selectors.RUN),
    }
    if "run" not in data:
        return render(request, "evaluation/simulate.html", context)
    try:
        chosen = data.get("programme") or ""
        programme = programmes.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        base = _int(data.get("base_amount"))
        formula = None
        if base is not None or (programme is None and data.get("rule")):
            formula = Formula(base=base or 0, per_child_in_school=_int(data.get("per_child_in_school")) or 0)
        targets = [c.strip() for c in data.get("kelurahan", "").split(",") if c.strip()] or None
        year = _int(data.get("survey_year"))
        result = services.simulate(
            expression=data.get("rule") or None,
            formula=formula,
            programme=programme,
            budget=_int(data.get("budget")),
            target_kelurahan=targets,
            survey_year=year,
        )
        if request.method == "POST":
            scenario = services.save_scenario(
                actor=request.user,
                title=data.get("title", ""),
                result=result,
                specification={
                    "rule": result["rule"],
                    "formula": result["formula"],
                    "budget": result["budget"],
                    "target_kelurahan": result["target_kelurahan"],
                    "survey_year": result["survey_year"],
                    "programme": programme.name if programme else None,
                },
                programme=programme,
            )
            return redirect("evaluation:scenario", pk=scenario.pk)
    except Refused as exc:
        context["error"] = exc.message
        return render(request, "evaluation/simulate.html", context, status=400)
    columns = [(_("Scenario"), result)]
    if result.get("status_quo"):
        columns.insert(0, (_("Status quo"), result["status_quo"]))
    context.update(result=result, table=_table(columns), chart=plots.scenarios(columns))
    return render(request, "evaluation/simulate.html", context)


def _table(columns: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    labels = _labels()
    return {
        "heads": [title for title, _r in columns],
        "rows": [(labels[key], kind, [r.get(key) for _t, r in columns]) for key, kind in FIGURES],
    }


def _scenario(request: AuthenticatedRequest, pk: int) -> Scenario:
    return get_object_or_404(selectors.scenarios_for(request.user), pk=pk)


@require(selectors.VIEW, post=selectors.PROMOTE)
def scenario(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    s = _scenario(request, pk)
    context: dict[str, Any] = {
        "s": s,
        "can_promote": request.user.can(selectors.PROMOTE),
        "fields": services.PROMOTABLE,
    }
    if request.method == "POST":
        try:
            services.promote_scenario(
                scenario=s,
                field=request.POST.get("field", ""),
                reason=request.POST.get("reason", ""),
                actor=request.user,
            )
        except Refused as exc:
            context["error"] = exc.message
        else:
            return redirect("evaluation:scenario", pk=s.pk)
    columns = [(s.title, s.result)]
    if s.status_quo:
        columns.insert(0, (_("Status quo"), s.status_quo))
    context.update(table=_table(columns), chart=plots.scenarios(columns))
    return render(request, "evaluation/scenario.html", context, status=400 if "error" in context else 200)


@require(selectors.VIEW)
def compare(request: AuthenticatedRequest) -> HttpResponse:
    ids = [int(i) for i in request.GET.getlist("id") if i.isdigit()]
    if len(ids) > MAX_COMPARED:
        raise Refused(_("Compare at most four scenarios."), code="invalid")
    chosen = list(selectors.scenarios_for(request.user).filter(pk__in=ids))
    if not chosen:
        raise Http404
    columns = [(s.title, s.result) for s in chosen]
    return render(
        request,
        "evaluation/compare.html",
        {"scenarios": chosen, "table": _table(columns), "chart": plots.scenarios(columns)},
    )


@require(selectors.VIEW, post=selectors.RUN)
def from_system(request: AuthenticatedRequest) -> HttpResponse:
    """An evaluation over the system's own data: the treated households are a programme's beneficiaries,
    the outcome a registry variable at two dates or consumption in two survey rounds, the covariates
    registry fields. It runs as a background job (its page shows the progress and links the result)."""
    from entas.core import jobqueue
    from entas.monitoring.models import SurveyRound
    from entas.programs.models import Programme

    from . import datasets
    from .jobs import FROM_SYSTEM_KIND

    spec: dict[str, Any] = {}
    context: dict[str, Any] = {
        "programmes": Programme.objects.order_by("name"),
        "outcomes": datasets.outcome_choices(request.user),
        "covariate_names": datasets.covariate_names(),
        "survey_years": sorted(set(SurveyRound.objects.values_list("year", flat=True))),
        "spec": spec,
    }
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        survey = outcome == datasets.SURVEY
        spec.update(
            {
                "title": request.POST.get("title", "").strip()[:200],
                "method": request.POST.get("method", "did"),
                "programme": _whole(request.POST.get("programme")),
                "cycle": _whole(request.POST.get("cycle")),
                "outcome": outcome,
                "first": request.POST.get("first_year" if survey else "first_date", "").strip(),
                "second": request.POST.get("second_year" if survey else "second_date", "").strip(),
                "covariates": [c for c in request.POST.getlist("covariates") if c in context["covariate_names"]],
                "cluster": "cluster" in request.POST,
                "psm_method": "ipw" if request.POST.get("psm_method") == "ipw" else "nn",
            }
        )
        problems = []
        if not spec["title"]:
            problems.append(_("Give the evaluation a title."))
        if spec["method"] not in {"did", "psm", "before_after"}:
            problems.append(_("From the system's data: did, psm or before_after."))
        campaign = outcome.startswith(datasets.CAMPAIGN_PREFIX)
        if not Programme.objects.filter(pk=spec["programme"]).exists() and not (campaign and not spec["programme"]):
            problems.append(_("Choose a programme."))
        if outcome not in {value for value, _label in context["outcomes"]}:
            problems.append(
                _("The outcome is “survey”, a registry variable, a training tracer measure or a campaign follow-up.")
            )
        if not spec["first"] or not spec["second"]:
            problems.append(_("Give both dates (or both survey years)."))
        if spec["method"] == "psm" and not spec["covariates"]:
            problems.append(_("Matching needs covariates."))
        if problems:
            context["errors"] = problems
            return render(request, "evaluation/from_system.html", context, status=400)
        job = jobqueue.submit(kind=FROM_SYSTEM_KIND, params=spec, actor=request.user)
        messages.info(request, _("The evaluation runs in the background; this page shows its progress."))
        return redirect("jobs:detail", pk=job.pk)
    return render(request, "evaluation/from_system.html", context)


def _whole(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None
