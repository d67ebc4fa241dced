from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from entas.core.errors import Refused
from entas.dedup import services
from entas.programs.management.commands.program import actor_named
from entas.regions.models import Region


class Command(BaseCommand):
    help = (
        "Find people entered twice in the registry (probabilistic record linkage with splink on DuckDB). "
        "'entas dedup train' fits a new model version without labels (EM); 'entas dedup run [--kelurahan CODE] "
        "[--out pairs.csv] [--json]' compares the members of the registry or one kelurahan (training a model "
        "first if there is none) and stores the candidate pairs at or above the review threshold, clustered, "
        "for the reviewer queue. --as USER runs under that user's role and areas. See docs/deduplication.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train")
        run = sub.add_parser("run")
        run.add_argument("--kelurahan", default="", help="Kemendagri code of one kelurahan (default: all).")
        run.add_argument("--out", type=Path, help="Write the candidate pairs to this CSV file.")
        for p in (train, run):
            p.add_argument("--as", dest="username", default="")
            p.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: Any, action: str, username: str, as_json: bool, **o: Any) -> None:
        actor = actor_named(username) if username else None

        def log(message: str) -> None:
            if not as_json:
                sys.stderr.write(message + "\n")

        try:
            if action == "train":
                model = services.train(actor=actor, log=log)
                result: dict[str, Any] = {"model": model.version, **model.training}
            else:
                kelurahan = None
                if o["kelurahan"]:
                    kelurahan = Region.objects.filter(code=o["kelurahan"]).first()
                    if kelurahan is None:
                        raise CommandError(_("Unknown kelurahan code %(code)s.") % {"code": o["kelurahan"]})
                run = services.run(actor=actor, kelurahan=kelurahan, log=log)
                result = {
                    "run": run.pk,
                    "model": run.model.version,
                    "members": run.members,
                    "pairs": run.pairs,
                    "clusters": run.clusters,
                    "auto_link": run.pair_set.filter(auto_link=True).count(),
                    "review_threshold": run.review_threshold,
                    "auto_link_threshold": run.auto_link_threshold,
                    "seconds": run.seconds,
                }
                if o["out"]:
                    services.write_pairs_csv(run, o["out"])
                    result["out"] = str(o["out"])
        except Refused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            json.dumps(result, default=str) if as_json else " ".join(f"{k}={v}" for k, v in result.items())
        )
