"""What every import of a file shares, whatever it imports (the registry, payees' accounts):

- :class:`RowCounts`: every row of the file counted once, as inserted, updated, unchanged or
  rejected (and how many kept rows carried warnings), with the rejection file that holds the
  rejected rows;
- :class:`RejectionFile`: that file, a CSV a person opens and fixes: each rejected row with its row
  number and every reason before its cells, written inert (:mod:`entas.core.spreadsheet`), so that
  the fixed file imports as the original would have;
- :func:`run_uploaded_import`: the body of every job that imports an uploaded file (the file found
  or a clear message, the importer run with the job's progress, the rejection file kept as the job's
  result, the upload and the temporary rejection file removed whatever happened);
- :func:`run_import_job` and :func:`report_counts`: an ``entas`` command that imports a file runs it
  in the foreground, with a progress bar, as the same recorded job an upload on a page starts, and
  prints the counts (or the job's result as JSON).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from . import jobqueue, uploads
from .errors import FileFormatError, Refused
from .models import Job
from .progress import job_progress
from .spreadsheet import CsvWriter


@dataclasses.dataclass
class RowCounts:
    """The accounting of an import: no row is lost."""

    total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    rejection_file: str | None = None

    def counted(self) -> int:
        """The rows counted so far, whatever became of them."""
        return self.inserted + self.updated + self.unchanged + self.rejected

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class RejectionFile:
    """The rejected rows of an import, written to ``path`` from the first one on (a file with no
    rejected row leaves no file). Each row counts as rejected in ``counts``, which also learns the
    file's path. ``header`` is the file's header as read; ``escaped``: the cells are CSV cells as read,
    already inert (a spreadsheet's cells are values, made inert here)."""

    def __init__(self, path: Path, counts: RowCounts, *, header: list[str], escaped: bool) -> None:
        self.path = path
        self.counts = counts
        self.header = header
        self.escaped = escaped
        self._handle: IO[str] | None = None
        self._writer: CsvWriter | None = None

    def add(self, number: int, reasons: list[str], cells: list[str]) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", newline="", encoding="utf-8-sig")
            self._writer = CsvWriter(self._handle)
            self._writer.writerow(["row_number", "reasons", *self.header])
            self.counts.rejection_file = str(self.path)
        row = [number, " | ".join(reasons), *cells]
        if self.escaped:  # CSV cells: kept as read, already escaped
            self._writer.write_read_cells(row)
        else:  # XLSX cells are values
            self._writer.writerow(row)
        self.counts.rejected += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def run_uploaded_import(
    ctx: jobqueue.JobContext,
    importer: Callable[..., RowCounts],
    *,
    stem: str,
    keep_upload: bool = False,
    **options: Any,
) -> dict[str, Any]:
    """Run ``importer`` on the file a job was given (``params["file"]`` under ``MEDIA_ROOT``, named
    ``params["name"]`` for messages) as the job's actor, with the job's progress, and return its
    counts. The rejected rows become the job's result file (``ditolak-<stem>-<job>.csv``); the
    temporary rejection file and, unless ``keep_upload``, the upload are removed whatever happened
    (they hold personal data). A file that cannot be read as a whole is refused with the reason.
    ``options`` go to the importer. The job checks its actor's permission before calling this."""
    path = Path(settings.MEDIA_ROOT) / ctx.params["file"]
    name = str(ctx.params.get("name") or path.name)
    if not path.is_file():
        raise Refused(
            _(
                "The uploaded file %(name)s is no longer kept (uploads are deleted after %(days)d days, "
                "ENTAS_UPLOAD_RETENTION_DAYS): upload it again."
            )
            % {"name": name, "days": settings.ENTAS_UPLOAD_RETENTION_DAYS},
            code="not_found",
        )
    rejection = Path(settings.MEDIA_ROOT) / "tmp" / f"rejected-{stem}-{ctx.job.pk}.csv"
    try:
        counts = importer(
            path,
            name=name,
            actor=ctx.actor,
            rejection_path=rejection,
            progress=ctx.advance,
            log=ctx.log,
            on_total=ctx.set_total,
            **options,
        )
        if counts.rejection_file:
            ctx.save_result_file(f"ditolak-{stem}-{ctx.job.pk}.csv", rejection.read_bytes())
            counts.rejection_file = ctx.job.result_file.name
    except FileFormatError as exc:
        raise Refused(str(exc)) from exc
    finally:
        rejection.unlink(missing_ok=True)
        if not keep_upload:
            path.unlink(missing_ok=True)
    result = counts.as_dict()
    ctx.log(
        _(
            "%(inserted)d inserted, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected "
            "(%(warnings)d warnings)."
        )
        % result
    )
    return result


def run_import_job(
    file: Path, *, kind: str, actor: Any, folder: str, params: Mapping[str, Any] | None = None, progress: bool = True
) -> dict[str, Any]:
    """Import ``file`` from the command line: a copy goes under ``MEDIA_ROOT/folder`` (where the job
    reads an upload from, and purged the same way), and the job ``kind`` runs it at once, in the
    foreground, with a progress bar when ``progress``. Returns the job's result, its rejection file as
    a full path; a job that failed ends the command with its message."""
    if not file.is_file():
        raise CommandError(f"{file} is not a file.")
    relative = uploads.store_copy(file, owner="cli", folder=folder)
    try:
        job = jobqueue.submit(
            kind=kind, actor=actor, queue=False, params={"file": relative, "name": file.name, **(params or {})}
        )
    except Refused:  # e.g. another import into the same areas is under way
        (Path(settings.MEDIA_ROOT) / relative).unlink(missing_ok=True)
        raise
    with job_progress(f"Import {file.name}", enabled=progress) as on_progress:
        job = jobqueue.execute(job.pk, on_progress=on_progress)
    if job.status != Job.Status.SUCCEEDED:
        raise CommandError(job.error.split("\n\n")[0])
    result = dict(job.result or {})
    if result.get("rejection_file"):
        result["rejection_file"] = str(Path(settings.MEDIA_ROOT) / result["rejection_file"])
    return result


def report_counts(command: BaseCommand, result: Mapping[str, Any], *, as_json: bool, note: str = "") -> None:
    """Print an import's result: as JSON, or its counts in a line (``note`` after it) and where the
    rejected rows are."""
    if as_json:
        command.stdout.write(json.dumps(result))
        return
    command.stdout.write(
        f"{result['total']} rows: {result['inserted']} inserted, {result['updated']} updated, "
        f"{result['unchanged']} unchanged, {result['rejected']} rejected ({result['warnings']} warnings)" + note
    )
    if result.get("rejection_file"):
        command.stdout.write(f"Rejected rows and reasons: {result['rejection_file']}")
