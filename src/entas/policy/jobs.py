"""Background jobs of the policy register: importing realisation from a file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.core.errors import Refused
from entas.core.fileimport import run_uploaded_import
from entas.core.jobqueue import JobContext, job_kind

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
    return run_uploaded_import(ctx, import_realisation, stem="realisasi")


@job_kind("policy.benefits", gettext_lazy("Import a list of benefits"), locks=lambda params, actor: ["policy.benefits"])
def benefits_job(ctx: JobContext) -> dict[str, Any]:
    """Import a list of benefits of a non-cash programme (CSV or XLSX) saved under MEDIA_ROOT/imports."""
    from .importer import import_benefits

    actor = ctx.actor
    if actor is None or not (actor.can(Capability.REALISE_POLICY) or actor.can(Capability.EDIT_POLICY)):
        raise Refused(_("You may not record benefits."), code="forbidden")
    return run_uploaded_import(ctx, import_benefits, stem="manfaat")
