"""Background jobs of economic empowerment: importing business reports and loan repayments."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.scoping import area_codes
from entas.core.errors import Refused
from entas.core.fileimport import run_uploaded_import
from entas.core.jobqueue import JobContext, job_kind

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
    if ctx.actor is None:
        raise Refused(_("You may not change business groups."), code="forbidden")
    return run_uploaded_import(ctx, importer, stem=stem)


@job_kind("enterprise.reports", gettext_lazy("Import business reports"), locks=import_locks)
def reports_job(ctx: JobContext) -> dict[str, Any]:
    """Import a business-reports file (CSV or XLSX) saved under MEDIA_ROOT/imports."""
    return _run(ctx, import_reports, "laporan-usaha")


@job_kind("enterprise.repayments", gettext_lazy("Import loan repayments"), locks=import_locks)
def repayments_job(ctx: JobContext) -> dict[str, Any]:
    """Import a repayments file (CSV or XLSX) saved under MEDIA_ROOT/imports."""
    return _run(ctx, import_repayments, "angsuran")
