"""Eligibility rules and their previews over the API: the same selectors, services and roles as the
rule editor. A preview answers aggregates only (households and people by kelurahan, and the cost): an
analyst previews on the whole city, anyone else on their own areas, exactly as on the page."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.core import audit, jobqueue
from entas.core.errors import Refused, from_form
from entas.monitoring import selectors as monitoring
from entas.monitoring.models import SurveyRound

from . import overrides as decided
from . import selectors, services
from .forms import FitForm, OverrideForm
from .models import PmtModel

router = Router(tags=["targeting"], auth=RoleAuth(selectors.RULE_VIEW, (selectors.RULE_WRITE,)))


class RuleOut(Schema):
    id: int
    name: str
    expression: str
    benefit: int
    budget: int | None
    quota: int | None
    versions: int
    updated_at: dt.datetime


class RuleIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    expression: str = Field(..., description="In the rule language (docs/targeting.md).")
    benefit: int = Field(0, ge=0, description="Rupiah per household per month.")
    budget: int | None = Field(None, ge=0, description="A cap on the monthly cost (Rp).")
    quota: int | None = Field(None, ge=0, description="A cap on the households chosen.")
    note: str = ""


class PreviewIn(Schema):
    expression: str
    benefit: int = Field(0, ge=0)
    budget: int | None = Field(None, ge=0)
    quota: int | None = Field(None, ge=0)


class PreviewOut(Schema):
    rule: str
    model_version: int | None
    households: int
    eligible_households: int
    selected_households: int
    selected_people: int
    cost_per_month: int
    by_source: dict[str, int]
    by_kelurahan: list[dict[str, Any]]


def _out(rule: Any) -> RuleOut:
    return RuleOut(
        id=rule.pk,
        name=rule.name,
        expression=rule.expression,
        benefit=rule.benefit,
        budget=rule.budget,
        quota=rule.quota,
        versions=getattr(rule, "version_count", 0),
        updated_at=rule.updated_at,
    )


@router.get("/rules", response=list[RuleOut])
def list_rules(request: HttpRequest) -> list[RuleOut]:
    """The saved rules, by name (a handful: not paginated)."""
    return [_out(r) for r in selectors.rules_for(request.user)]  # type: ignore[arg-type]


@router.post("/rules", response=RuleOut)
def save_rule(request: HttpRequest, body: RuleIn) -> RuleOut:
    """Create a rule, or save a new version of the rule of that name; an invalid expression is refused
    (code ``invalid_rule``, field ``expression``, the column in the message) and nothing is written."""
    rule = services.save_rule(
        actor=request.user,  # type: ignore[arg-type]
        name=body.name,
        expression=body.expression,
        benefit=body.benefit,
        budget=body.budget,
        quota=body.quota,
        note=body.note,
    )
    counted = selectors.rules_for(request.user).get(pk=rule.pk)  # type: ignore[arg-type]
    return _out(counted)


@router.get("/preview", response=PreviewOut)
def preview(request: HttpRequest, body: Query[PreviewIn]) -> PreviewOut:
    """Who a rule would choose, by kelurahan, and at what cost (aggregates only; nothing is saved)."""
    user = request.user
    assert isinstance(user, User)
    city_wide = user.is_city_wide or user.can(Capability.VIEW_ANALYTICS)
    result = services.preview(
        expression=body.expression,
        benefit=body.benefit,
        budget=body.budget or None,
        quota=body.quota or None,
        user=None if city_wide else user,
    )
    return PreviewOut(**{k: v for k, v in result.items() if not k.startswith("_")})


# -- proxy-means models: list and compare, fit (a job), choose, score (a job) -------------------------
# The PMT page's roles: the TKPK analyst reads the models (analytics) and runs the steps (also jobs).
PMT = RoleAuth(selectors.PMT_VIEW, (Capability.RUN_JOBS,))


class PmtModelOut(Schema):
    id: int
    version: int
    kind: str
    survey_id: int
    survey: str
    poverty_line: int
    variables: list[str] = Field(..., description="The design's variables.")
    metrics: dict[str, Any] = Field(..., description="Cross-validated: r2, errors at the line and the poorest 40 %.")
    fitted_by: str | None
    fitted_at: dt.datetime
    chosen: bool = Field(..., description="The model the analyst chose for the city.")
    chosen_at: dt.datetime | None
    scored: bool = Field(..., description="Whether it has scored the registry.")
    in_use: bool = Field(..., description="Its scores give every page's desil (the chosen one once scored).")


def _model_out(model: PmtModel, in_use: PmtModel | None) -> PmtModelOut:
    design = model.design if isinstance(model.design, list) else list(model.design or [])
    return PmtModelOut(
        id=model.pk,
        version=model.version,
        kind=model.kind,
        survey_id=model.survey_id,
        survey=str(model.survey),
        poverty_line=model.poverty_line,
        variables=[str(v) for v in design],
        metrics=model.metrics or {},
        fitted_by=model.fitted_by.username if model.fitted_by else None,
        fitted_at=model.fitted_at,
        chosen=model.chosen_at is not None,
        chosen_at=model.chosen_at,
        scored=bool(getattr(model, "scored", False)),
        in_use=in_use is not None and in_use.pk == model.pk,
    )


def _runner(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # RoleAuth let only signed-in users through
    if not selectors.can_run_pmt(user):
        raise Refused(_("Your role does not allow PMT work."), code="forbidden")
    return user


@router.get("/pmt/models", response=list[PmtModelOut], auth=PMT, url_name="targeting_pmt_models")
def list_models(request: HttpRequest) -> list[PmtModelOut]:
    """The fitted models, newest first, side by side: their cross-validated quality, which one is
    chosen and which one the city uses (a handful: not paginated)."""
    in_use = selectors.model_in_use()
    return [_model_out(m, in_use) for m in selectors.models_for(request.user)]  # type: ignore[arg-type]


class FitIn(Schema):
    survey: int = Field(..., description="The survey round's id (GET /v1/monitoring/surveys).")
    # Not PmtModel.Kind: the schema would name it "Kind", as it names the change requests' kinds.
    kind: Literal["wls", "gbm"] = Field("wls", description="wls: weighted least squares; gbm: gradient boosting.")
    line: int | None = Field(
        None,
        ge=1,
        description="The poverty line for the error figures (Rp per capita per month); default the "
        "national line of the survey's year.",
    )


class PmtJobOut(Schema):
    job: int
    kind: str


@router.post("/pmt/fit", response={202: PmtJobOut}, auth=PMT, url_name="targeting_pmt_fit")
def fit(request: HttpRequest, body: FitIn) -> Status[PmtJobOut]:
    """Fit a new model on a survey round as a background job (the PMT page's form and job); the new
    model appears in the list when the job has succeeded. A fit of the same survey and kind under way: 409."""
    user = _runner(request)
    line = body.line
    if line is None:  # the page's default: the national line of the survey's year
        survey = SurveyRound.objects.filter(pk=body.survey).first()
        national = monitoring.poverty_line("national", survey.year) if survey is not None else None
        line = national.rupiah_per_capita_month if national else None
    form = FitForm({"survey": body.survey, "kind": body.kind, "line": line})
    if not form.is_valid():
        raise from_form(form)
    data = form.cleaned_data
    job = jobqueue.submit(
        kind="targeting.fit",
        params={"survey": data["survey"].pk, "kind": data["kind"], "line": data["line"]},
        actor=user,
    )
    return Status(202, PmtJobOut(job=job.pk, kind=job.kind))


def _model(request: HttpRequest, model_id: int) -> PmtModel:
    model = selectors.models_for(request.user).filter(pk=model_id).first()  # type: ignore[arg-type]
    if model is None:
        raise Http404
    return model


@router.post("/pmt/models/{model_id}/choose", response=PmtModelOut, auth=PMT, url_name="targeting_pmt_choose")
def choose(request: HttpRequest, model_id: int) -> PmtModelOut:
    """Make a model the city's PMT (one at a time; audited as ``targeting.choose_model``). Its scores give
    every page's desil once it has scored the registry (``POST …/score``)."""
    user = _runner(request)
    services.choose_model(model=_model(request, model_id), actor=user)
    model = _model(request, model_id)
    return _model_out(model, selectors.model_in_use())


@router.post("/pmt/models/{model_id}/score", response={202: PmtJobOut}, auth=PMT, url_name="targeting_pmt_score")
def score(request: HttpRequest, model_id: int) -> Status[PmtJobOut]:
    """Score the city's registry with a model as a background job (the PMT page's job; one scoring at a
    time: another under way answers 409)."""
    user = _runner(request)
    job = jobqueue.submit(kind="targeting.score", params={"model": _model(request, model_id).pk}, actor=user)
    return Status(202, PmtJobOut(job=job.pk, kind=job.kind))


# -- the musyawarah's overrides of a rule's list ---------------------------------------------------------
# The overrides page's role: who changes the registry in a kelurahan records its forum's decisions.
OVERRIDES = RoleAuth((Capability.CHANGE_REGISTRY,))


class OverrideOut(Schema):
    id: int
    rule_id: int
    rule: str = Field(..., alias="rule.name")
    household_id: int
    kk_number: str = Field(..., alias="household.kk_number")
    kelurahan_code: str = Field(..., alias="household.kelurahan.code")
    action: str = Field(..., description="add (to the rule's list) or remove (from it).")
    reason: str
    berita_acara: str
    decided_on: dt.date
    recorded_by: str = Field(..., alias="recorded_by.username")
    recorded_at: dt.datetime


def _audit_token_read(request: HttpRequest) -> None:
    """A token's read of households' decisions is audited like a page view of personal data (the
    ``targeting`` family is otherwise aggregates, so its reads are not audited as a family)."""
    token = getattr(request, "api_token", None)
    if token is not None:
        query = request.META.get("QUERY_STRING", "")
        audit.record(
            actor=request.user,  # type: ignore[arg-type]
            action="api.read",
            object_type="api",
            object_repr=(request.path + ("?" + query if query else ""))[:200],
            note=f"token {token.prefix}",
        )


@router.get("/overrides", response=list[OverrideOut], auth=OVERRIDES, url_name="targeting_overrides")
@paginate(CursorPagination, ordering=("-pk",), page_size=100)
def list_overrides(request: HttpRequest) -> QuerySet[Any]:
    """The musyawarah's decisions on rules' lists for the households of the caller's areas, newest
    first, a page at a time (follow ``next``). A token's read is audited (``api.read``)."""
    _audit_token_read(request)
    return decided.source().listing(request.user)  # type: ignore[arg-type]


class OverrideIn(Schema):
    rule: int = Field(..., description="The rule's id (GET /v1/targeting/rules).")
    kk_number: str = Field(..., max_length=16)
    action: Literal["add", "remove"] = Field(..., description="add to the rule's list, or remove from it.")
    reason: str = Field(..., max_length=2000)
    berita_acara: str = Field(..., max_length=120, description="The reference of the musyawarah's berita acara.")
    decided_on: dt.date = Field(..., description="The date of the musyawarah (not in the future).")


@router.post("/overrides", response={201: OverrideOut}, auth=OVERRIDES, url_name="targeting_override_record")
def record_override(request: HttpRequest, body: OverrideIn) -> Status[OverrideOut]:
    """Record a musyawarah kelurahan's decision to add a household to a rule's list or remove it (the
    overrides page's form and service; audited). A later forum's decision supersedes an earlier one;
    a KK number outside the caller's areas is refused as unknown (400, field ``kk_number``)."""
    user = request.user
    form = OverrideForm(body.dict(), user=user)
    if not form.is_valid():
        raise from_form(form)
    assert form.household is not None
    data = form.cleaned_data
    decision = services.record_override(
        actor=user,  # type: ignore[arg-type]
        rule=data["rule"],
        household=form.household,
        action=data["action"],
        reason=data["reason"],
        berita_acara=data["berita_acara"],
        decided_on=data["decided_on"],
    )
    return Status(201, decided.source().listing(user).get(pk=decision.pk))  # type: ignore[arg-type]
