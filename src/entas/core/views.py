from __future__ import annotations

import sys
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from . import busy, health, jobqueue
from .decorators import RUN_JOBS, VIEW_AUDIT, require
from .errors import Refused
from .models import AuditEvent, Job


def _jobs_for(request: HttpRequest) -> QuerySet[Job]:
    user = request.user
    qs = Job.objects.select_related("created_by")
    if user.is_city_wide:  # type: ignore[union-attr]
        return qs
    return qs.filter(created_by=user)  # type: ignore[misc]


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a busy database (raised anywhere, a middleware's session save included) answers
    503 with a page saying to try again; any other error entas's 500 page."""
    if busy.is_busy(sys.exc_info()[1]):
        return busy.busy_response(request)
    return defaults.server_error(request)


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(_jobs_for(request), 25).get_page(request.GET.get("page"))
    labels = {k: v.label for k, v in jobqueue.kinds().items()}
    for job in page:
        job.label = labels.get(job.kind, job.kind)  # type: ignore[attr-defined]
    alert, details = _worker_alert(health.check(), request.user.is_city_wide)  # type: ignore[union-attr]
    return render(request, "core/job_list.html", {"page": page, "worker_alert": alert, "worker_details": details})


def _worker_alert(result: health.Health, administrator: bool) -> tuple[str, list[str]]:
    """The jobs page's line when no worker is live (empty when one is), and for administrators the
    silent workers' hosts and last signs of life."""
    workers = result.workers
    if not result.database_ok or workers is None or workers.ok:
        return "", []
    if workers.quiet_seconds is None:
        return _("No background worker has run yet: queued jobs wait until one is started (entas worker)."), []
    minutes = max(1, int(workers.quiet_seconds // 60))
    alert = ngettext(
        "The background worker has not polled the queue for %(minutes)d minute: queued jobs do not run. "
        "Please tell the administrator.",
        "The background worker has not polled the queue for %(minutes)d minutes: queued jobs do not run. "
        "Please tell the administrator.",
        minutes,
    ) % {"minutes": minutes}
    details = [
        _(
            "Worker %(host)s (process %(pid)s), last sign of life %(at)s: dead or stuck. Restart it; "
            "entas health shows the state."
        )
        % {
            "host": w.hostname,
            "pid": w.pid,
            "at": date_format(timezone.localtime(w.last_sign), "SHORT_DATETIME_FORMAT"),
        }
        for w in workers.silent
    ]
    return alert, details if administrator else []


@never_cache
@require_safe
def health_check(request: HttpRequest) -> JsonResponse:
    """The probe of a load balancer or monitor: 200 when healthy, 503 when not, with a JSON body of
    states and counts only (anonymous-safe). ``?check=database`` asks only whether the database
    answers, the question for taking a web server out of rotation, which a stopped worker does not change."""
    result = health.check(workers=request.GET.get("check") != "database")
    return JsonResponse(result.public(), status=200 if result.ok else 503)


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_jobs_for(request), pk=pk)
    template = "core/_job_progress.html" if request.headers.get("HX-Request") else "core/job_detail.html"
    kind = jobqueue.kinds().get(job.kind)
    subject = kind.subject_of(job.params or {}) if kind else None
    context = {
        "job": job,
        "label": kind.label if kind else job.kind,
        "subject_url": subject[0] if subject else "",
        "subject_label": subject[1] if subject else "",
    }
    return render(request, template, context)


@login_required
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = get_object_or_404(_jobs_for(request), pk=pk)
    if not job.result_file:
        raise Http404
    return FileResponse(
        job.result_file.open("rb"), as_attachment=True, filename=job.result_file.name.rsplit("/", 1)[-1]
    )


@require_POST
@require(RUN_JOBS)
def job_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_jobs_for(request), pk=pk)
    try:
        new = jobqueue.rerun(job=job, actor=request.user)  # type: ignore[arg-type]
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("jobs:detail", pk=job.pk)
    messages.success(request, _("The job was started again."))
    return redirect("jobs:detail", pk=new.pk)


@require(VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse:
    qs = AuditEvent.objects.select_related("actor")
    filters: dict[str, Any] = {
        "action": request.GET.get("action", "").strip(),
        "actor": request.GET.get("actor", "").strip(),
        "object": request.GET.get("object", "").strip(),
        "region": request.GET.get("region", "").strip(),
        "date_from": request.GET.get("date_from", "").strip(),
        "date_to": request.GET.get("date_to", "").strip(),
    }
    if filters["action"]:
        qs = qs.filter(action__startswith=filters["action"])
    if filters["actor"]:
        qs = qs.filter(actor__username=filters["actor"])
    if filters["object"]:
        qs = qs.filter(Q(object_id=filters["object"]) | Q(object_repr__icontains=filters["object"]))
    if filters["region"]:
        qs = qs.filter(region_code__startswith=filters["region"])
    errors = []
    for key, lookup in (("date_from", "at__date__gte"), ("date_to", "at__date__lte")):
        if filters[key]:
            try:
                value = parse_date(filters[key])
            except ValueError:  # well formed but impossible, e.g. 2026-02-30
                value = None
            if value is None:
                errors.append(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": filters[key]})
            else:
                qs = qs.filter(**{lookup: value})
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    actions = AuditEvent.objects.order_by().values_list("action", flat=True).distinct()
    return render(
        request,
        "core/audit_list.html",
        {
            "page": page,
            "filters": filters,
            "errors": errors,
            "actions": sorted(set(actions)),
        },
    )


@never_cache
@require_safe
def live_check(request: HttpRequest) -> JsonResponse:
    """Liveness: this web process answers (no database question; a supervisor restarts it when not)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready_check(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers and a background worker's heartbeat is recent (as /health/)."""
    result = health.check()
    return JsonResponse(result.public(), status=200 if result.ok else 503)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for a scraper holding ENTAS_METRICS_TOKEN (``Authorization: Bearer …``).
    Without the setting the endpoint does not exist (404); with a wrong or no token it answers 401."""
    import hmac

    from django.conf import settings

    from . import observability

    token = settings.ENTAS_METRICS_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="entas metrics"'
        return response
    return HttpResponse(observability.metrics_text(), content_type="text/plain; version=0.0.4; charset=utf-8")
