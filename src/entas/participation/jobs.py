"""Background jobs of community participation: importing forums and musyawarah decisions from a file
(an upload on a page or ``entas forum load|decisions``), with progress and a rejection file."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.core.errors import Refused
from entas.core.fileimport import run_uploaded_import
from entas.core.jobqueue import JobContext, job_kind

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
    # KK numbers are in the rejection file: the runner removes it and the upload whatever happened.
    return run_uploaded_import(ctx, functools.partial(import_file, kind), stem=kind)


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
