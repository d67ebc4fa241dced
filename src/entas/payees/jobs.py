"""Background jobs of payees: importing bank accounts from a file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.accounts.scoping import area_codes
from entas.core.errors import Refused
from entas.core.fileimport import run_uploaded_import
from entas.core.jobqueue import JobContext, job_kind

from .importer import import_payees

if TYPE_CHECKING:
    from entas.accounts.models import User

IMPORT_DIR = "imports"


def import_locks(params: dict[str, Any], actor: User | None) -> list[str]:
    """Two imports of accounts into overlapping areas would write the same households at once."""
    if actor is None or actor.is_city_wide:
        return ["payees"]
    return [f"payees.{code}" for code in area_codes(actor)]


@job_kind("payees.import", gettext_lazy("Import bank accounts"), locks=import_locks)
def import_job(ctx: JobContext) -> dict[str, Any]:
    """Import a payees file (CSV or XLSX) saved under MEDIA_ROOT/imports."""
    actor = ctx.actor
    if actor is None or not actor.can(Capability.MANAGE_PROGRAMMES):
        raise Refused(_("You may not set bank accounts."), code="forbidden")
    return run_uploaded_import(ctx, import_payees, stem="rekening")
