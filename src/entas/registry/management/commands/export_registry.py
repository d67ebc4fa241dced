from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.registry.exporter import FORMATS, export_registry


class Command(EntasCommand):
    help = (
        "Export the households and members a user may see, in the import format (one row per member), "
        "as CSV, XLSX or Parquet. An export re-imports unchanged."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=FORMATS, default="csv", dest="fmt")
        parser.add_argument("--out", type=Path, required=True, help="Output file.")

    def handle(self, *args: Any, fmt: str, out: Path, actor: Any, as_json: bool, **options: Any) -> None:
        from entas.accounts.roles import Capability
        from entas.core import audit

        if not actor.can(Capability.EXPORT_REGISTRY):
            raise CommandError(f"{actor.username} may not export the registry.")
        rows = export_registry(actor, out, fmt)
        audit.record(
            actor=actor,
            action="registry.export",
            object_type="registry.household",
            object_repr=f"{rows} rows ({fmt})",
            after={"rows": rows, "format": fmt, "file": str(out)},
        )
        self.emit(
            {"rows": rows, "out": str(out), "format": fmt}, f"{rows} member rows written to {out}", as_json=as_json
        )
