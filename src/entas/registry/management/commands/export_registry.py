from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from entas.accounts.models import User
from entas.registry.exporter import FORMATS, export_registry


class Command(BaseCommand):
    help = (
        "Export the households and members a user may see, in the import format (one row per member), "
        "as CSV, XLSX or Parquet. An export re-imports unchanged."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=FORMATS, default="csv", dest="fmt")
        parser.add_argument("--out", type=Path, required=True, help="Output file.")
        parser.add_argument("--user", required=True, help="Export as this user (their role and areas apply).")

    def handle(self, *args: Any, fmt: str, out: Path, user: str, **options: Any) -> None:
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {user!r}.")
        from entas.accounts.roles import Capability
        from entas.core import audit

        if not actor.can(Capability.EXPORT_REGISTRY):
            raise CommandError(f"{user} may not export the registry.")
        rows = export_registry(actor, out, fmt)
        audit.record(
            actor=actor,
            action="registry.export",
            object_type="registry.household",
            object_repr=f"{rows} rows ({fmt})",
            after={"rows": rows, "format": fmt, "file": str(out)},
        )
        self.stdout.write(f"{rows} member rows written to {out}")
