"""The entas REST API (OpenAPI at /api/docs). Session authentication with CSRF for now; every
endpoint reads through the same area-scoped selectors and writes through the same services as the
pages.

Every error answers one object, ``{"code": …, "message": …, "issues": [{"field": …, "message": …}]}``:
a service's refusal (:class:`~entas.core.errors.Refused`) with its code and status, and the API's
own errors (not signed in, not found, invalid input) in the same shape. Messages come in the
caller's language.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth

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
from entas.regions.api import router as regions_router
from entas.registry.api import router as registry_router
from entas.training.api import outcomes_router as training_outcomes_router
from entas.training.api import router as training_router

# The schema and its Swagger UI (served from ninja's own static files) are for logged-in users only.
api = NinjaAPI(title="entas API", version="1", urls_namespace="api", auth=django_auth, docs_decorator=login_required)
api.add_router("/v1/regions", regions_router)
api.add_router("/v1/households", registry_router)
api.add_router("/v1/households", payees_router)  # /v1/households/{id}/account
api.add_router("/v1/jobs", jobs_router)
api.add_router("/v1/programmes", programmes_router)
api.add_router("/v1/cycles", cycles_router)
api.add_router("/v1/duplicates", dedup_router)
api.add_router("/v1/enterprise", enterprise_router)
api.add_router("/v1/policy", policy_router)
api.add_router("/v1/benefits", policy_benefits_router)
api.add_router("/v1/training/cohorts", training_router)
api.add_router("/v1/training/outcomes", training_outcomes_router)
api.add_router("/v1/monitoring", monitoring_router)
api.add_router("/v1/evaluation", evaluation_router)
api.add_router("/v1/outreach/campaigns", outreach_router)
api.add_router("/v1/outreach/results", outreach_results_router)
api.add_router("/v1/participation/forums", participation_forums_router)
api.add_router("/v1/participation/proposals", participation_proposals_router)
api.add_router("/v1/participation/partners", participation_partners_router)
api.add_router("/v1/participation/own-contributions", participation_own_router)
api.add_router("/v1/portal/cases", portal_router)

# The codes of the API's own errors, by HTTP status.
_CODES = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 429: "too_many"}


def _error(request: HttpRequest, status: int, code: str, message: str, issues: list[dict[str, str]]) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "issues": issues}, status=status)


@api.exception_handler(Refused)
def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    body = exc.as_dict()
    return _error(request, exc.status, body["code"], body["message"], body["issues"])


@api.exception_handler(DatabaseError)
def database_busy(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    """A database busy for a moment: 503 with code ``busy`` and Retry-After; any other database error
    goes on to Django (the server log and a 500)."""
    if not busy.is_busy(exc):
        raise exc
    return busy.busy_response(request)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("Sign in first."), [])


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    messages = {403: _("Your role does not allow this."), 404: _("Not found.")}
    message = messages.get(exc.status_code, str(exc))
    return _error(request, exc.status_code, _CODES.get(exc.status_code, "error"), message, [])


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."), [])


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    issues = [
        {
            "field": ".".join(str(p) for p in error.get("loc", ()) if p not in {"body", "query", "path"}),
            "message": error.get("msg", ""),
        }
        for error in exc.errors
    ]
    return _error(request, 422, "invalid", _("The request is not valid."), issues)
