from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from entas.core.cli import EntasCommand
from entas.core.fileimport import report_counts, run_import_job
from entas.core.money import format_rupiah
from entas.enterprise import importer, selectors
from entas.enterprise.jobs import IMPORT_DIR


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _rupiah(value: int | None) -> str:
    return "-" if value is None else format_rupiah(value)


class Command(EntasCommand):
    help = (
        "Economic empowerment. 'load FILE.yaml': groups with their members (by NIK, people of the registry), "
        "grants, loans and certificates (docs/examples/enterprise.yaml). 'report FILE': business reports "
        "(CSV/XLSX: group_id, period, period_start, revenue, costs[, production, workers_family, workers_hired, "
        "capital]). 'repay FILE': loan repayments (loan_reference, payment_reference, paid_on, amount); a payment "
        "reference already recorded is never counted twice. 'results': survival, growth, jobs, repayment, cost per "
        "job (without --as: the whole city). Every file row is counted inserted, updated, unchanged or rejected."
    )
    actor_mode = "optional"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load groups, members and assistance from a YAML file.")
        load.add_argument("file", type=Path)
        report = sub.add_parser("report", help="Import business reports from a CSV or XLSX file.")
        report.add_argument("file", type=Path)
        repay = sub.add_parser("repay", help="Import loan repayments from a CSV or XLSX file.")
        repay.add_argument("file", type=Path)
        results = sub.add_parser("results", help="The results of the groups.")
        results.add_argument("--by", choices=sorted(selectors.DIMENSIONS), default="")
        results.add_argument("--on", type=dt.date.fromisoformat, default=None, help="The day (YYYY-MM-DD).")

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **options: Any) -> None:
        if action == "results":
            self._results(actor, as_json, options["by"], options["on"])
            return
        actor = self.require_actor(actor)
        file: Path = options["file"]
        if action == "load":
            if not file.is_file():
                raise CommandError(f"{file} is not a file.")
            result = importer.load_groups(file.read_bytes(), actor=actor)
            if as_json:
                report_counts(self, result, as_json=True)
                return
            report_counts(self, result, as_json=False)
            for r in result["rejected_groups"]:
                self.stdout.write(f"  group {r['group']} {r['name']}: {' '.join(r['reasons'])}")
            for w in result["warning_messages"]:
                self.stdout.write(f"  ! {w}")
            return
        kind = "enterprise.reports" if action == "report" else "enterprise.repayments"
        result = run_import_job(
            file, kind=kind, actor=actor, folder=IMPORT_DIR, progress=not as_json and options["verbosity"] > 0
        )
        report_counts(self, result, as_json=as_json)

    def _results(self, actor: Any, as_json: bool, by: str, on: dt.date | None) -> None:
        if actor is not None and not selectors.may_see_results(actor):
            raise CommandError("This user may not see the results of business groups.")
        day = on or timezone.localdate()
        groups = selectors.group_rows(actor, day)
        outcomes = selectors.results_for(actor, day, by, groups)
        rows = [selectors.outcome_dict(o) for o in outcomes]
        welfare_rows = selectors.welfare_rows(actor, day, by, groups)
        welfare = welfare_rows[0].pmt
        if as_json:
            self.emit(
                {
                    "by": by,
                    "results": rows,
                    "welfare": welfare.__dict__,
                    "welfare_dtsen": welfare_rows[0].dtsen.__dict__,
                    "welfare_by": [
                        {"label": w.label, "pmt": w.pmt.__dict__, "dtsen": w.dtsen.__dict__} for w in welfare_rows[1:]
                    ],
                },
                "",
                as_json=True,
            )
            return
        for r in rows:
            a12, e12 = r["active_12_months"]
            a24, e24 = r["active_24_months"]
            self.stdout.write(
                f"{r['label'] or 'all'}: {r['groups']} groups; active after 12 months {a12}/{e12}, "
                f"after 24 months {a24}/{e24}; revenue growth {_percent(r['revenue_growth'])}, "
                f"profit growth {_percent(r['profit_growth'])}; jobs created {r['jobs_created']}; "
                f"cost {_rupiah(r['cost'])}, per job {_rupiah(r['cost_per_job'])}; {r['loans']} loans, "
                f"repayment rate {_percent(r['repayment_rate'])}, PAR30 {_percent(r['portfolio_at_risk_30'])}"
            )
        change = "-" if welfare.mean_change is None else f"{welfare.mean_change:+.2f}"
        self.stdout.write(
            f"welfare of member households (PMT desil before and after the assistance): {welfare.households} "
            f"households, mean change {change}, {welfare.better} better off, {welfare.worse} worse off"
        )
        for w in welfare_rows:
            d = w.dtsen
            change = "-" if d.mean_change is None else f"{d.mean_change:+.2f}"
            self.stdout.write(
                f"welfare {w.label or 'all'} (DTSEN desil before and after): {d.households} households, "
                f"mean change {change}, {d.better} better off, {d.worse} worse off"
            )
