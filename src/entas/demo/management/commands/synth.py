from __future__ import annotations

import json
import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.synth import SynthConfig, build, write
from entas.synth.report import as_text


class Command(EntasCommand):
    actor_mode = "none"

    help = (
        "Generate a synthetic, calibrated city (households and members in the registry import format, truth "
        "files, a Susenas-like survey sample, optional data faults with ground truth and panel waves). The same "
        "seed gives byte-identical files. --load imports the registry through the real import path; --report "
        "prints the generated figures next to the calibration targets. See docs/synthetic-data.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--households", type=int, default=10_000, help="Number of households (KK).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed.")
        parser.add_argument("--out", type=Path, help="Output folder (default: a temporary folder with --load).")
        parser.add_argument("--city", default="64.71", help="Kemendagri code of the city (its calibration file).")
        parser.add_argument(
            "--province",
            help="Kemendagri code of a province (64): every kabupaten/kota in proportion to its population, "
            "with its region tree (synthetic kecamatan and kelurahan outside Balikpapan). Use with --members.",
        )
        parser.add_argument(
            "--members", type=int, help="With --province: members in the whole province (e.g. 5000000)."
        )
        parser.add_argument("--faults", type=float, default=0.0, help="Base rate of data-quality faults, e.g. 0.02.")
        parser.add_argument(
            "--survey-size", type=int, help="Households in the survey sample (default 2 %%, at least 1,500)."
        )
        parser.add_argument("--waves", type=int, default=0, help="Panel waves after the baseline.")
        parser.add_argument(
            "--effect", type=float, default=0.10, help="Treatment effect of the panel's programme on log consumption."
        )
        parser.add_argument("--parquet", action="store_true", help="Also write Parquet copies of the files.")
        parser.add_argument("--load", action="store_true", help="Import the registry file into the database.")
        parser.add_argument("--report", action="store_true", help="Print the generated figures and the targets.")

    def handle(self, *args: Any, **o: Any) -> None:
        if o["out"] is None and not o["load"] and not o["report"]:
            raise CommandError("Give --out DIR, --load or --report.")
        if o["province"]:
            self._province(o)
            return
        try:
            config = SynthConfig(
                households=o["households"],
                seed=o["seed"],
                city=o["city"],
                faults=o["faults"],
                survey_size=o["survey_size"],
                waves=o["waves"],
                treatment_effect=o["effect"],
            )
            city = build(config)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        out = o["out"] or (Path(tempfile.mkdtemp(prefix="entas-synth-")) if o["load"] else None)
        if out is not None:
            files = write(city, out, parquet=o["parquet"])
            if not o["as_json"]:
                self.stdout.write(
                    f"{city.population.n_households:,} households, {city.population.n_members:,} "
                    f"members written to {out} ({len(files)} files)"
                )
        if o["report"]:
            self.stdout.write(json.dumps(city.report, indent=2) if o["as_json"] else as_text(city.report))
        if o["load"]:
            assert out is not None
            # The real import path: the same command (and job) an operator's file goes through.
            call_command(
                "import_registry",
                str(out / "registry.csv"),
                "--source",
                "dtsen",
                verbosity=o["verbosity"],
                stdout=self.stdout,
                stderr=self.stderr,
            )
            # The sample survey becomes a survey round, for the poverty profile and PMT fitting.
            call_command(
                "import_survey",
                str(out / "survey.csv"),
                "--year",
                str(int(config.reference_date[:4]) - 1),
                "--name",
                "Susenas sintetis",
                stdout=self.stdout,
                stderr=self.stderr,
            )

    def _province(self, o: dict[str, Any]) -> None:
        from entas.synth.province import build_province

        if o["report"] or o["faults"] or o["waves"] or o["parquet"]:
            raise CommandError(
                "--province writes the registry, regions and survey only (no --report, --faults, --waves or --parquet)."
            )
        out = o["out"] or Path(tempfile.mkdtemp(prefix="entas-synth-province-"))
        try:
            summary = build_province(
                out,
                code=o["province"],
                members=o["members"] or 1_000_000,
                seed=o["seed"],
                survey_per_kabupaten=o["survey_size"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if o["as_json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "out": str(out),
                        "members": summary.members,
                        "households": summary.households,
                        "kabupaten": summary.kabupaten,
                    }
                )
            )
        else:
            self.stdout.write(
                f"{len(summary.kabupaten)} kabupaten/kota, {summary.households:,} households, "
                f"{summary.members:,} members written to {out}"
            )
        if o["load"]:
            call_command("load_regions", str(summary.files["regions"]), stdout=self.stdout, stderr=self.stderr)
            call_command(
                "import_registry",
                str(summary.files["registry"]),
                "--source",
                "dtsen",
                verbosity=o["verbosity"],
                stdout=self.stdout,
                stderr=self.stderr,
            )
            call_command(
                "import_survey",
                str(summary.files["survey"]),
                "--year",
                "2025",
                "--name",
                "Susenas sintetis (provinsi)",
                stdout=self.stdout,
                stderr=self.stderr,
            )
