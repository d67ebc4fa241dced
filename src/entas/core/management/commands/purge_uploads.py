from __future__ import annotations

from argparse import ArgumentParser
from typing import Any, ClassVar

from entas.core.cli import EntasCommand
from entas.core.uploads import purge_uploads


class Command(EntasCommand):
    help = (
        "Delete uploaded files (MEDIA_ROOT/imports) older than ENTAS_UPLOAD_RETENTION_DAYS (default 7) that no "
        "waiting or running job reads, the temporary files of ended jobs (MEDIA_ROOT/tmp) and partial copies "
        "left by a full disk. The worker does this every hour; run it from cron where no worker runs."
    )
    actor_mode: ClassVar[str] = "none"

    def add_arguments(self, parser: ArgumentParser) -> None:
        pass

    def handle(self, *args: Any, as_json: bool, **options: Any) -> None:
        report = purge_uploads()
        self.emit(
            report.as_dict(),
            f"{report.uploads} uploads and {report.temporary} temporary files deleted ({report.bytes} bytes).",
            as_json=as_json,
        )
