from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core import jobqueue
from entas.core.charts import VEGA_LITE_SCHEMA
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused, show_on_form
from entas.core.money import format_rupiah
from entas.monitoring import selectors as monitoring
from entas.regions.models import Region

from . import rules as rule_language
from . import selectors, services, words
from .forms import FitForm, OverrideForm, RuleForm
from .models import EligibilityRule
from .rules import RuleError


def targeting_report(request: AuthenticatedRequest) -> HttpResponse:
    """Error rates, coverage of the poor and benefit incidence of a rule's list (city-wide figures)."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if not (request.user.can(Capability.VIEW_ANALYTICS) or request.user.can(Capability.MANAGE_PROGRAMMES)):
        raise PermissionDenied
    rules = list(EligibilityRule.objects.all())
    context: dict[str, Any] = {"rules": rules, "errors": []}
    chosen = request.GET.get("rule", "")
    rule = next((r for r in rules if str(r.pk) == chosen), rules[0] if rules else None)
    context["rule"] = rule
    line = monitoring.poverty_line("national")
    if rule is None or line is None:
        return render(request, "targeting/report.html", context)
    context["rule_words"] = words.describe(rule.expression)
    if selectors.model_in_use() is None and _uses_pmt(rule.expression):
        # Without scores every household's desil is missing: the list would be empty and the report
        # an exclusion error of 1.000 over an empty chart. Say what is missing and where to do it.
        context["no_model"] = True
        return render(request, "targeting/report.html", context)
    try:
        report = services.targeting_report(rule=rule, line=line.rupiah_per_capita_month)
    except Refused as exc:
        context["errors"].append(str(exc))
        return render(request, "targeting/report.html", context)
    context["report"] = report
    context["incidence_spec"] = {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": 240,
        "data": {"values": [{"decile": d + 1, "share": 100 * s} for d, s in enumerate(report["incidence_by_decile"])]},
        "mark": {"type": "bar", "color": "#1f5fa8"},
        "encoding": {
            "x": {"field": "decile", "type": "ordinal", "title": _("Decile of actual consumption (1 = poorest)")},
            "y": {"field": "share", "type": "quantitative", "title": _("Share of benefits (%)")},
            "tooltip": [
                {"field": "decile", "title": _("Decile")},
                {"field": "share", "title": _("Share of benefits (%)"), "format": ".1f"},
            ],
        },
    }
    return render(request, "targeting/report.html", context)


def _uses_pmt(expression: str) -> bool:
    """Whether a rule reads the PMT's desil or predicted consumption."""
    try:
        return bool(rule_language.compile_rule(expression).fields & {"desil", "predicted_consumption"})
    except RuleError:
        return False


@require(Capability.CHANGE_REGISTRY)
def overrides(request: AuthenticatedRequest) -> HttpResponse:
    """Record the musyawarah kelurahan's additions to and removals from a rule's list, and list the
    decisions already recorded for the households the user may see (newest first)."""
    form = OverrideForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        assert form.household is not None
        try:
            services.record_override(
                actor=request.user,
                rule=data["rule"],
                household=form.household,
                action=data["action"],
                reason=data["reason"],
                berita_acara=data["berita_acara"],
                decided_on=data["decided_on"],
            )
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("The decision on KK %(kk)s for “%(rule)s” was recorded.")
                % {"kk": data["kk_number"], "rule": data["rule"].name},
            )
            return redirect("targeting:overrides")
    from . import overrides as decided

    decisions = decided.source().listing(request.user)
    page = Paginator(decisions, 50).get_page(request.GET.get("page"))
    has_rules = EligibilityRule.objects.exists()
    return render(request, "targeting/overrides.html", {"form": form, "page": page, "has_rules": has_rules})


# -- eligibility rules: list, editor with a live preview, history of versions -------------------------


@require(selectors.RULE_VIEW)
def rules(request: AuthenticatedRequest) -> HttpResponse:
    """The saved eligibility rules, each in words beside its code, with its benefit and versions."""
    context = {
        "rules": selectors.rules_for(request.user),
        "can_write": selectors.can_write_rules(request.user),
        "model": selectors.model_in_use(),
    }
    return render(request, "targeting/rules.html", context)


