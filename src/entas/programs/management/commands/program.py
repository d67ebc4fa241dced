from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.core.errors import Refused
from entas.core.money import format_rupiah
from entas.programs import definition, services
from entas.programs.models import Programme


class Command(EntasCommand):
    help = (
        "Cash programmes from the command line, under a named user whose role applies: 'entas program load FILE.yaml "
        "--as USER' creates or updates a programme (docs/examples/blt.yaml), 'entas program enrol NAME --as USER' "
        "enrols the households its rule selects, 'entas program add|exit NAME --kk KK --reason TEXT --as USER' enrols "
        "or exits one household by hand, 'entas program list'; shock mode: 'entas program flag --event EVENT "
        "--kind lost_income|disaster|other (--kk KK_NUMBER | --file FILE.csv) --as USER' reports affected households "
        "(a CSV with columns kk_number, kind, note), which a programme with 'shock: {event: EVENT, until: DATE}' "
        "in its YAML selects from (docs/examples/blt-shock.yaml). --json prints the result as JSON."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load")
        load.add_argument("file", type=Path)
        enrol = sub.add_parser("enrol")
        enrol.add_argument("name")
        add = sub.add_parser("add", help="Enrol one household by hand, with the reason.")
        leave = sub.add_parser("exit", help="Exit one household, with the reason.")
        for p in (add, leave):
            p.add_argument("name")
            p.add_argument("--kk", required=True)
            p.add_argument("--reason", required=True)
        flag = sub.add_parser("flag")
        flag.add_argument("--event", required=True)
        flag.add_argument("--kind", default="lost_income")
        flag.add_argument("--note", default="")
        source = flag.add_mutually_exclusive_group(required=True)
        source.add_argument("--kk", help="KK number of one household")
        source.add_argument("--file", type=Path, help="CSV with columns kk_number, kind (optional), note (optional)")
        sub.add_parser("list")

    no_actor = frozenset({"list"})

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action}")(**options)

    def _print(self, result: dict[str, Any], as_json: bool, text: str) -> None:
        self.emit(result, text, as_json=as_json)

    def do_load(self, *, file: Path, actor: Any, as_json: bool, **options: Any) -> None:
        """Read and check the file whole (programs.definition: every problem positioned), then define the
        programme through the audited service."""
        try:
            with file.open("rb") as handle:
                data = handle.read(definition.MAX_BYTES + 1)  # the parser refuses a longer file
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            spec = definition.parse_programme(data, source=file.name)
        except Refused as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            raise
        fields = spec.as_model_fields()
        programme, created = services.define_programme(
            name=fields.pop("name"),
            fields=fields,
            rule_name=spec.rule.name,
            rule_expression=spec.rule.expression,
            exclusive_with=spec.exclusive_with,
            actor=actor,
        )
        self._print(
            {"programme": programme.name, "id": programme.pk, "created": created},
            as_json,
            f"Programme {programme.name!r} {'created' if created else 'updated'} (id {programme.pk}).",
        )

    def do_enrol(self, *, name: str, actor: Any, as_json: bool, **options: Any) -> None:
        programme = Programme.objects.filter(name=name).first()
        if programme is None:
            raise CommandError(f"No programme {name!r}.")
        result = services.enrol(programme=programme, actor=actor)
        self._print(
            result,
            as_json,
            f"{result['enrolled']} enrolled, {result['not_eligible']} no longer eligible, "
            f"{result['held_duplicate']} held for a possible duplicate, {result['held_exclusive']} in an exclusive "
            f"programme; {result['total_enrolled']} enrolled in all.",
        )

    def do_flag(
        self,
        *,
        event: str,
        kind: str,
        note: str,
        kk: str | None,
        file: Path | None,
        actor: Any,
        as_json: bool,
        **options: Any,
    ) -> None:
        """Report affected households; every line is applied or listed with its reason (nothing is lost)."""
        from entas.core import uploads

        rows: list[dict[str, Any]]
        if kk:
            rows = [{"kk_number": kk, "kind": kind, "note": note, "line": 1}]
        else:
            assert file is not None
            try:
                with uploads.csv_dict_rows(file) as (header, lines):
                    if "kk_number" not in header:
                        raise CommandError(f"{file} needs a kk_number column.")
                    rows = [{**r, "line": i} for i, r in lines]
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc}") from exc
            except Refused as exc:  # not a readable CSV: said as the upload pages say it
                raise CommandError(exc.message) from exc
        result = services.flag_affected_rows(rows=rows, event=event, kind=kind, note=note, actor=actor)
        flagged, refused = result["flagged"], result["refused"]
        self._print(result, as_json, f"{flagged} households flagged for {event!r}; {len(refused)} refused.")
        for r in refused if not as_json else []:
            self.stderr.write(f"line {r['line']} (KK {r['kk_number']}): {r['reason']}")

    def _one(self, name: str, kk: str) -> tuple[Programme, Any]:
        from entas.registry.models import Household

        programme = Programme.objects.filter(name=name).first()
        if programme is None:
            raise CommandError(f"No programme {name!r}.")
        household = Household.objects.filter(kk_number=kk).first()
        if household is None:
            raise CommandError(f"No household with KK number {kk}.")
        return programme, household

    def do_add(self, *, name: str, kk: str, reason: str, actor: Any, as_json: bool, **options: Any) -> None:
        m = self._by_hand(services.enrol_by_hand, name, kk, reason, actor)
        self._print({"kk": kk, "state": m.state, "reason": m.reason}, as_json, f"KK {kk}: {m.state} ({m.reason}).")

    def do_exit(self, *, name: str, kk: str, reason: str, actor: Any, as_json: bool, **options: Any) -> None:
        m = self._by_hand(services.exit_household, name, kk, reason, actor)
        self._print({"kk": kk, "state": m.state, "reason": m.reason}, as_json, f"KK {kk}: exited ({m.reason}).")

    def _by_hand(self, step: Any, name: str, kk: str, reason: str, actor: Any) -> Any:
        """One household's enrolment or exit by hand (``step``)."""
        programme, household = self._one(name, kk)
        return step(programme=programme, household=household, reason=reason, actor=actor)

    def do_list(self, **options: Any) -> None:
        for p in Programme.objects.all():
            self.stdout.write(
                f"{p.pk}\t{p.name}\t{p.get_channel_display()}\t{format_rupiah(p.budget_ceiling)}\t"
                f"{p.enrolments.filter(state='enrolled').count()} enrolled"
            )
