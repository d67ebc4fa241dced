"""``entas exchange``: the registry's file exchanges with national systems and banks.

entas exchange siks-ng --period YYYY-MM --berita-acara NUMBER --out FILE --as USER [--json]
entas exchange dtsen-import FILE --as USER [--json]
entas exchange nik-batch FILE --out FILE --as USER [--json]          Dukcapil NIK verification batch (offline)
entas exchange statement FILE --cycle ID [--format auto|camt053|mt940] --as USER [--json]
                                                                     a bank statement for reconciliation
entas exchange camt053 FILE --cycle ID --as USER [--json]            the same, a camt.053 statement
entas exchange mt940 FILE --cycle ID --as USER [--json]              the same, an MT940 statement
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from entas.core import jobqueue
from entas.core.cli import EntasCommand
from entas.core.fileimport import report_counts, run_import_job
from entas.core.models import Job

IMPORT_DIR = "imports"


class Command(EntasCommand):
    help = "File exchanges with national systems (SIKS-NG, DTSEN, Dukcapil) and banks (camt.053, MT940)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        siks = sub.add_parser("siks-ng", help="Export the families ratified in a month as a SIKS-NG BNBA file.")
        siks.add_argument("--period", required=True, help="YYYY-MM")
        siks.add_argument("--berita-acara", required=True, help="Number of the berita acara of the ratification.")
        siks.add_argument("--out", type=Path, required=True)
        dtsen = sub.add_parser("dtsen-import", help="Import the national desil and DTSEN status (CSV or XLSX).")
        dtsen.add_argument("file", type=Path)
        dtsen.add_argument("--no-progress", action="store_true")
        self.add_more(sub)

    def add_more(self, sub: Any) -> None:
        """The Dukcapil and bank exchanges (added by :mod:`entas.interop.dukcapil` and :mod:`.banks`)."""
        nik = sub.add_parser("nik-batch", help="Check a file of NIKs with the Dukcapil adapter; write the answers.")
        nik.add_argument("file", type=Path)
        nik.add_argument("--out", type=Path, required=True)
        statement = sub.add_parser(
            "statement", help="Reconcile a payment cycle with a bank statement (camt.053 or MT940)."
        )
        statement.add_argument("file", type=Path)
        statement.add_argument("--cycle", type=int, required=True)
        statement.add_argument("--format", choices=["auto", "camt053", "mt940"], default="auto")
        for fmt, label in (("camt053", "camt.053"), ("mt940", "MT940")):
            one = sub.add_parser(fmt, help=f"Reconcile a payment cycle with a bank statement ({label}).")
            one.add_argument("file", type=Path)
            one.add_argument("--cycle", type=int, required=True)

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **options: Any) -> None:
        actor = self.require_actor(actor)
        if action == "siks-ng":
            job = jobqueue.submit(
                kind="interop.siks_export",
                params={"period": options["period"], "berita_acara": options["berita_acara"]},
                actor=actor,
                queue=False,
            )
            job = jobqueue.execute(job.pk)
            if job.status != Job.Status.SUCCEEDED:
                raise CommandError(job.error.split("\n\n")[0])
            result = dict(job.result or {})
            shutil.copyfile(Path(settings.MEDIA_ROOT) / result.pop("file"), options["out"])
            result["out"] = str(options["out"])
            self.emit(
                result,
                f"{result['households']} families, {result['people']} people -> {options['out']}",
                as_json=as_json,
            )
        elif action == "dtsen-import":
            result = run_import_job(
                options["file"],
                kind="interop.dtsen_import",
                actor=actor,
                folder=IMPORT_DIR,
                progress=not options["no_progress"],
            )
            report_counts(self, result, as_json=as_json)
        elif action == "nik-batch":
            from entas.interop import dukcapil

            counts = dukcapil.run_batch(options["file"], options["out"], actor=actor)
            self.emit(
                counts,
                f"{counts['total']} NIKs: {counts['valid']} valid, {counts['mismatch']} mismatch, "
                f"{counts['invalid']} invalid, {counts['not_found']} not found -> {options['out']}",
                as_json=as_json,
            )
        else:
            from entas.interop import banks

            fmt = options.get("format", "auto") if action == "statement" else action
            result = banks.reconcile_statement(options["file"], cycle_id=options["cycle"], actor=actor, fmt=fmt)
            self.emit(
                result,
                f"{result['format']}: {result['entries']} entries: {result['paid']} paid, {result['failed']} failed, "
                f"{len(result['unknown'])} unknown; reconciled: {result['reconciled']}",
                as_json=as_json,
            )
