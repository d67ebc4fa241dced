"""Background jobs of economic empowerment: importing business reports and loan repayments."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.scoping import area_codes
from entas.core.errors import Refused
from entas.core.jobqueue import JobContext, job_kind
from entas.registry.fileformats import FileFormatError

from .importer import import_repayments, import_reports

if TYPE_CHECKING:
    from entas.accounts.models import User

IMPORT_DIR = "imports"


def import_locks(params: dict[str, Any], actor: User | None) -> list[str]:
    """Two imports into overlapping areas would write the same groups at once."""
    if actor is None or actor.is_city_wide:
        return ["enterprise"]
    return [f"enterprise.{code}" for code in area_codes(actor)]


def _run(ctx: JobContext, importer: Callable[..., Any], stem: str) -> dict[str, Any]:
    actor = ctx.actor
    if actor is None:
        raise Refused(_("You may not change business groups."), code="forbidden")
    path = Path(settings.MEDIA_ROOT) / ctx.params["file"]
    name = str(ctx.params.get("name") or path.name)
    if not path.is_file():
        raise Refused(_("The uploaded file %(name)s is no longer kept: upload it again.") % {"name": name})
    rejection = Path(settings.MEDIA_ROOT) / "tmp" / f"rejected-{stem}-{ctx.job.pk}.csv"
    try:
        counts = importer(
            path,
            name=name,
            actor=actor,
            rejection_path=rejection,
            progress=ctx.advance,
            log=ctx.log,
            on_total=ctx.set_total,
        )
        if counts.rejection_file:
            ctx.save_result_file(f"ditolak-{stem}-{ctx.job.pk}.csv", rejection.read_bytes())
            counts.rejection_file = ctx.job.result_file.name
    except FileFormatError as exc:
        raise Refused(str(exc)) from exc
    finally:
        rejection.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
    ctx.log(
        _("%(inserted)d inserted, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected.")
        % counts.as_dict()
    )
    result: dict[str, Any] = counts.as_dict()
    return result


@job_kind("enterprise.reports", gettext_lazy("Import business reports"), locks=import_locks)
def reports_job(ctx: JobContext) -> dict[str, Any]:
    """Import a business-reports file (CSV or XLSX) saved under MEDIA_ROOT/imports."""
    return _run(ctx, import_reports, "laporan-usaha")


@job_kind("enterprise.repayments", gettext_lazy("Import loan repayments"), locks=import_locks)
def repayments_job(ctx: JobContext) -> dict[str, Any]:
    """Import a repayments file (CSV or XLSX) saved under MEDIA_ROOT/imports."""
    return _run(ctx, import_repayments, "angsuran")
