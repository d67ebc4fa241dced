"""Background jobs of the registry: import and export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.accounts.scoping import area_codes
from entas.core import audit
from entas.core.errors import Problem, Refused
from entas.core.fileimport import run_uploaded_import
from entas.core.jobqueue import JobContext, job_kind

from .exporter import FORMATS, export_registry
from .importer import import_registry

if TYPE_CHECKING:
    from entas.accounts.models import User

IMPORT_DIR = "imports"


def _export_subject(params: dict[str, Any]) -> tuple[str, str]:
    return reverse("registry:household_list"), _("Households of your areas (%(fmt)s)") % {
        "fmt": str(params.get("format", "csv")).upper()
    }


def _import_subject(params: dict[str, Any]) -> tuple[str, str]:
    name = str(params.get("name") or Path(str(params.get("file", ""))).name)
    label = _("File %(name)s (trial run)") if params.get("dry_run") else _("File %(name)s")
    return reverse("registry:household_list"), label % {"name": name}


@job_kind("registry.export", gettext_lazy("Export the registry"), subject=_export_subject)
def export_job(ctx: JobContext) -> dict[str, Any]:
    """Write the registry the job's owner may see, in the import format."""
    actor = ctx.actor
    if actor is None or not actor.can(Capability.EXPORT_REGISTRY):
        raise Refused(_("You are not allowed to export the registry."))
    fmt = ctx.params.get("format", "csv")
    if fmt not in FORMATS:
        raise Refused(_("Unknown export format %(fmt)r; use csv, xlsx or parquet.") % {"fmt": fmt}, code="invalid")
    from .selectors import households_for

    ctx.set_total(households_for(actor).count())
    tmp = Path(settings.MEDIA_ROOT) / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    out = tmp / f"export-{ctx.job.pk}.{fmt}"
    try:  # the staging copy is the registry: removed also when writing or saving fails
        rows = export_registry(actor, out, fmt, progress=ctx.advance)
        ctx.log(_("%(n)d member rows written.") % {"n": rows})
        ctx.save_result_file(f"registri-{timezone.localtime():%Y%m%d-%H%M%S}.{fmt}", out.read_bytes())
    finally:
        out.unlink(missing_ok=True)
    audit.record(
        actor=actor,
        action="registry.export",
        object_type="registry.household",
        object_repr=f"{rows} rows ({fmt})",
        after={"rows": rows, "format": fmt},
    )
    return {"rows": rows, "format": fmt}


def import_locks(params: dict[str, Any], actor: User | None) -> list[str]:
    """An import works on the families of its user's areas (the whole registry for the system):
    two imports into overlapping areas would write the same families at once, so the second is
    refused while the first is queued or running. A dry run writes nothing and locks nothing."""
    if params.get("dry_run"):
        return []
    if actor is None or actor.is_city_wide:
        return ["registry"]
    return [f"registry.{code}" for code in area_codes(actor)]


@job_kind("registry.import", gettext_lazy("Import into the registry"), locks=import_locks, subject=_import_subject)
def import_job(ctx: JobContext) -> dict[str, Any]:
    """Import a registry file (CSV or XLSX) saved under MEDIA_ROOT/imports."""
    actor = ctx.actor
    if actor is not None and not actor.can(Capability.CHANGE_REGISTRY):
        raise Refused(_("You are not allowed to change the registry."))
    # The import records its audit events with each commit; the upload is kept (a dry run first, then
    # the import of the same file), and purged with the other uploads.
    return run_uploaded_import(
        ctx,
        import_registry,
        stem="registri",
        keep_upload=True,
        source=ctx.params.get("source", "operator"),
        dry_run=bool(ctx.params.get("dry_run")),
        job_id=ctx.job.pk,
    )


def submit_import(*, upload: Any, source: str, dry_run: bool, actor: User) -> Any:
    """Keep an uploaded registry file (checked by :class:`~entas.registry.forms.UploadForm`) and queue
    its import as ``actor``: the import page and the API both start an import here. A refusal (the
    file could not be kept, another import into these areas is under way) keeps nothing of it."""
    from entas.core import jobqueue, uploads

    try:
        stored = uploads.store_upload(upload, owner=str(actor.pk), folder=IMPORT_DIR)
    except Refused as exc:  # the disk is full: said beside the file
        raise Refused(exc.message, code=exc.code, issues=[Problem("file", exc.message)]) from exc
    try:
        return jobqueue.submit(
            kind="registry.import",
            params={"file": stored, "name": upload.name, "source": source, "dry_run": dry_run},
            actor=actor,
        )
    except Refused:
        uploads.media_path(stored).unlink(missing_ok=True)
        raise
