from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from entas.core.cli import EntasCommand
from entas.core.errors import Refused
from entas.core.money import format_rupiah
from entas.training import catalogue, importer, selectors, services
from entas.training.models import Cohort, Course


class Command(EntasCommand):
    help = (
        "Skills training (docs/training.md). 'load FILE.yaml': providers, courses and cohorts "
        "(docs/examples/training.yaml). 'apply COHORT (--file F | --rule EXPR)': applications from a file "
        "or from a targeting rule evaluated once per registry member. 'select COHORT': the selection with "
        "quotas and a waiting list. 'attendance|complete|tracer COHORT --file F': files of a cohort (each row "
        "inserted, updated, unchanged or rejected, rejected rows to a rejection file). 'outcomes [--course C]'."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load a catalogue of providers, courses and cohorts (YAML).")
        load.add_argument("file", type=Path)
        apply = sub.add_parser("apply", help="Apply people to a cohort from a file or a rule.")
        apply.add_argument("cohort")
        source = apply.add_mutually_exclusive_group(required=True)
        source.add_argument("--file", type=Path)
        source.add_argument("--rule")
        select = sub.add_parser("select", help="Select a cohort's trainees.")
        select.add_argument("cohort")
        for name, text in (
            ("attendance", "Import attendance (nik, session, status)."),
            ("complete", "Import completions and certificates (nik, outcome, ended_on, ...)."),
            ("tracer", "Import tracer results (nik, months, surveyed_on, employment, ...)."),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("cohort")
            p.add_argument("--file", type=Path, required=True)
        outcomes = sub.add_parser("outcomes", help="Outcome figures (aggregates only).")
        outcomes.add_argument("--course", default="")
        outcomes.add_argument(
            "--as",
            "--user",
            dest="username",
            default="",
            metavar="USER",
            help="Count what this user may count (without it: the whole city).",
        )

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **options: Any) -> None:
        if action == "outcomes":
            self._outcomes(actor, options["course"], as_json)
            return
        actor = self.require_actor(actor)
        if action == "load":
            counts = catalogue.load_file(options["file"], actor=actor)
            text = "; ".join(
                f"{kind}: {c['inserted']} inserted, {c['updated']} updated, {c['unchanged']} unchanged"
                for kind, c in counts.items()
            )
            self.emit(counts, text, as_json=as_json)
            return
        cohort = self._cohort(options["cohort"])
        if action == "select":
            result = services.select_cohort(cohort=cohort, actor=actor)
            quotas = ", ".join(f"{q['name']} {q['achieved']:g}/{q['target']:g}" for q in result["quotas"])
            self.emit(
                result,
                f"{cohort.code}: {result['selected']} of {result['seats']} seats selected, {result['waiting']} "
                f"waiting, {result['not_eligible']} not eligible" + (f"; quotas {quotas}" if quotas else ""),
                as_json=as_json,
            )
            return
        if action == "apply" and options.get("rule"):
            applied = services.apply_rule(cohort=cohort, expression=options["rule"], actor=actor).as_dict()
            self.emit(
                applied,
                f"{applied['accepted']} accepted, {applied['already']} applied before, {applied['refused']} refused",
                as_json=as_json,
            )
            return
        self._file(action, cohort, options["file"], actor, as_json)

    def _cohort(self, code: str) -> Cohort:
        cohort = Cohort.objects.select_related("course").filter(code=code).first()
        if cohort is None:
            raise CommandError(f"No cohort {code!r}.")
        return cohort

    def _file(self, action: str, cohort: Cohort, path: Path, actor: Any, as_json: bool) -> None:
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        rejection = Path(settings.MEDIA_ROOT) / "tmp" / f"rejected-training-{action}-{cohort.code}-{stamp}.csv"
        summary = importer.import_file(path, kind=action, cohort=cohort, actor=actor, rejection_path=rejection)
        result = summary.as_dict()
        text = (
            f"{result['total']} rows: {result['inserted']} inserted, {result['updated']} updated, "
            f"{result['unchanged']} unchanged, {result['rejected']} rejected"
        )
        if result["to_verify"]:
            text += f" ({result['to_verify']} not in the registry, flagged for verification)"
        if result["rejection_file"]:
            text += f"\nRejected rows and reasons: {result['rejection_file']}"
        self.emit(result, text, as_json=as_json)

    def _outcomes(self, actor: Any, course_code: str, as_json: bool) -> None:
        course = None
        if course_code:
            course = Course.objects.filter(code=course_code).first()
            if course is None:
                raise CommandError(f"No course {course_code!r}.")
        if actor is not None and not selectors.can_see_outcomes(actor):
            raise Refused("You may not see training outcomes.", code="forbidden")
        result = selectors.outcomes(actor, course)
        t = result["total"]
        lines = [
            f"Total: {t['applicants']} applicants, {t['selected']} selected, {t['completed']} completed, "
            f"{t['certified']} certified, placement {_pct(t['placement_rate'])}"
        ]
        for row in result["by"]["course"]:
            lines.append(
                f"  {row['group']}: {row['selected']} selected, {row['completed']} completed, "
                f"placement {_pct(row['placement_rate'])}, cost per completer {_rp(row['cost_per_completer'])}"
            )
        self.emit(result, "\n".join(lines), as_json=as_json)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _rp(value: float | None) -> str:
    return format_rupiah(None if value is None else round(value))
