"""Background jobs of the reports app: generating a version of a report (its figures read from every
module), with progress, and its draft PDF saved as the job's file."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.core.errors import Refused
from entas.core.jobqueue import JobContext, job_kind

from . import render, services
from .document import from_dict
from .models import Report

if TYPE_CHECKING:
    from entas.accounts.models import User


GENERATE_KIND = "reports.generate"


def report_lock(params: dict[str, Any], actor: User | None) -> list[str]:
    """Two generations of one report at once would both number their version n + 1."""
    return [f"reports.{params['report']}"]


def _subject(params: dict[str, Any]) -> tuple[str, str] | None:
    from django.urls import reverse

    report = Report.objects.filter(pk=params["report"]).first()
    return None if report is None else (reverse("reports:detail", args=[report.pk]), str(report))


@job_kind(
    GENERATE_KIND,
    gettext_lazy("Generate an official report"),
    locks=report_lock,
    subject=lambda params: _subject(params),
)
def generate_job(ctx: JobContext) -> dict[str, Any]:
    actor = ctx.actor
    if actor is None or not actor.can(Capability.EDIT_REPORTS):
        raise Refused(_("You may not prepare official reports."), code="forbidden")
    report = Report.objects.get(pk=ctx.params["report"])
    day = dt.date.fromisoformat(ctx.params["day"]) if ctx.params.get("day") else None
    ctx.set_total(3)
    ctx.log(_("Reading the data of %(report)s") % {"report": report})
    version = services.generate(report=report, actor=actor, day=day)
    ctx.advance()
    ctx.log(_("Version %(n)s: %(changes)s figures changed") % {"n": version.number, "changes": len(version.changes)})
    pdf = render.pdf(from_dict(version.document), version.narrative, draft=True)
    ctx.advance()
    ctx.save_result_file(f"{report.kind}-{report.year}-v{version.number}-draft.pdf", pdf)
    ctx.advance()
    return {"report": report.pk, "version": version.number, "changes": len(version.changes)}
