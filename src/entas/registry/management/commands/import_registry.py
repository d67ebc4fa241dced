from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from entas.core.cli import EntasCommand
from entas.core.fileimport import report_counts, run_import_job
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
        result = run_import_job(
            file,
            kind="registry.import",
            actor=actor,
            folder=IMPORT_DIR,
            params={"source": source, "dry_run": dry_run},
            progress=not as_json and options["verbosity"] > 0,
        )
        report_counts(self, result, as_json=as_json, note=" [dry run: nothing written]" if dry_run else "")
