"""``entas musrenbang load|advance|fund``: the Musrenbang's proposals from the command line.

entas musrenbang load docs/examples/musrenbang-proposals.csv --as op.manggar [--json]
entas musrenbang advance docs/examples/musrenbang-decisions.csv --as bappeda [--json]
entas musrenbang fund USL-MGR-2026-001 --programme P3.1 [--activity KODE] --as bappeda [--json]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from entas.core.cli import EntasCommand
from entas.core.fileimport import report_counts, run_import_job
from entas.participation import services
from entas.participation.jobs import IMPORT_DIR
from entas.participation.models import Proposal


class Command(EntasCommand):
    help = "Musrenbang proposals: load them, load the forums' decisions on them, record what funds one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load proposals (usulan) from a CSV or XLSX file.")
        load.add_argument("file", type=Path)
        load.add_argument("--no-progress", action="store_true")
        advance = sub.add_parser("advance", help="Load the forums' decisions on proposals (score, votes, outcome).")
        advance.add_argument("file", type=Path)
        advance.add_argument("--no-progress", action="store_true")
        fund = sub.add_parser("fund", help="Record the programme (and activity) of the register that funds a proposal.")
        fund.add_argument("code")
        fund.add_argument("--programme", required=True)
        fund.add_argument("--activity", default="")

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **options: Any) -> None:
        actor = self.require_actor(actor)
        if action in ("load", "advance"):
            kind = "participation.proposals" if action == "load" else "participation.reviews"
            result = run_import_job(
                options["file"], kind=kind, actor=actor, folder=IMPORT_DIR, progress=not options["no_progress"]
            )
            report_counts(self, result, as_json=as_json)
            return
        from entas.policy.models import Activity, ProgrammeRecord

        proposal = Proposal.objects.restrict(actor, "view").filter(code=options["code"]).first()
        if proposal is None:
            raise CommandError(f"No proposal {options['code']!r} in your areas.")
        record = ProgrammeRecord.objects.filter(code=options["programme"]).order_by("-pk").first()
        if record is None:
            raise CommandError(f"No programme with register code {options['programme']!r}.")
        activity = None
        if options["activity"]:
            activity = Activity.objects.filter(record=record, code=options["activity"]).first()
            if activity is None:
                raise CommandError(f"Programme {record.code} has no activity {options['activity']!r}.")
        services.fund_proposal(actor=actor, proposal=proposal, record=record, activity=activity)
        self.emit(
            {"proposal": proposal.code, "programme": record.code, "activity": activity.code if activity else ""},
            f"{proposal.code} is funded by {record.code}" + (f" / {activity.code}." if activity else "."),
            as_json=as_json,
        )
