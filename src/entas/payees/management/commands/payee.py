from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from entas.core.cli import EntasCommand
from entas.core.fileimport import report_counts, run_import_job
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
        result = run_import_job(
            file,
            kind="payees.import",
            actor=actor,
            folder=IMPORT_DIR,
            progress=not as_json and options["verbosity"] > 0,
        )
        report_counts(self, result, as_json=as_json)