def _rule_context(request: AuthenticatedRequest, form: RuleForm, rule: EligibilityRule | None) -> dict[str, Any]:
    return {
        "form": form,
        "rule": rule,
        "versions": selectors.versions_of(request.user, rule) if rule else [],
        "can_write": selectors.can_write_rules(request.user),
        "household_fields": [(n, words.LABELS[n], k) for n, (k, _m) in rule_language.HOUSEHOLD_FIELDS.items()],
        "member_fields": [(n, words.LABELS[n], k) for n, (k, _m) in rule_language.MEMBER_FIELDS.items()],
        "examples": [(e, words.describe(e)) for e in EXAMPLES],
        "model": selectors.model_in_use(),
    }


EXAMPLES = [
    "desil <= 4 and count(members, age < 18 and not in_school) >= 1",
    "dtsen_desil in [1, 2] or (size >= 5 and not has_car)",
    "any(members, head and female) and desil <= 4",
    "any(members, disabled) and not receives_pkh",
    "floor_area_per_person < 8 and not (has_car or has_ac)",
]


@require(selectors.RULE_VIEW, post=selectors.RULE_WRITE)
def rule_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    """Write a rule (new, or a new version of a saved one) with field help, examples, live validation
    and a preview that follows the typing (rule-editor.js over rule_preview); saving adds a version."""
    rule = None
    if pk is not None:
        rule = selectors.rules_for(request.user).filter(pk=pk).first()
        if rule is None:
            raise Http404(_("No such rule."))
    initial: dict[str, Any] = {"benefit": 0}
    if rule is not None:
        initial = {"name": rule.name, **_terms(rule)}
    version = request.GET.get("version", "")
    if rule and version.isdigit():  # start from an older version
        old = rule.versions.filter(number=int(version)).first()
        if old is not None:
            initial.update(_terms(old))
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if rule is None and EligibilityRule.objects.filter(name=data["name"].strip()).exists():
            # A new rule never silently becomes a version of another one with the same name.
            form.add_error("name", _("Another rule has this name."))
        if form.is_valid():
            try:
                saved = services.save_rule(
                    actor=request.user,
                    name=data["name"] if rule is None else rule.name,
                    expression=data["expression"],
                    benefit=data["benefit"],
                    budget=data["budget"],
                    quota=data["quota"],
                    note=data["note"] or "",
                )
            except Refused as exc:
                show_on_form(form, exc)
            else:
                latest = saved.versions.order_by("-number").first()
                messages.success(
                    request,
                    _("“%(name)s” saved as version %(n)d.") % {"name": saved.name, "n": latest.number if latest else 1},
                )
                return redirect("targeting:rule", pk=saved.pk)
    return render(request, "targeting/rule_edit.html", _rule_context(request, form, rule))


def _terms(rule: Any) -> dict[str, Any]:
    """What a rule or one of its versions says: expression, benefit, budget, quota."""
    return {"expression": rule.expression, "benefit": rule.benefit, "budget": rule.budget, "quota": rule.quota}


def _int(value: str) -> int | None:
    value = (value or "").strip().replace(".", "").replace(" ", "")
    return int(value) if value.isdigit() else None


