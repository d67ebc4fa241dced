from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.core.errors import Refused
from entas.monitoring.services import import_survey


class Command(EntasCommand):
    actor_mode = "optional"

    help = (
        "Import a household survey with observed consumption (Susenas or the synthetic sample survey.csv): one row "
        "per household with kk_number, kelurahan_code, stratum, psu, weight, household_size, consumption_per_capita. "
        "A file with any bad row is reported and not imported."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--name", default="Susenas", help="Name of the survey round.")
        parser.add_argument("--year", type=int, required=True, help="Year of the survey round.")

    def handle(self, *args: Any, file: Path, name: str, year: int, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        try:
            survey = import_survey(path=file, name=name, year=year, actor=options.get("actor"))
        except Refused as exc:
            problems = exc.problems or [exc.message]
            for error in problems[:50]:
                self.stderr.write(error)
            raise CommandError(f"{len(problems)} problem(s) in {file}; nothing was imported.") from exc
        self.stdout.write(f"Survey round {survey} imported: {survey.households.count()} households.")
