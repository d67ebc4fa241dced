"""Background jobs of community participation: importing forums and musyawarah decisions from a file
(an upload on a page or ``entas forum load|decisions``), with progress and a rejection file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.core.errors import Refused
from entas.core.jobqueue import JobContext, job_kind
from entas.registry.fileformats import FileFormatError

from .importer import import_file

if TYPE_CHECKING:
    from entas.accounts.models import User

IMPORT_DIR = "imports"


def _locks(params: dict[str, Any], actor: User | None) -> list[str]:
    return ["participation.import"]


def _run(ctx: JobContext, kind: str) -> dict[str, Any]:
    actor = ctx.actor
    if actor is None or not (actor.can(Capability.CHANGE_REGISTRY) or actor.can(Capability.EDIT_POLICY)):
        raise Refused(_("You may not record forums."), code="forbidden")
    if kind in ("partners", "contributions") and not actor.can(Capability.EDIT_POLICY):
        raise Refused(_("Only the policy register's editors keep the partners."), code="forbidden")
    path = Path(settings.MEDIA_ROOT) / ctx.params["file"]
    name = str(ctx.params.get("name") or path.name)
    if not path.is_file():
        raise Refused(_("The uploaded file %(name)s is no longer kept: upload it again.") % {"name": name})
    rejection = Path(settings.MEDIA_ROOT) / "tmp" / f"rejected-{kind}-{ctx.job.pk}.csv"
    try:
        summary = import_file(
            kind, path, name=name, actor=actor, rejection_path=rejection, progress=ctx.advance, on_total=ctx.set_total
        )
        if summary.rejection_file:
            ctx.save_result_file(f"ditolak-{kind}-{ctx.job.pk}.csv", rejection.read_bytes())
            summary.rejection_file = ctx.job.result_file.name
    except FileFormatError as exc:
        raise Refused(str(exc)) from exc
    finally:
        rejection.unlink(missing_ok=True)  # KK numbers: never left behind
        path.unlink(missing_ok=True)
    ctx.log(
        _("%(inserted)d inserted, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected.")
        % summary.as_dict()
    )
    return summary.as_dict()


@job_kind("participation.forums", gettext_lazy("Import forums"), locks=_locks)
def forums_job(ctx: JobContext) -> dict[str, Any]:
    """Import forums (with their attendance) from a file saved under MEDIA_ROOT/imports."""
    return _run(ctx, "forums")


@job_kind("participation.decisions", gettext_lazy("Import musyawarah decisions"), locks=_locks)
def decisions_job(ctx: JobContext) -> dict[str, Any]:
    """Import musyawarah decisions on households from a file saved under MEDIA_ROOT/imports."""
    return _run(ctx, "decisions")


@job_kind("participation.proposals", gettext_lazy("Import Musrenbang proposals"), locks=_locks)
def proposals_job(ctx: JobContext) -> dict[str, Any]:
    """Import residents' proposals from a file saved under MEDIA_ROOT/imports."""
    return _run(ctx, "proposals")


@job_kind("participation.reviews", gettext_lazy("Import Musrenbang decisions on proposals"), locks=_locks)
def reviews_job(ctx: JobContext) -> dict[str, Any]:
    """Import the Musrenbang forums' decisions on proposals from a file saved under MEDIA_ROOT/imports."""
    return _run(ctx, "reviews")


@job_kind("participation.partners", gettext_lazy("Import partners and their MoU/PKS"), locks=_locks)
def partners_job(ctx: JobContext) -> dict[str, Any]:
    """Import partners (and their agreements) from a file saved under MEDIA_ROOT/imports."""
    return _run(ctx, "partners")


@job_kind("participation.contributions", gettext_lazy("Import partners' contributions"), locks=_locks)
def contributions_job(ctx: JobContext) -> dict[str, Any]:
    """Import partners' contributions (pledged and delivered) from a file saved under MEDIA_ROOT/imports."""
    return _run(ctx, "contributions")
