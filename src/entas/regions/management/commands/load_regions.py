from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.core.errors import Refused
from entas.core.uploads import read_text
from entas.regions.services import DEFAULT_REGIONS_FILE, load_regions


class Command(EntasCommand):
    actor_mode = "optional"

    help = (
        "Load the region tree (province, kabupaten/kota, kecamatan, kelurahan/desa) from a CSV. "
        "Without FILE, loads Kota Balikpapan. Columns: see src/entas/regions/data/README.md. "
        "A file with any bad row is reported in full and nothing is loaded; re-running is safe."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="CSV file (default: Kota Balikpapan).")

    def handle(self, *args: Any, file: Path | None, **options: Any) -> None:
        path = file or DEFAULT_REGIONS_FILE
        try:
            text = read_text(path)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except Refused as exc:
            raise CommandError(exc.message) from exc
        try:
            report = load_regions(text=text, actor=options.get("actor"), source=str(path.name))
        except Refused as exc:
            for error in exc.problems:
                self.stderr.write(error)
            raise CommandError(f"{len(exc.problems)} problem(s) in {path}; nothing was loaded.") from exc
        self.stdout.write(
            f"{report.total} regions from {path.name}: {report.created} created, "
            f"{report.updated} updated, {report.unchanged} unchanged."
        )
