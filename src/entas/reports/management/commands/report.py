from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.reports import render, selectors, services
from entas.reports.document import from_dict

KINDS = {
    "lp2kd": "lp2kd",
    "rpkd-profile": "rpkd_profile",
    "extreme-poverty": "extreme_poverty",
    "programme": "programme",
}


class Command(EntasCommand):
    help = (
        "Official reports (docs/reports.md). 'entas report generate lp2kd|rpkd-profile|extreme-poverty|programme "
        "--year Y [--quarter Q] [--programme NAME] [--as-of DATE] --format pdf|docx|xlsx --out FILE --as USER "
        "[--json]' generates a new draft version from the data and writes it (a final report's archived file "
        "instead, unchanged); 'entas report finalise REPORT_ID --as USER' finalises its newest draft (maker-checker)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        gen = sub.add_parser("generate", help="Generate a report and write it to a file.")
        gen.add_argument("kind", choices=sorted(KINDS))
        gen.add_argument("--year", type=int, required=True)
        gen.add_argument("--quarter", type=int, default=None)
        gen.add_argument("--programme", default="", help="The programme's name (programme reports).")
        gen.add_argument("--as-of", dest="as_of", default="", help="The data date (default today).")
        gen.add_argument("--format", dest="fmt", choices=render.FORMATS, required=True)
        gen.add_argument("--out", type=Path, required=True)
        gen.add_argument("--no-charts", dest="charts", action="store_false", help="Leave the figures out.")
        fin = sub.add_parser("finalise", help="Finalise the newest draft of a report (not by its maker).")
        fin.add_argument("report", type=int)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action}")(**options)

    def do_generate(
        self,
        *,
        kind: str,
        year: int,
        quarter: int | None,
        programme: str,
        as_of: str,
        fmt: str,
        out: Path,
        charts: bool,
        actor: Any,
        as_json: bool,
        **options: Any,
    ) -> None:
        from entas.programs.models import Programme

        actor = self.require_actor(actor)
        chosen = None
        if programme:
            chosen = Programme.objects.filter(name=programme).first()
            if chosen is None:
                raise CommandError(f"No programme named {programme!r}.")
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise CommandError(f"{as_of!r} is not a date (YYYY-MM-DD).") from None
        report = services.create_report(kind=KINDS[kind], year=year, quarter=quarter, programme=chosen, actor=actor)
        latest = selectors.latest_version(report)
        if latest is not None and latest.is_final:
            version = latest
            content = services.archived(version, fmt)
        else:
            version = services.generate(report=report, actor=actor, day=day)
            content = render.render(fmt, from_dict(version.document), version.narrative, charts=charts, draft=True)
        out.write_bytes(content)
        result = {
            "report": report.pk,
            "version": version.number,
            "status": version.status,
            "snapshot": version.snapshot.isoformat(),
            "changes": len(version.changes),
            "format": fmt,
            "file": str(out),
            "bytes": len(content),
            "inputs": version.inputs,
        }
        self.emit(
            result,
            f"{report} v{version.number} ({version.get_status_display()}, data as of {version.snapshot}): "
            f"{len(content):,} bytes written to {out}; "
            f"{len(version.changes)} figures changed since the previous version.",
            as_json=as_json,
        )

    def do_finalise(self, *, report: int, actor: Any, as_json: bool, **options: Any) -> None:
        actor = self.require_actor(actor)
        found = selectors.report_for(actor, report)
        latest = selectors.latest_version(found)
        if latest is None:
            raise CommandError("The report has no version yet: generate one first.")
        version = services.finalise(version=latest, actor=actor)
        self.emit(
            {"report": found.pk, "version": version.number, "digests": version.digests},
            f"{found} v{version.number} is final; archived files: {', '.join(sorted(version.digests))}.",
            as_json=as_json,
        )
