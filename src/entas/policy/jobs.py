"""Background jobs of the policy register: importing realisation from a file."""

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

from .importer import import_realisation

if TYPE_CHECKING:
    from entas.accounts.models import User

IMPORT_DIR = "imports"


def import_locks(params: dict[str, Any], actor: User | None) -> list[str]:
    """Two realisation imports at once would write the same months."""
    return ["policy.realisation"]


@job_kind("policy.realisation", gettext_lazy("Import budget realisation"), locks=import_locks)
def realisation_job(ctx: JobContext) -> dict[str, Any]:
    """Import a realisation file (CSV or XLSX) saved under MEDIA_ROOT/imports."""
    actor = ctx.actor
    if actor is None or not (actor.can(Capability.REALISE_POLICY) or actor.can(Capability.EDIT_POLICY)):
        raise Refused(_("You may not enter realisation."), code="forbidden")
    path = Path(settings.MEDIA_ROOT) / ctx.params["file"]
    name = str(ctx.params.get("name") or path.name)
    if not path.is_file():
        raise Refused(_("The uploaded file %(name)s is no longer kept: upload it again.") % {"name": name})
    rejection = Path(settings.MEDIA_ROOT) / "tmp" / f"rejected-realisation-{ctx.job.pk}.csv"
    try:
        summary = import_realisation(
            path,
            name=name,
            actor=actor,
            rejection_path=rejection,
            progress=ctx.advance,
            log=ctx.log,
            on_total=ctx.set_total,
        )
        if summary.rejection_file:
            ctx.save_result_file(f"ditolak-realisasi-{ctx.job.pk}.csv", rejection.read_bytes())
            summary.rejection_file = ctx.job.result_file.name
    except FileFormatError as exc:
        raise Refused(str(exc)) from exc
    finally:
        rejection.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
    ctx.log(
        _("%(inserted)d inserted, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected.")
        % summary.as_dict()
    )
    return summary.as_dict()


@job_kind("policy.benefits", gettext_lazy("Import a list of benefits"), locks=lambda params, actor: ["policy.benefits"])
def benefits_job(ctx: JobContext) -> dict[str, Any]:
    """Import a list of benefits of a non-cash programme (CSV or XLSX) saved under MEDIA_ROOT/imports."""
    from .importer import import_benefits

    actor = ctx.actor
    if actor is None or not (actor.can(Capability.REALISE_POLICY) or actor.can(Capability.EDIT_POLICY)):
        raise Refused(_("You may not record benefits."), code="forbidden")
    path = Path(settings.MEDIA_ROOT) / ctx.params["file"]
    name = str(ctx.params.get("name") or path.name)
    if not path.is_file():
        raise Refused(_("The uploaded file %(name)s is no longer kept: upload it again.") % {"name": name})
    rejection = Path(settings.MEDIA_ROOT) / "tmp" / f"rejected-benefits-{ctx.job.pk}.csv"
    try:
        summary = import_benefits(path, name=name, actor=actor, rejection_path=rejection)
        if summary.rejection_file:
            ctx.save_result_file(f"ditolak-manfaat-{ctx.job.pk}.csv", rejection.read_bytes())
            summary.rejection_file = ctx.job.result_file.name
    except FileFormatError as exc:
        raise Refused(str(exc)) from exc
    finally:
        rejection.unlink(missing_ok=True)  # personal data (KK numbers): never left behind
        path.unlink(missing_ok=True)
    ctx.log(_("%(inserted)d inserted, %(unchanged)d unchanged, %(rejected)d rejected.") % summary.as_dict())
    return summary.as_dict()
