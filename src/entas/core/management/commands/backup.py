"""``entas backup --out FILE``: the database and the files entas keeps, in one archive (entas.core.backup)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, ClassVar

from django.utils import timezone

from entas.core import audit, backup
from entas.core.cli import EntasCommand


class Command(EntasCommand):
    help = (
        "Back up the database (SQLite's online backup, or pg_dump's custom format) and the uploaded and "
        "generated files (MEDIA_ROOT) into one .tar.gz with a manifest: every file's SHA-256 and every "
        "table's row count and content checksum. Runs while entas runs. Restore with `entas restore FILE`."
    )
    actor_mode: ClassVar[str] = "optional"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--out",
            default="",
            help="The archive to write (default: var/backups/entas-YYYYmmdd-HHMMSS.tar.gz). It holds personal "
            "data: keep it where only the administrators can read it.",
        )

    def handle(self, *args: Any, out: str, actor: Any, as_json: bool, **options: Any) -> None:
        from django.conf import settings

        path = (
            Path(out)
            if out
            else Path(settings.VAR_DIR) / "backups" / f"entas-{timezone.localtime():%Y%m%d-%H%M%S}.tar.gz"
        )
        started = time.monotonic()
        manifest = backup.create_backup(path)
        seconds = time.monotonic() - started
        size = path.stat().st_size
        audit.record(
            actor=actor,
            action="system.backup",
            object_type="backup",
            object_repr=path.name,
            after={"file": str(path), "bytes": size, "tables": len(manifest.tables), "rows": manifest.total_rows},
        )
        result = {
            "file": str(path),
            "bytes": size,
            "seconds": round(seconds, 2),
            "vendor": manifest.vendor,
            "tables": len(manifest.tables),
            "rows": manifest.total_rows,
            "files": len(manifest.files) - 1,
            "created_at": manifest.created_at,
        }
        text = (
            f"Backup written to {path} ({size / 1e6:.1f} MB, {seconds:.1f} s): {manifest.vendor} database, "
            f"{len(manifest.tables)} tables, {manifest.total_rows} rows, {result['files']} files."
        )
        self.emit(result, text, as_json=as_json)
