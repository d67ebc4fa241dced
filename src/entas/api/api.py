"""The entas REST API (OpenAPI at /api/docs). A browser uses its session (with CSRF), a machine
client an API token (``Authorization: Bearer entas_…``, see :mod:`entas.accounts.api`); every
endpoint reads through the same area-scoped selectors and writes through the same services as the
pages. Each mounted router belongs to a scope family (``registry``, ``programmes``…) that a token's
scopes must cover.

Every error answers one object, ``{"code": …, "message": …, "field": …, "issues": [{"field": …,
"message": …}]}`` (``field``: the first issue's field, or null):
a service's refusal (:class:`~entas.core.errors.Refused`) with its code and status, and the API's
own errors (not signed in, not found, invalid input) in the same shape. Messages come in the
caller's language.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from entas.accounts import scopes
from entas.accounts.api import signed_in
from entas.core import busy
from entas.core.api import router as jobs_router
from entas.core.errors import Refused
from entas.dedup.api import router as dedup_router
from entas.enterprise.api import router as enterprise_router
from entas.evaluation.api import router as evaluation_router
from entas.monitoring.api import router as monitoring_router
from entas.outreach.api import results_router as outreach_results_router
from entas.outreach.api import router as outreach_router
from entas.participation.api import forums_router as participation_forums_router
from entas.participation.api import own_router as participation_own_router
from entas.participation.api import partners_router as participation_partners_router
from entas.participation.api import proposals_router as participation_proposals_router
from entas.payees.api import router as payees_router
from entas.policy.api import benefits_router as policy_benefits_router
from entas.policy.api import router as policy_router
from entas.portal.api import router as portal_router
from entas.programs.api import cycles_router
from entas.programs.api import router as programmes_router
from entas.programs.api import shock_router as programmes_shock_router
from entas.regions.api import router as regions_router
from entas.registry.api import changes_router as registry_changes_router
from entas.registry.api import router as registry_router
from entas.registry.api import whole_router as registry_whole_router
from entas.reports.api import router as reports_router
from entas.targeting.api import router as targeting_router
from entas.training.api import outcomes_router as training_outcomes_router
from entas.training.api import router as training_router


class ObjectBodyParser(Parser):
    """JSON bodies are objects: a list, a string or a number is refused (400) instead of being read
    as if the object's fields were all left out."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("The request body must be a JSON object.")
        return data


