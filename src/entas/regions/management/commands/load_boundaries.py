from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.core.errors import Refused
from entas.core.uploads import read_text
from entas.regions.services import load_boundaries


class Command(EntasCommand):
    actor_mode = "optional"

    help = (
        "Attach boundary polygons from a GeoJSON FeatureCollection to loaded regions, matched by the "
        "feature property 'code' (Kemendagri code). Unknown codes, duplicates and broken geometry "
        "are reported and nothing is attached."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, help="GeoJSON file(s), e.g. ../shared/data/*.geojson")

    def handle(self, *args: Any, files: list[Path], **options: Any) -> None:
        for path in files:
            try:
                text = read_text(path, rows=False)  # GeoJSON is often written on one line
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc}") from exc
            except Refused as exc:
                raise CommandError(exc.message) from exc
            try:
                report = load_boundaries(text=text, actor=options.get("actor"), source=path.name)
            except Refused as exc:
                for error in exc.problems:
                    self.stderr.write(error)
                raise CommandError(f"{len(exc.problems)} problem(s) in {path}; nothing was attached.") from exc
            self.stdout.write(f"{path.name}: {report.updated} boundaries attached, {report.unchanged} unchanged.")
