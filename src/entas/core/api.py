from __future__ import annotations

from datetime import datetime

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from .models import Job

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: int
    kind: str
    status: str
    done: int
    total: int | None
    percent: int | None
    log: list[str]
    error: str
    created_at: datetime
    finished_at: datetime | None
    has_result_file: bool


@router.get("/{job_id}", response=JobOut)
def get_job(request: HttpRequest, job_id: int) -> JobOut:
    """A job's progress; only its owner (or an administrator) sees it."""
    qs = Job.objects.all()
    if not request.user.is_city_wide:  # type: ignore[union-attr]
        qs = qs.filter(created_by=request.user)  # type: ignore[misc]
    job = qs.filter(pk=job_id).first()
    if job is None:
        raise Http404
    return JobOut(
        id=job.pk,
        kind=job.kind,
        status=job.status,
        done=job.done,
        total=job.total,
        percent=job.percent,
        log=job.log_lines,
        error=job.public_error,
        created_at=job.created_at,
        finished_at=job.finished_at,
        has_result_file=bool(job.result_file),
    )