class EntasAPI(NinjaAPI):
    """The API, whose schema documents the error object on every operation (so that a client, and
    schemathesis, know every status an operation may answer)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = ERROR_SCHEMA
        reference = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                # Ninja keys the statuses it documents by int, these by str: one key per status, or
                # the JSON holds "409" twice (Swagger UI refuses a duplicated key).
                responses = {str(k): v for k, v in operation.get("responses", {}).items()}
                operation["responses"] = responses
                for status, description in ERROR_RESPONSES.items():
                    responses.setdefault(str(status), {"description": description, **reference})
                if operation.get("security"):
                    responses.setdefault("401", {"description": ERROR_RESPONSES[401], **reference})
                if "requestBody" in operation:
                    responses.setdefault("409", {"description": "Conflict", **reference})
        return schema


ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "Stable: invalid, unauthenticated, forbidden, not_found, too_many…"},
        "message": {"type": "string", "description": "For a person, in the caller's language."},
        "field": {"type": ["string", "null"], "description": "The field the error is about, if one."},
        "issues": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["code", "message", "field", "issues"],
}
ERROR_RESPONSES = {
    400: "Refused by a rule (a service's refusal), or a value that cannot be used (an unknown cursor)",
    401: "Not signed in, or the token is unknown, expired or revoked",
    403: "The role, the areas or the token's scopes do not allow this",
    404: "Not found (or outside the caller's areas)",
    422: "The request is not valid",
    429: "Too many requests with this token (see Retry-After)",
    503: "The database is busy for a moment (see Retry-After)",
}

# The schema and its Swagger UI (served from ninja's own static files) are for logged-in users only.
api = EntasAPI(
    title="entas API",
    version="1",
    urls_namespace="api",
    auth=signed_in(),
    docs_decorator=login_required,
    parser=ObjectBodyParser(),
)


def mount(prefix: str, router: Router, family: str) -> None:
    """Add ``router`` under ``prefix``; tokens need a scope of ``family`` to use it."""
    api.add_router(prefix, router)
    scopes.register(prefix, family)


mount("/v1/regions", regions_router, "regions")
mount("/v1/households", registry_router, "registry")
mount("/v1/households", payees_router, "registry")  # /v1/households/{id}/account
mount("/v1/change-requests", registry_changes_router, "registry")
mount("/v1/registry", registry_whole_router, "registry")  # ratification, import and export files
mount("/v1/jobs", jobs_router, "jobs")
mount("/v1/targeting", targeting_router, "targeting")
mount("/v1/programmes", programmes_router, "programmes")
mount("/v1/cycles", cycles_router, "programmes")
mount("/v1/shock-flags", programmes_shock_router, "programmes")  # households affected by a shock
mount("/v1/duplicates", dedup_router, "dedup")
mount("/v1/enterprise", enterprise_router, "enterprise")
mount("/v1/policy", policy_router, "policy")
mount("/v1/benefits", policy_benefits_router, "registry")  # a household's benefits
mount("/v1/training/cohorts", training_router, "training")
mount("/v1/training/outcomes", training_outcomes_router, "training")
mount("/v1/monitoring", monitoring_router, "indicators")
mount("/v1/evaluation", evaluation_router, "evaluation")
mount("/v1/outreach/campaigns", outreach_router, "outreach")
mount("/v1/outreach/results", outreach_results_router, "outreach")
mount("/v1/participation/forums", participation_forums_router, "participation")
mount("/v1/participation/proposals", participation_proposals_router, "participation")
mount("/v1/participation/partners", participation_partners_router, "participation")
mount("/v1/participation/own-contributions", participation_own_router, "participation")
mount("/v1/portal/cases", portal_router, "portal")
mount("/v1/reports", reports_router, "reports")

# The codes of the API's own errors, by HTTP status.
_CODES = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 429: "too_many"}


def _error(request: HttpRequest, status: int, code: str, message: str, issues: list[dict[str, str]]) -> HttpResponse:
    field = next((i["field"] for i in issues if i.get("field")), None)
    body = {"code": code, "message": message, "field": field, "issues": issues}
    return api.create_response(request, body, status=status)


@api.exception_handler(Refused)
def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    body = exc.as_dict()
    response = _error(request, exc.status, body["code"], body["message"], body["issues"])
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(DatabaseError)
def database_busy(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    """A database busy for a moment: 503 with code ``busy`` and Retry-After; any other database error
    goes on to Django (the server log and a 500)."""
    if not busy.is_busy(exc):
        raise exc
    return busy.busy_response(request)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("Sign in first, or send a valid API token."), [])


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    messages = {403: _("Your role does not allow this."), 404: _("Not found.")}
    message = messages.get(exc.status_code, str(exc))
    return _error(request, exc.status_code, _CODES.get(exc.status_code, "error"), message, [])


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."), [])


def _field(loc: Any) -> str:
    """The field of a validation error's location: without where it came from (``body``, ``query``,
    ``path``, a multipart ``form`` or ``file``) nor the name of a JSON body's parameter (``body``)."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "form", "file"}:
        parts = parts[1:]
    return ".".join(str(p) for p in parts if p != "body")


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Input that does not match the schema: 422 with an issue per field. A value that matches the
    schema but cannot be used (an unknown pagination cursor: ``{"cursor": "…"}``) answers 400."""
    if exc.errors and all(isinstance(e, dict) and "loc" not in e for e in exc.errors):
        issues = [{"field": str(k), "message": str(v)} for e in exc.errors for k, v in e.items()]
        return _error(request, 400, "invalid", _("The request is not valid."), issues)
    issues = [
        {
            "field": _field(error.get("loc", ())),
            "message": error.get("msg", ""),
        }
        for error in exc.errors
    ]
    return _error(request, 422, "invalid", _("The request is not valid."), issues)
