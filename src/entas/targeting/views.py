from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core.charts import VEGA_LITE_SCHEMA
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused
from entas.monitoring import selectors as monitoring
from entas.registry.selectors import households_for

from . import services
from .forms import OverrideForm
from .models import CommunityOverride, EligibilityRule


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
    decisions = (
        CommunityOverride.objects.filter(household__in=households_for(request.user))
        .select_related("rule", "household__kelurahan", "recorded_by")
        .order_by("-recorded_at", "-pk")
    )
    page = Paginator(decisions, 50).get_page(request.GET.get("page"))
    has_rules = EligibilityRule.objects.exists()
    return render(request, "targeting/overrides.html", {"form": form, "page": page, "has_rules": has_rules})
