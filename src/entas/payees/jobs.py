"""Background jobs of payees: importing bank accounts from a file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.accounts.scoping import area_codes
from entas.core.errors import Refused
from entas.core.jobqueue import JobContext, job_kind
from entas.registry.fileformats import FileFormatError

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
    path = Path(settings.MEDIA_ROOT) / ctx.params["file"]
    name = str(ctx.params.get("name") or path.name)
    if not path.is_file():
        raise Refused(_("The uploaded file %(name)s is no longer kept: upload it again.") % {"name": name})
    rejection = Path(settings.MEDIA_ROOT) / "tmp" / f"rejected-payees-{ctx.job.pk}.csv"
    try:
        summary = import_payees(
            path,
            name=name,
            actor=actor,
            rejection_path=rejection,
            progress=ctx.advance,
            log=ctx.log,
            on_total=ctx.set_total,
        )
        if summary.rejection_file:
            ctx.save_result_file(f"ditolak-rekening-{ctx.job.pk}.csv", rejection.read_bytes())
            summary.rejection_file = ctx.job.result_file.name
    except FileFormatError as exc:
        raise Refused(str(exc)) from exc
    finally:
        rejection.unlink(missing_ok=True)  # personal data: never left behind
        path.unlink(missing_ok=True)
    ctx.log(
        _("%(inserted)d inserted, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected.")
        % summary.as_dict()
    )
    return summary.as_dict()
