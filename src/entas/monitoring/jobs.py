"""Background jobs of monitoring: refreshing the indicator facts (the scheduler runs it, #27)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.core.errors import Refused
from entas.core.jobqueue import JobContext, job_kind

if TYPE_CHECKING:
    from entas.accounts.models import User

REFRESH_KIND = "monitoring.refresh_indicators"


def refresh_locks(params: dict[str, Any], actor: User | None) -> list[str]:
    """Two refreshes at once would write the same facts."""
    return ["monitoring.facts"]


@job_kind(REFRESH_KIND, gettext_lazy("Refresh the indicators"), locks=refresh_locks)
def refresh_job(ctx: JobContext) -> dict[str, Any]:
    """Recompute the facts table (incrementally unless ``params["full"]``) and evaluate the alerts."""
    from . import engine

    if ctx.actor is not None and not ctx.actor.can(Capability.RUN_JOBS):
        raise Refused(_("You may not start background jobs."), code="forbidden")
    ctx.set_total(1)
    summary = engine.refresh(full=bool(ctx.params.get("full")), progress=ctx.log)
    ctx.advance(1)
    ctx.log(
        _("%(n)d facts written, %(k)d kelurahan recomputed, %(a)d alerts raised.")
        % {"n": summary.facts_written, "k": summary.kelurahan_recomputed, "a": summary.alerts_raised}
    )
    return summary.as_dict()
