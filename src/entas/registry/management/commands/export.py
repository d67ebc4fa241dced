from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from entas.core.cli import EntasCommand
from entas.registry.exporter import export_partitioned


class Command(EntasCommand):
    help = (
        "Export the registry a user may see for analytics beyond one database. 'entas export parquet "
        "--out DIR' writes one row per member (the import format, with household_id and member_id) as "
        "Parquet partitioned by kabupaten/kota and kecamatan code (DIR/kabupaten=64.71/kecamatan=64.71.01/), "
        "which Spark reads (entas spark score|indicators; docs/scaling.md). DIR must not exist or be empty."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="target", required=True)
        parquet = sub.add_parser("parquet")
        parquet.add_argument("--out", type=Path, required=True, help="Output folder (created; must be empty).")

    def handle(self, *args: Any, target: str, out: Path, actor: Any, as_json: bool, **options: Any) -> None:
        from entas.accounts.roles import Capability
        from entas.core import audit

        if not actor.can(Capability.EXPORT_REGISTRY):
            raise CommandError(_("%(user)s may not export the registry.") % {"user": actor.username})
        try:
            rows = export_partitioned(actor, out)
        except FileExistsError as exc:
            raise CommandError(_("The folder %(out)s is not empty.") % {"out": out}) from exc
        files = sorted(str(p.relative_to(out)) for p in out.rglob("*.parquet"))
        audit.record(
            actor=actor,
            action="registry.export",
            object_type="registry.household",
            object_repr=f"{rows} rows (parquet, partitioned)",
            after={"rows": rows, "format": "parquet-partitioned", "folder": str(out), "files": len(files)},
        )
        self.emit(
            {"rows": rows, "out": str(out), "format": "parquet", "partitions": len(files)},
            f"{rows} member rows written to {out} in {len(files)} partitions",
            as_json=as_json,
        )
