"""Background jobs of awareness campaigns: importing an event's sign-in sheet or answer sheet, and
taking the follow-up measurements of a campaign that are due."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.core.errors import Refused
from entas.core.fileimport import run_uploaded_import
from entas.core.jobqueue import JobContext, job_kind

from . import services
from .importer import import_answers, import_attendance
from .models import Campaign, Event

if TYPE_CHECKING:
    from entas.accounts.models import User

IMPORT_DIR = "imports"


def event_lock(params: dict[str, Any], actor: User | None) -> list[str]:
    """Two imports into the same event would record the same people at once."""
    return [f"outreach.event.{params['event']}"]


def campaign_lock(params: dict[str, Any], actor: User | None) -> list[str]:
    return [f"outreach.campaign.{params['campaign']}"]


def _run(ctx: JobContext, importer: Callable[..., Any], stem: str) -> dict[str, Any]:
    actor = ctx.actor
    if actor is None:
        raise Refused(_("Only a campaign officer may do this."), code="forbidden")
    event = Event.objects.restrict(actor, "change").select_related("kelurahan").filter(pk=ctx.params["event"]).first()
    if event is None:
        raise Refused(_("No such event in your areas."), code="not_found")
    return run_uploaded_import(ctx, importer, stem=stem, event=event)


@job_kind("outreach.attendance", gettext_lazy("Import a sign-in sheet"), locks=event_lock)
def attendance_job(ctx: JobContext) -> dict[str, Any]:
    """Import an event's sign-in sheet (CSV or XLSX) saved under MEDIA_ROOT/imports."""
    return _run(ctx, import_attendance, "daftar-hadir")


@job_kind("outreach.answers", gettext_lazy("Import knowledge-test answers"), locks=event_lock)
def answers_job(ctx: JobContext) -> dict[str, Any]:
    """Import an event's answer sheet (CSV or XLSX) saved under MEDIA_ROOT/imports."""
    return _run(ctx, import_answers, "jawaban")


@job_kind("outreach.follow_up", gettext_lazy("Measure campaign follow-ups"), locks=campaign_lock)
def follow_up_job(ctx: JobContext) -> dict[str, Any]:
    """Take the follow-up measurements of a campaign that are due today."""
    actor = ctx.actor
    if actor is None:
        raise Refused(_("Only a campaign officer may do this."), code="forbidden")
    campaign = Campaign.objects.get(pk=ctx.params["campaign"])
    return services.measure_follow_ups(campaign=campaign, actor=actor)
