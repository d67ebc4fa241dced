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


SURVEY_KIND = "monitoring.import_survey"
SURVEY_DIR = "reference"  # stored uploads of reference data, under MEDIA_ROOT (as the reference-data page's)


def _survey_subject(params: dict[str, Any]) -> tuple[str, str]:
    from django.urls import reverse

    return reverse("monitoring:reference_data"), _("Survey round %(name)s %(year)s (file %(file)s)") % {
        "name": params.get("survey_name", ""),
        "year": params.get("year", ""),
        "file": params.get("name", ""),
    }


@job_kind(SURVEY_KIND, gettext_lazy("Import a survey round"), subject=_survey_subject)
def import_survey_job(ctx: JobContext) -> dict[str, Any]:
    """Import an uploaded survey file (``params["file"]`` under MEDIA_ROOT) as a survey round with the
    reference-data page's service: whole or not at all, every bad line listed. The upload is deleted
    whatever happens (it names households by KK number)."""
    from entas.core import uploads

    from .services import import_survey

    path = uploads.media_path(str(ctx.params["file"]))
    try:
        if ctx.actor is not None and not ctx.actor.can(Capability.RUN_JOBS):
            raise Refused(_("You may not start background jobs."), code="forbidden")
        if not path.is_file():
            raise Refused(_("The uploaded file is no longer kept: upload it again."), code="not_found")
        ctx.set_total(1)
        survey = import_survey(
            path=path,
            name=str(ctx.params.get("survey_name") or "Susenas"),
            year=int(ctx.params["year"]),
            actor=ctx.actor,
            file_name=str(ctx.params.get("name") or path.name),
        )
        households = survey.households.count()
        ctx.advance(1)
        ctx.log(_("Survey round %(survey)s loaded (%(n)d households).") % {"survey": survey, "n": households})
        return {"survey": survey.pk, "name": survey.name, "year": survey.year, "households": households}
    finally:
        path.unlink(missing_ok=True)
