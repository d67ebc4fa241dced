"""``entas restore FILE``: a backup into an empty database, checked table by table (entas.core.backup)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, ClassVar

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from entas.core import backup
from entas.core.cli import EntasCommand


class Command(EntasCommand):
    help = (
        "Restore a backup made by `entas backup` into the EMPTY database named by ENTAS_DATABASE_URL "
        "(an empty PostgreSQL database, or a SQLite file that does not exist yet) and its files into "
        "MEDIA_ROOT, then check that every table's row count and content checksum match the backup. "
        "Refuses a damaged archive and a database that is not empty, before changing anything. "
        "Exit status 1 when refused or when the check finds a difference. Then run `entas migrate` "
        "(a backup of an older version) and `entas collectstatic --noinput`."
    )
    actor_mode: ClassVar[str] = "none"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="The backup archive (.tar.gz) written by `entas backup`.")

    def handle(self, *args: Any, file: str, as_json: bool, **options: Any) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No backup file %(file)s.") % {"file": path})
        started = time.monotonic()
        report = backup.restore_backup(path)
        result = report.as_dict()
        result["seconds"] = round(time.monotonic() - started, 2)
        if not as_json:
            result.pop("fingerprints")
        lines = [
            f"Restored {path} (made {report.manifest.created_at}) into {report.database}: "
            f"{result['tables']} tables, {result['rows']} rows, {report.files} files, {result['seconds']} s."
        ]
        if report.ok:
            lines.append("Every table's row count and checksum match the backup.")
        else:
            lines.append("DIFFERENCES from the backup:")
            lines += [f"  {line}" for line in report.mismatches]
        self.emit(result, "\n".join(lines), as_json=as_json)
        if not report.ok:
            raise CommandError(_("The restored database differs from the backup."), returncode=1)
