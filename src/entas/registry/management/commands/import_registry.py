from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from entas.core import jobqueue, uploads
from entas.core.cli import EntasCommand
from entas.core.errors import Refused
from entas.core.models import Job
from entas.core.progress import job_progress
from entas.registry.choices import RegistrationSource
from entas.registry.jobs import IMPORT_DIR


class Command(EntasCommand):
    actor_mode = "optional"

    help = (
        "Import households and members from a CSV (comma or semicolon; UTF-8 or Windows-1252) or XLSX file "
        "with one row per member and the household's columns repeated (see docs/registry-import.md). "
        "Good families are kept, every rejected row goes to a rejection file with its reasons; re-running "
        "the same file changes nothing. Runs in the foreground with a progress bar, as a recorded job."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check and count, write nothing.")
        parser.add_argument(
            "--source",
            choices=[s.value for s in RegistrationSource],
            default=RegistrationSource.OPERATOR,
            help="Where the data comes from (recorded on new families).",
        )

    def handle(
        self, *args: Any, file: Path, dry_run: bool, source: str, actor: Any, as_json: bool, **options: Any
    ) -> None:
        # Without --as the import runs as the system, over every loaded kelurahan.
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        # The job reads its file from MEDIA_ROOT, like an upload from the page (and it is purged the same way).
        relative = uploads.store_copy(file, owner="cli", folder=IMPORT_DIR)
        try:
            job = jobqueue.submit(
                kind="registry.import",
                actor=actor,
                queue=False,
                params={"file": relative, "name": file.name, "source": source, "dry_run": dry_run},
            )
        except Refused:  # another import into these areas is under way
            (Path(settings.MEDIA_ROOT) / relative).unlink(missing_ok=True)
            raise
        with job_progress(f"Import {file.name}", enabled=not as_json and options["verbosity"] > 0) as on_progress:
            job = jobqueue.execute(job.pk, on_progress=on_progress)
        if job.status != Job.Status.SUCCEEDED:
            raise CommandError(job.error.split("\n\n")[0])
        result = dict(job.result or {})
        if result.get("rejection_file"):
            result["rejection_file"] = str(Path(settings.MEDIA_ROOT) / result["rejection_file"])
        if as_json:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"{result['total']} rows: {result['inserted']} inserted, {result['updated']} updated, "
            f"{result['unchanged']} unchanged, {result['rejected']} rejected ({result['warnings']} warnings)"
            + (" [dry run: nothing written]" if dry_run else "")
        )
        if result.get("rejection_file"):
            self.stdout.write(f"Rejected rows and reasons: {result['rejection_file']}")
