"""``entas partner load|contribution``: partners and their contributions from the command line.

entas partner load docs/examples/partners.csv --as bappeda [--json]
entas partner contribution docs/examples/partner-contributions.csv --as bappeda [--json]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from entas.core.cli import EntasCommand
from entas.core.fileimport import report_counts, run_import_job
from entas.participation.jobs import IMPORT_DIR


class Command(EntasCommand):
    help = "Partners (NGO, CSR, university, faith-based, bank) with their MoU/PKS, and their contributions."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load partners (one row each, with an MoU/PKS) from a CSV or XLSX file.")
        load.add_argument("file", type=Path)
        load.add_argument("--no-progress", action="store_true")
        contribution = sub.add_parser("contribution", help="Load contributions, pledged and delivered, from a file.")
        contribution.add_argument("file", type=Path)
        contribution.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **options: Any) -> None:
        actor = self.require_actor(actor)
        kind = "participation.partners" if action == "load" else "participation.contributions"
        result = run_import_job(
            options["file"], kind=kind, actor=actor, folder=IMPORT_DIR, progress=not options["no_progress"]
        )
        report_counts(self, result, as_json=as_json)