@require(selectors.RULE_VIEW)
def rule_preview(request: AuthenticatedRequest) -> JsonResponse:
    """The live preview as JSON: the rule in words, or its error and column; households and people by
    kelurahan, the cost, and the targeting errors on the latest survey round (aggregates only)."""
    started = time.perf_counter()
    expression = request.GET.get("expression", "")
    benefit = _int(request.GET.get("benefit", "")) or 0
    budget = _int(request.GET.get("budget", ""))
    quota = _int(request.GET.get("quota", ""))
    # Aggregates only: an analyst (city-wide analytics) previews on the whole city, anyone else on their areas.
    city_wide = request.user.is_city_wide or request.user.can(Capability.VIEW_ANALYTICS)
    try:
        result = services.preview(
            expression=expression,
            benefit=benefit,
            budget=budget or None,
            quota=quota or None,
            user=None if city_wide else request.user,
        )
    except RuleError as exc:
        return JsonResponse({"ok": False, "message": exc.message, "column": exc.column, "text": str(exc)})
    except Refused as exc:
        return JsonResponse({"ok": False, "message": str(exc), "column": None, "text": str(exc)})
    codes = [row["area"] for row in result["by_kelurahan"]]
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    rows = [
        {
            "code": row["area"],
            "name": names.get(row["area"], row["area"]),
            "households": row["selected_households"],
            "people": row["selected_people"],
            "cost": format_rupiah(row["selected_households"] * benefit),
        }
        for row in result["by_kelurahan"]
        if row["eligible_households"] or row["selected_households"]
    ]
    errors = None
    survey = monitoring.latest_survey()
    line = monitoring.poverty_line("national", survey.year) if survey else None
    if survey is not None and line is not None and city_wide:
        try:
            errors = services.survey_errors(
                household_ids=result["_household_ids"],
                selected=result["_selection"].selected,
                survey=survey,
                line=line.rupiah_per_capita_month,
            )
            errors["line_text"] = format_rupiah(errors["line"])
        except Refused:
            errors = None
    model = result["model_version"]
    return JsonResponse(
        {
            "ok": True,
            "words": words.describe(expression),
            "households": result["households"],
            "eligible_households": result["eligible_households"],
            "selected_households": result["selected_households"],
            "selected_people": result["selected_people"],
            "cost": format_rupiah(result["cost_per_month"]),
            "by_kelurahan": rows,
            "errors": errors,
            "model_version": model,
            "no_model": model is None and "desil" in expression,
            "milliseconds": round(1000 * (time.perf_counter() - started)),
        }
    )


# -- proxy-means models: list and compare, fit, choose, score --------------------------------------------


@require(selectors.PMT_VIEW, post=(Capability.RUN_JOBS,))
def pmt_models(request: AuthenticatedRequest) -> HttpResponse:
    """The fitted models side by side (out-of-sample R², errors at the poverty line and at the poorest
    40 %), which one the city uses, and the three steps: fit (a job), choose (audited), score (a job)."""
    can_run = selectors.can_run_pmt(request.user)
    survey = monitoring.latest_survey()
    line = monitoring.poverty_line("national", survey.year if survey else None)
    form = FitForm(
        request.POST if request.POST.get("action") == "fit" else None,
        initial={"survey": survey, "kind": "wls", "line": line.rupiah_per_capita_month if line else None},
    )
    if request.method == "POST":
        if not can_run:
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "fit" and form.is_valid():
            data = form.cleaned_data
            job = jobqueue.submit(
                kind="targeting.fit",
                params={"survey": data["survey"].pk, "kind": data["kind"], "line": data["line"]},
                actor=request.user,
            )
            messages.info(request, _("The model is being fitted in the background; this page shows its progress."))
            return redirect("jobs:detail", pk=job.pk)
        if action in {"choose", "score"}:
            model = selectors.models_for(request.user).filter(pk=_int(request.POST.get("model", "")) or 0).first()
            if model is None:
                raise Http404(_("No such PMT model."))
            if action == "choose":
                services.choose_model(model=model, actor=request.user)
                messages.success(request, _("PMT v%(v)d is now the city's model.") % {"v": model.version})
                return redirect("targeting:pmt")
            job = jobqueue.submit(kind="targeting.score", params={"model": model.pk}, actor=request.user)
            messages.info(request, _("The registry is being scored in the background; this page shows its progress."))
            return redirect("jobs:detail", pk=job.pk)
    models = list(selectors.models_for(request.user))
    context = {
        "models": models,
        "form": form,
        "can_run": can_run,
        "survey": survey,
        "line": line,
        "in_use": selectors.model_in_use(),
        "chosen": next((m for m in models if m.chosen_at), None),
    }
    return render(request, "targeting/pmt.html", context)
