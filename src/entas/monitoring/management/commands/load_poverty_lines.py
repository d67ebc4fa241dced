from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.core.errors import Refused
from entas.core.uploads import read_text
from entas.monitoring.services import DEFAULT_LINES_FILE, load_poverty_lines


class Command(EntasCommand):
    actor_mode = "optional"

    help = (
        "Load poverty lines (BPS garis kemiskinan per period, international extreme-poverty lines) from a CSV; "
        "without FILE, Kota Balikpapan's series. Columns: region_code, kind (national|extreme), name, period, "
        "rupiah_per_capita_month, ppp_base, confirmed, source. Unconfirmed values stay flagged."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", type=Path)

    def handle(self, *args: Any, file: Path | None, **options: Any) -> None:
        path = file or DEFAULT_LINES_FILE
        try:
            count = load_poverty_lines(text=read_text(path), actor=options.get("actor"))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except Refused as exc:
            problems = exc.problems or [exc.message]
            for error in problems:
                self.stderr.write(error)
            raise CommandError(f"{len(problems)} problem(s) in {path}; nothing was loaded.") from exc
        self.stdout.write(f"{count} poverty lines loaded from {path.name}.")
