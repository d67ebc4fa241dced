"""Background jobs of the registry: import and export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.core import audit
from entas.core.errors import Refused
from entas.core.jobqueue import JobContext, job_kind

from .exporter import FORMATS, export_registry
from .fileformats import FileFormatError, open_rows
from .importer import import_registry

IMPORT_DIR = "imports"


@job_kind("registry.export", gettext_lazy("Export the registry"))
def export_job(ctx: JobContext) -> dict[str, Any]:
    """Write the registry the job's owner may see, in the import format."""
    actor = ctx.actor
    if actor is None or not actor.can(Capability.EXPORT_REGISTRY):
        raise Refused(_("You are not allowed to export the registry."))
    fmt = ctx.params.get("format", "csv")
    if fmt not in FORMATS:
        raise Refused(_("Unknown export format %(fmt)r; use csv, xlsx or parquet.") % {"fmt": fmt})
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


@job_kind("registry.import", gettext_lazy("Import into the registry"))
def import_job(ctx: JobContext) -> dict[str, Any]:
    """Import a registry file (CSV or XLSX) saved under MEDIA_ROOT/imports."""
    actor = ctx.actor
    if actor is not None and not actor.can(Capability.CHANGE_REGISTRY):
        raise Refused(_("You are not allowed to change the registry."))
    path = Path(settings.MEDIA_ROOT) / ctx.params["file"]
    try:
        source = open_rows(path)
    except FileFormatError as exc:
        raise Refused(str(exc)) from exc
    source.close()  # opened for its row count only; the import reads the file itself
    if source.total is not None:
        ctx.set_total(source.total)
    rejection = Path(settings.MEDIA_ROOT) / "tmp" / f"rejected-{ctx.job.pk}.csv"
    try:
        summary = import_registry(
            path,
            actor=actor,
            source=ctx.params.get("source", "operator"),
            dry_run=bool(ctx.params.get("dry_run")),
            rejection_path=rejection,
            progress=ctx.advance,
            log=ctx.log,
        )
    except FileFormatError as exc:
        raise Refused(str(exc)) from exc
    ctx.log(
        _(
            "%(inserted)d inserted, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected "
            "(%(warnings)d warnings)."
        )
        % summary.as_dict()
    )
    if summary.rejection_file:
        ctx.save_result_file(f"ditolak-{ctx.job.pk}.csv", rejection.read_bytes())
        rejection.unlink()
        summary.rejection_file = ctx.job.result_file.name
    result = summary.as_dict()
    audit.record(
        actor=actor,
        action="registry.import",
        object_type="registry.household",
        object_repr=ctx.params.get("name", "")[:200],
        after=result,
    )
    return result
