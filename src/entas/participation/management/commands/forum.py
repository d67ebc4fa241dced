"""``entas forum load|decisions|minutes``: the forums held with residents from the command line.

entas forum load docs/examples/forums.csv --as op.manggar [--json]
entas forum decisions docs/examples/musyawarah-decisions.csv --as op.manggar [--json]
entas forum minutes "BA/MUSKEL-MANGGAR/2026/03" --out berita-acara.pdf --as op.manggar [--json]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from entas.core.cli import EntasCommand
from entas.core.fileimport import report_counts, run_import_job
from entas.participation.jobs import IMPORT_DIR
from entas.participation.minutes import minutes_pdf
from entas.participation.models import Forum


class Command(EntasCommand):
    help = "Forums held with residents: load forums, load musyawarah decisions, print a berita acara."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load forums (with attendance) from a CSV or XLSX file.")
        load.add_argument("file", type=Path)
        load.add_argument("--no-progress", action="store_true")
        decisions = sub.add_parser("decisions", help="Load musyawarah decisions on households from a file.")
        decisions.add_argument("file", type=Path)
        decisions.add_argument("--no-progress", action="store_true")
        minutes = sub.add_parser("minutes", help="Write a musyawarah's berita acara as PDF.")
        minutes.add_argument("berita_acara")
        minutes.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **options: Any) -> None:
        actor = self.require_actor(actor)
        if action in ("load", "decisions"):
            kind = "participation.forums" if action == "load" else "participation.decisions"
            result = run_import_job(
                options["file"], kind=kind, actor=actor, folder=IMPORT_DIR, progress=not options["no_progress"]
            )
            report_counts(self, result, as_json=as_json)
            return
        forum = Forum.objects.restrict(actor, "view").filter(berita_acara=options["berita_acara"]).first()
        if forum is None or not forum.is_musyawarah:
            raise CommandError(f"No musyawarah with berita acara {options['berita_acara']!r} in your areas.")
        if not actor.can("registry.view"):
            raise CommandError("The berita acara names households: the registry's people only.")
        out: Path = options["out"]
        count = minutes_pdf(actor, forum, out)
        self.emit(
            {"berita_acara": forum.berita_acara, "decisions": count, "file": str(out)},
            f"Berita acara {forum.berita_acara}: {count} decisions written to {out}.",
            as_json=as_json,
        )
