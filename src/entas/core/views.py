from __future__ import annotations

from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.registry.selectors import summary_by_kelurahan

from . import jobqueue
from .charts import region_map
from .decorators import require
from .errors import Refused
from .models import AuditEvent, Job


@login_required
def home(request: HttpRequest) -> HttpResponse:
    rows = summary_by_kelurahan(request.user)  # type: ignore[arg-type]
    kecamatan = []
    for (code, name), group in groupby(rows, key=lambda r: (r["kecamatan_code"], r["kecamatan"])):
        items = list(group)
        kecamatan.append(
            {
                "code": code,
                "name": name,
                "kelurahan": items,
                "households": sum(r["households"] for r in items),
                "people": sum(r["people"] for r in items),
            }
        )
    spec = region_map(rows, value="households", value_title=_("Households"), name_title=_("Kelurahan"))
    context = {
        "kecamatan": kecamatan,
        "total_households": sum(r["households"] for r in rows),
        "total_people": sum(r["people"] for r in rows),
        "map_spec": spec,
        "map_is_choropleth": bool(rows) and all(r["boundary"] for r in rows),
    }
    return render(request, "core/home.html", context)


def _jobs_for(request: HttpRequest) -> QuerySet[Job]:
    user = request.user
    qs = Job.objects.select_related("created_by")
    if user.is_city_wide:  # type: ignore[union-attr]
        return qs
    return qs.filter(created_by=user)  # type: ignore[misc]


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(_jobs_for(request), 25).get_page(request.GET.get("page"))
    labels = {k: v.label for k, v in jobqueue.kinds().items()}
    for job in page:
        job.label = labels.get(job.kind, job.kind)  # type: ignore[attr-defined]
    return render(request, "core/job_list.html", {"page": page})


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_jobs_for(request), pk=pk)
    template = "core/_job_progress.html" if request.headers.get("HX-Request") else "core/job_detail.html"
    label = jobqueue.kinds().get(job.kind)
    return render(request, template, {"job": job, "label": label.label if label else job.kind})


@login_required
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = get_object_or_404(_jobs_for(request), pk=pk)
    if not job.result_file:
        raise Http404
    return FileResponse(
        job.result_file.open("rb"), as_attachment=True, filename=job.result_file.name.rsplit("/", 1)[-1]
    )


@login_required
@require_POST
def job_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_jobs_for(request), pk=pk)
    if not request.user.can(Capability.RUN_JOBS):  # type: ignore[union-attr]
        raise PermissionDenied
    try:
        new = jobqueue.rerun(job=job, actor=request.user)  # type: ignore[arg-type]
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("jobs:detail", pk=job.pk)
    messages.success(request, _("The job was started again."))
    return redirect("jobs:detail", pk=new.pk)


@require(Capability.VIEW_AUDIT)
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
