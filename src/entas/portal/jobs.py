"""Background jobs of the portal: raising the escalation of cases past their service levels."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from entas.core.jobqueue import JobContext, job_kind

from . import services


def _lock(params: dict[str, Any], actor: Any) -> list[str]:
    return ["portal.escalate"]


@job_kind("portal.escalate", gettext_lazy("Escalate complaints past their service levels"), locks=_lock)
def escalate_job(ctx: JobContext) -> dict[str, Any]:
    """Run periodically (``entas portal escalate`` from cron does the same without the queue)."""
    return {**services.escalate(), "visits_purged": services.purge_visits()}
