from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from entas.accounts.models import User
from entas.core import jobqueue, uploads
from entas.core.errors import Refused
from entas.core.models import Job
from entas.core.progress import job_progress
from entas.registry.choices import RegistrationSource
from entas.registry.jobs import IMPORT_DIR


class Command(BaseCommand):
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
        parser.add_argument("--user", help="Import as this user (their areas apply). Default: system, all areas.")
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print the summary as one JSON object (inserted, updated, unchanged, rejected, rejection_file).",
        )

    def handle(
        self, *args: Any, file: Path, dry_run: bool, source: str, user: str | None, as_json: bool, **options: Any
    ) -> None:
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user {user!r}.")
        # The job reads its file from MEDIA_ROOT, like an upload from the page (and it is purged the same way).
        try:
            relative = uploads.store_copy(file, owner="cli", folder=IMPORT_DIR)
        except Refused as exc:
            raise CommandError(exc.message) from exc
        job = jobqueue.submit(
            kind="registry.import",
            actor=actor,
            queue=False,
            params={"file": relative, "name": file.name, "source": source, "dry_run": dry_run},
        )
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
