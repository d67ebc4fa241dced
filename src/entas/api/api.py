"""The entas REST API (OpenAPI at /api/docs). Session authentication with CSRF for now;
every endpoint goes through the same area-scoped selectors as the pages.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from ninja import NinjaAPI
from ninja.security import django_auth

from entas.core.api import router as jobs_router
from entas.dedup.api import router as dedup_router
from entas.programs.api import cycles_router
from entas.programs.api import router as programmes_router
from entas.regions.api import router as regions_router
from entas.registry.api import router as registry_router

# The schema and its Swagger UI (served from ninja's own static files) are for logged-in users only.
api = NinjaAPI(title="entas API", version="1", urls_namespace="api", auth=django_auth, docs_decorator=login_required)
api.add_router("/v1/regions", regions_router)
api.add_router("/v1/households", registry_router)
api.add_router("/v1/jobs", jobs_router)
api.add_router("/v1/programmes", programmes_router)
api.add_router("/v1/cycles", cycles_router)
api.add_router("/v1/duplicates", dedup_router)
