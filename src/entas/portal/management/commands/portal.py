from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, ClassVar

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.portal import importer, services


class Command(EntasCommand):
    help = (
        "The citizen portal. 'entas portal escalate [--json]': raise the escalation of open complaints past "
        "their service levels, and delete the public visit log past ENTAS_PORTAL_VISIT_RETENTION_DAYS (run it daily "
        "from cron, or as the portal.escalate job). 'entas portal import "
        "FILE --as USER [--json]': take in complaints from an SP4N-LAPOR! CSV export (columns in "
        "docs/citizen-portal.md); every row is counted as inserted, unchanged (already imported) or rejected."
    )
    no_actor: ClassVar[frozenset[str]] = frozenset({"escalate"})

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("escalate", help="Escalate complaints past their service levels.")
        imp = sub.add_parser("import", help="Import complaints from an SP4N-LAPOR! CSV export.")
        imp.add_argument("file", type=Path)

    def handle(self, *args: Any, action: str, actor: Any = None, as_json: bool = False, **options: Any) -> None:
        if action == "escalate":
            raised = services.escalate()
            raised["visits_purged"] = services.purge_visits()
            self.stdout.write(
                json.dumps(raised)
                if as_json
                else f"{raised['supervisor']} escalated to the supervisor, {raised['head']} to the head of the agency"
            )
            return
        actor = self.require_actor(actor)
        file: Path = options["file"]
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        summary = importer.import_lapor(file, actor=actor)
        if as_json:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False))
            return
        self.stdout.write(
            f"{summary.total} rows: {summary.inserted} inserted, {summary.unchanged} unchanged, "
            f"{summary.rejected} rejected"
        )
        for rejection in summary.rejections:
            self.stdout.write(f"row {rejection['row']}: {'; '.join(rejection['reasons'])}")
