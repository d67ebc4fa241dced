from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.programs import files, services
from entas.programs.jobs import export_cycle
from entas.programs.models import Cycle, Programme


class Command(EntasCommand):
    help = (
        "Payment cycles of a cash programme, each step under a named user (role and maker-checker enforced): "
        "'entas cycle create PROGRAMME --period 2026-12 --as USER'; 'entas cycle prepare|submit|approve|disburse|"
        "close|cancel|retry CYCLE --as USER'; 'entas cycle reconcile CYCLE --file RESULT --as USER' (a pain.002 "
        "status report, or a CSV with columns reference,status,reason); "
        "'entas cycle export CYCLE --format pain001|csv|xlsx|pdf --out FILE --as USER'. "
        "--json prints ids, counts, totals and the new state; a refused step exits non-zero with the reason."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("programme")
        create.add_argument("--period", required=True)
        parsers = [create]
        for step in services.STEPS:
            p = sub.add_parser(step)
            p.add_argument("cycle", type=int)
            if step == "retry":
                p.add_argument(
                    "--payment",
                    type=int,
                    action="append",
                    dest="payments",
                    help="Retry only this failed payment (id; repeatable), e.g. once its account is fixed.",
                )
            parsers.append(p)
        reconcile = sub.add_parser("reconcile")
        reconcile.add_argument("cycle", type=int)
        reconcile.add_argument("--file", type=Path, required=True)
        export = sub.add_parser("export")
        export.add_argument("cycle", type=int)
        export.add_argument("--format", choices=["pain001", "csv", "xlsx", "pdf"], required=True, dest="fmt")
        export.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **o: Any) -> None:
        result = self._run(action, actor, o)
        self.emit(result, " ".join(f"{k}={v}" for k, v in result.items()), as_json=as_json)

    def _cycle(self, pk: int) -> Cycle:
        cycle = Cycle.objects.select_related("programme").filter(pk=pk).first()
        if cycle is None:
            raise CommandError(f"No cycle {pk}.")
        return cycle

    def _run(self, action: str, actor: Any, o: dict[str, Any]) -> dict[str, Any]:
        if action == "create":
            programme = Programme.objects.filter(name=o["programme"]).first()
            if programme is None:
                raise CommandError(f"No programme {o['programme']!r}.")
            cycle = services.create_cycle(programme=programme, period=o["period"], actor=actor)
            return {"cycle": cycle.pk, "number": cycle.number, "state": cycle.state}
        cycle = self._cycle(o["cycle"])
        if action == "reconcile":
            rows = files.read_results(o["file"], cycle)
            result = services.reconcile(cycle=cycle, results=rows, actor=actor)
            cycle.refresh_from_db()
            return {"cycle": cycle.pk, **result, "state": cycle.state}
        if action == "export":
            if not actor.can("programmes.manage"):
                raise CommandError(f"{actor.username} may not export payment files.")
            return export_cycle(cycle, o["fmt"], o["out"])
        if action == "retry" and o.get("payments"):
            retried = services.retry_failed(cycle=cycle, actor=actor, payments=o["payments"])
            cycle.refresh_from_db()
            return {"retried": retried, "cycle": cycle.pk, "state": cycle.state}
        return services.run_step(cycle=cycle, step=action, actor=actor)
