from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from entas.core.cli import EntasCommand
from entas.dedup import linkage, selectors, services
from entas.regions.models import Region


class Command(EntasCommand):
    help = (
        "Find people entered twice in the registry (probabilistic record linkage with splink on DuckDB or Spark). "
        "'entas dedup train' fits a new model version without labels (EM), or with --default uses the "
        "default model shipped with entas (for a registry too small to learn from); 'entas dedup run "
        "[--kelurahan CODE] [--out pairs.csv] [--json]' compares the members of the registry or one "
        "kelurahan (training a model first if there is none) and stores the candidate pairs at or above "
        "the review threshold, clustered, for the reviewer queue. --backend spark runs the same model on "
        "splink's Spark backend (the optional spark extra; default ENTAS_DEDUP_BACKEND, else duckdb). "
        "--as USER runs under that user's role and areas. See docs/deduplication.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train")
        train.add_argument(
            "--default",
            action="store_true",
            help="Use the default model shipped with entas (trained on the synthetic city) instead of "
            "learning one: for a registry too small to learn from.",
        )
        run = sub.add_parser("run")
        run.add_argument("--kelurahan", default="", help="Kemendagri code of one kelurahan (default: all).")
        run.add_argument("--out", type=Path, help="Write the candidate pairs to this CSV file.")
        for command in (train, run):
            command.add_argument(
                "--backend",
                choices=linkage.BACKENDS,
                default=None,
                help="The engine splink runs on: duckdb (this process) or spark (the optional spark extra: "
                "local mode, or the cluster ENTAS_SPARK_MASTER names). Default: ENTAS_DEDUP_BACKEND, else duckdb.",
            )

    actor_mode = "optional"

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **o: Any) -> None:
        def log(message: str) -> None:
            if not as_json:
                sys.stderr.write(message + "\n")

        if action == "train":
            model = services.train(actor=actor, log=log, default=o["default"], backend=o["backend"])
            result: dict[str, Any] = {"model": model.version, **model.training}
            if as_json and (note := services.training_note(model)):
                result["note"] = note  # (logged on stderr otherwise)
        else:
            kelurahan = None
            if o["kelurahan"]:
                kelurahan = Region.objects.filter(code=o["kelurahan"]).first()
                if kelurahan is None:
                    raise CommandError(_("Unknown kelurahan code %(code)s.") % {"code": o["kelurahan"]})
            run = services.run(actor=actor, kelurahan=kelurahan, log=log, backend=o["backend"])
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
                "backend": o["backend"] or linkage.default_backend(),
            }
            if o["out"]:
                selectors.write_pairs_csv(run, o["out"])
                result["out"] = str(o["out"])
        self.emit(result, " ".join(f"{k}={v}" for k, v in result.items()), as_json=as_json)
