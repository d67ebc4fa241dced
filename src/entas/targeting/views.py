from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core.charts import VEGA_LITE_SCHEMA
from entas.core.decorators import AuthenticatedRequest
from entas.monitoring import selectors as monitoring

from . import services
from .models import EligibilityRule


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
    except services.TargetingError as exc:
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
            "tooltip": [{"field": "decile"}, {"field": "share", "format": ".1f"}],
        },
    }
    return render(request, "targeting/report.html", context)
