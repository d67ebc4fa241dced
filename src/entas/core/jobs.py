"""Housekeeping job kinds of the kernel, which ``entas scheduler`` submits (src/entas/schedule.toml)."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .jobqueue import JobContext, job_kind, mark_interrupted
from .uploads import purge_uploads


def _lock(name: str) -> Any:
    return lambda params, actor: [f"core.{name}"]


@job_kind("core.clear_sessions", gettext_lazy("Delete expired login sessions"), locks=_lock("clear_sessions"))
def clear_sessions_job(ctx: JobContext) -> dict[str, Any]:
    """Expired sessions stay in the session table until deleted (Django's clearsessions)."""
    deleted, _rows = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    ctx.log(f"{deleted} expired sessions deleted")
    return {"sessions_deleted": deleted}


@job_kind("core.recover_jobs", gettext_lazy("Mark interrupted jobs as failed"), locks=_lock("recover_jobs"))
def recover_jobs_job(ctx: JobContext) -> dict[str, Any]:
    """Jobs left running by a worker that died (no progress for ENTAS_JOB_STALE_SECONDS) and jobs the
    queue handed out but never started: marked failed, their locks freed, ready to be re-run. The
    worker does this too at start and every minute; the schedule covers a worker that is down."""
    from .worker import mark_unstarted

    interrupted = mark_interrupted()
    unstarted = mark_unstarted()
    ctx.log(f"{interrupted} interrupted and {unstarted} unstarted jobs marked failed")
    return {"interrupted": interrupted, "unstarted": unstarted}


@job_kind(
    "core.purge_uploads", gettext_lazy("Delete expired uploaded and temporary files"), locks=_lock("purge_uploads")
)
def purge_uploads_job(ctx: JobContext) -> dict[str, Any]:
    """Uploads past ENTAS_UPLOAD_RETENTION_DAYS and temporary files of ended jobs (entas.core.uploads)."""
    report = purge_uploads()
    ctx.log(f"{report.uploads} uploads and {report.temporary} temporary files deleted")
    return report.as_dict()


@job_kind(
    "core.purge_personal_data",
    gettext_lazy("Anonymise personal data past its retention period"),
    locks=_lock("purge_personal_data"),
)
def purge_personal_data_job(ctx: JobContext) -> dict[str, Any]:
    """Members who left more than ENTAS_RETENTION_EXITED_MEMBER_DAYS ago are anonymised in every
    module that registered a purger, and audit events older than ENTAS_RETENTION_AUDIT_DETAIL_DAYS
    lose their personal detail (the rows stay). ``dry_run`` (true/false) only counts (docs/privacy.md)."""
    from .personaldata import purge

    dry_run = str(ctx.params.get("dry_run", "")).lower() in {"1", "true", "yes"}
    counts = purge(dry_run=dry_run, actor=ctx.actor)
    for key, n in sorted(counts.items()):
        ctx.log(f"{key}: {n}" + (" (dry run)" if dry_run else ""))
    return {"dry_run": dry_run, **counts}
