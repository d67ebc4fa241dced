from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core import personaldata
from entas.core.cli import EntasCommand


class Command(EntasCommand):
    actor_mode = "optional"
    no_actor = frozenset()

    help = (
        "Personal-data protection (UU 27/2022; docs/privacy.md). 'entas privacy access-report NIK --as USER "
        "--out FILE [--json]' writes everything entas holds about one person (PDF, or JSON with --json); "
        "'entas privacy purge [--dry-run]' anonymises what is past its retention period (or only counts it)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        report = sub.add_parser("access-report", help="The data-subject access report of one NIK.")
        report.add_argument("nik")
        report.add_argument("--out", required=True, type=Path, help="The file to write (PDF, or JSON with --json).")
        purge = sub.add_parser("purge", help="Anonymise exited members and old audit detail past retention.")
        purge.add_argument("--dry-run", action="store_true", help="Only count what would be anonymised.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action.replace('-', '_')}")(**options)

    def do_access_report(self, *, nik: str, out: Path, actor: Any, as_json: bool, **options: Any) -> None:
        from entas.registry.privacy import access_report

        report = access_report(actor=self.require_actor(actor), nik=nik)
        if as_json:
            out.write_text(report.to_json(), encoding="utf-8")
        else:
            with out.open("wb") as f:
                personaldata.report_pdf(report, f)
        out.chmod(0o600)  # a person's whole record: readable by its writer only
        summary = {
            "file": str(out),
            "format": "json" if as_json else "pdf",
            "sections": {s.key: len(s.rows) for s in report.sections},
        }
        held = sum(1 for s in report.sections if s.rows)
        self.emit(summary, f"{out}: {held} of {len(report.sections)} sections hold data.", as_json=as_json)

    def do_purge(self, *, dry_run: bool, actor: Any, as_json: bool, **options: Any) -> None:
        if actor is not None and not actor.can("users.manage"):
            raise CommandError("Only an administrator runs the purge.")
        counts = personaldata.purge(dry_run=dry_run, actor=actor)
        lines = [f"{k}: {n}" for k, n in sorted(counts.items())] or ["retention is off (0 days): nothing to do"]
        self.emit({"dry_run": dry_run, **counts}, ("DRY RUN\n" if dry_run else "") + "\n".join(lines), as_json=as_json)
