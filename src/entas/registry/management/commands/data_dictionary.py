from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from entas.core.cli import EntasCommand
from entas.registry.dictionary import render


class Command(EntasCommand):
    actor_mode = "none"

    help = (
        "Write the registry's data dictionary (every field, its meaning, its import column and its allowed "
        "values) as Markdown, generated from the models. Default: print it; --out FILE writes it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--out", type=Path, help="File to write, e.g. docs/data-dictionary.md")

    def handle(self, *args: Any, out: Path | None, **options: Any) -> None:
        text = render()
        if out is None:
            self.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {out}")
