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
from entas.payees.jobs import IMPORT_DIR


class Command(EntasCommand):
    help = (
        "Payees' bank accounts. 'entas payee import FILE --as USER [--json]': a CSV or XLSX file with the "
        "columns kk_number, bank_code, account_number, account_holder, one row per family; every row is "
        "counted as inserted, updated, unchanged or rejected, and rejected rows go to a rejection file with "
        "their reasons. Only families of the user's areas are changed; re-running the file changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Import accounts from a CSV or XLSX file.")
        imp.add_argument("file", type=Path)

    def handle(self, *args: Any, action: str, file: Path, actor: Any, as_json: bool, **options: Any) -> None:
        actor = self.require_actor(actor)
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        relative = uploads.store_copy(file, owner="cli", folder=IMPORT_DIR)
        try:
            job = jobqueue.submit(
                kind="payees.import", actor=actor, queue=False, params={"file": relative, "name": file.name}
            )
        except Refused:
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
        )
        if result.get("rejection_file"):
            self.stdout.write(f"Rejected rows and reasons: {result['rejection_file']}")
