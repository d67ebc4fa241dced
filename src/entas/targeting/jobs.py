"""Background jobs of the PMT page: fitting a model on a survey round and scoring the registry."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.core.errors import Refused
from entas.core.jobqueue import JobContext, job_kind
from entas.monitoring.models import SurveyRound

from . import selectors, services
from .models import PmtModel

# One scoring at a time: a scoring replaces scores every page reads. A fit writes only a new model.
SCORES_LOCK = "targeting.scores"


def _fit_lock(params: dict[str, Any], actor: Any) -> list[str]:
    return [f"targeting.fit.{params.get('survey') or 0}.{params.get('kind') or ''}"]


def _score_lock(params: dict[str, Any], actor: Any) -> list[str]:
    return [SCORES_LOCK]


def _may_run(actor: Any) -> None:
    if actor is None or not selectors.can_run_pmt(actor):
        raise Refused(_("Your role does not allow PMT work."), code="forbidden")


@job_kind("targeting.fit", gettext_lazy("Fit a PMT model on a survey round"), locks=_fit_lock)
def fit_job(ctx: JobContext) -> dict[str, Any]:
    _may_run(ctx.actor)
    survey = SurveyRound.objects.filter(pk=int(ctx.params.get("survey") or 0)).first()
    if survey is None:
        raise Refused(_("No such survey round."), code="not_found")
    kind = str(ctx.params.get("kind") or "wls")
    if kind not in PmtModel.Kind.values:
        raise Refused(_("Unknown model kind %(kind)r: use wls or gbm.") % {"kind": kind}, code="invalid")
    line = int(ctx.params.get("line") or 0)
    if line <= 0:
        raise Refused(_("Give the poverty line for the error figures."), code="invalid")
    ctx.set_total(2)
    ctx.log(_("Fitting a %(kind)s model on %(survey)s…") % {"kind": kind, "survey": survey})
    ctx.advance()
    model = services.fit_model(survey=survey, kind=kind, line=line, actor=ctx.actor)
    ctx.advance()
    cv = model.metrics["cross_validated"]
    ctx.log(_("PMT v%(version)d: out-of-sample R² %(r2).3f.") % {"version": model.version, "r2": cv["r2"]})
    return {"version": model.version, "kind": model.kind, "r2_out_of_sample": cv["r2"]}


@job_kind("targeting.score", gettext_lazy("Score the registry with a PMT model"), locks=_score_lock)
def score_job(ctx: JobContext) -> dict[str, Any]:
    _may_run(ctx.actor)
    model = PmtModel.objects.filter(pk=int(ctx.params.get("model") or 0)).first()
    if model is None:
        raise Refused(_("No such PMT model."), code="not_found")
    ctx.set_total(2)
    ctx.log(_("Scoring the registry with PMT v%(version)d…") % {"version": model.version})
    ctx.advance()
    summary = services.score_registry(model=model, actor=ctx.actor)
    ctx.advance()
    ctx.log(_("%(n)d households scored.") % {"n": summary["households"]})
    return {"version": model.version, **summary}
