from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.evaluation import runs


class Command(EntasCommand):
    actor_mode = "optional"

    help = (
        "Estimate a programme's effect from a CSV file with a header. "
        "'entas evaluate did --file F --unit COL --time COL --treat COL --outcome COL [--cluster COL] "
        "[--event-study]': "
        "two-way fixed-effects difference-in-differences, errors clustered by --cluster (default the unit), with "
        "Callaway–Sant'Anna beside it when adoption is staggered; "
        "'entas evaluate rd --file F --running COL --cutoff C --outcome COL [--bandwidth H]': regression "
        "discontinuity (local linear, robust bias-corrected interval); "
        "'entas evaluate psm --file F --treat COL --outcome COL --covariates A,B,C [--method nn|ipw]': matching "
        "or weighting on the propensity score with a balance table; "
        "'entas evaluate before-after --file F --before COL --after COL --group COL': descriptive, not causal. "
        "--json prints one JSON object (effect, se, ci_low, ci_high, n, …); --save NAME --as USER keeps the run "
        "as a saved evaluation. "
        "'entas evaluate from-data --programme NAME [--cycle N] --outcome VAR --from DATE --to DATE "
        "--method did|psm|before-after [--covariates A,B] [--cluster] [--psm-method nn|ipw] [--title T] --as USER': "
        "an evaluation over the system's own data (the programme's beneficiaries against the other households; "
        "VAR is survey (--from/--to are survey years), registry:FIELD, training:income, training:employment or "
        "campaign:CODE:school|jkn|applications — a campaign outcome without --programme compares the attending "
        "households with the matched ones), run as the page's job with its progress and saved. "
        "See docs/evaluation.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="method", required=True)
        did = sub.add_parser("did")
        rd = sub.add_parser("rd")
        psm = sub.add_parser("psm")
        before_after = sub.add_parser("before-after")
        from_data = sub.add_parser("from-data")
        from_data.add_argument("--programme", help="The programme whose beneficiaries are the treated households.")
        from_data.add_argument("--cycle", type=int, help="Only this cycle (its number) of the programme.")
        from_data.add_argument(
            "--outcome",
            required=True,
            help="survey, registry:FIELD, training:income[:MONTHS], training:employment[:MONTHS] or "
            "campaign:CODE:school|jkn|applications[:MONTHS].",
        )
        from_data.add_argument("--from", dest="first", required=True, help="First date (or survey year).")
        from_data.add_argument("--to", dest="second", required=True, help="Second date (or survey year).")
        from_data.add_argument("--method", dest="estimator", required=True, choices=("did", "psm", "before-after"))
        from_data.add_argument("--covariates", help="Registry fields of the rule language, comma-separated.")
        from_data.add_argument("--cluster", action="store_true", help="Cluster the errors by kelurahan (DiD).")
        from_data.add_argument("--psm-method", dest="psm_method", choices=("nn", "ipw"), default="nn")
        from_data.add_argument("--title", help="The saved evaluation's title (default: made from the options).")
        for p in (did, rd, psm, before_after):
            p.add_argument("--file", required=True, help="CSV file with a header row.")
            p.add_argument("--save", metavar="NAME", help="Keep the run as a saved evaluation with this title.")
        for p in (did, rd, psm):
            p.add_argument("--outcome", required=True)
        did.add_argument("--unit", required=True)
        did.add_argument("--time", required=True)
        did.add_argument("--treat", required=True, help="1 in the periods the unit is treated, else 0.")
        did.add_argument("--cluster", help="Cluster the errors by this column (default: the unit).")
        did.add_argument("--event-study", action="store_true", dest="event_study")
        rd.add_argument("--running", required=True)
        rd.add_argument("--cutoff", required=True, type=float)
        rd.add_argument("--bandwidth", type=float)
        psm.add_argument("--treat", required=True)
        psm.add_argument("--covariates", required=True, help="Comma-separated column names.")
        psm.add_argument("--method", dest="psm_method", choices=("nn", "ipw"), default="nn")
        before_after.add_argument("--before", required=True)
        before_after.add_argument("--after", required=True)
        before_after.add_argument("--group", required=True, help="1 for participants, 0 for the comparison group.")

    def handle(self, *args: Any, method: str, actor: Any, as_json: bool, **options: Any) -> None:
        if method == "from-data":
            self._from_data(actor=self.require_actor(actor), as_json=as_json, **options)
            return
        self._from_file(method=method, actor=actor, as_json=as_json, **options)

    def _from_data(self, *, actor: Any, as_json: bool, verbosity: int = 1, **o: Any) -> None:
        """The page's job (entas.evaluation.jobs), run here with its progress."""
        from entas.core import jobqueue
        from entas.core.models import Job
        from entas.core.progress import job_progress
        from entas.evaluation.jobs import FROM_SYSTEM_KIND
        from entas.evaluation.models import Evaluation
        from entas.programs.models import Programme

        programme = None
        if o.get("programme"):
            programme = Programme.objects.filter(name=o["programme"]).first()
            if programme is None:
                raise CommandError(f"No programme named {o['programme']!r}.")
        elif not str(o["outcome"]).startswith("campaign:"):
            raise CommandError("Name the programme with --programme NAME (only a campaign outcome goes without).")
        method = o["estimator"].replace("-", "_")
        title = o.get("title") or (
            f"{programme.name if programme else o['outcome']}: {o['outcome']}, {o['first']} → {o['second']} ({method})"
        )
        params = {
            "title": title[:200],
            "method": method,
            "programme": programme.pk if programme else None,
            "cycle": o.get("cycle"),
            "outcome": o["outcome"],
            "first": o["first"],
            "second": o["second"],
            "covariates": [c.strip() for c in (o.get("covariates") or "").split(",") if c.strip()],
            "cluster": bool(o.get("cluster")),
            "psm_method": o.get("psm_method") or "nn",
        }
        job = jobqueue.submit(kind=FROM_SYSTEM_KIND, params=params, actor=actor, queue=False)
        with job_progress(str(jobqueue.get_kind(FROM_SYSTEM_KIND).label), enabled=verbosity > 0 and not as_json) as p:
            job = jobqueue.execute(job.pk, on_progress=p)
        if job.status != Job.Status.SUCCEEDED:
            raise CommandError(f"Job {job.pk} failed: {job.error.splitlines()[0] if job.error else ''}")
        done: dict[str, Any] = job.result or {}
        evaluation = Evaluation.objects.get(pk=done["evaluation"])
        result = {**evaluation.result, "saved": evaluation.pk, "job": job.pk, "url": done["url"]}
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self._print(result)

    def _from_file(
        self, *, method: str, file: str, save: str | None, actor: Any, as_json: bool, **options: Any
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file}.")
        with path.open(encoding="utf-8-sig", newline="") as handle:
            table = runs.read_csv(handle)
        keys = (
            "unit",
            "time",
            "treat",
            "outcome",
            "cluster",
            "event_study",
            "running",
            "cutoff",
            "bandwidth",
            "covariates",
            "psm_method",
            "before",
            "after",
            "group",
        )
        spec = {
            "method": method.replace("-", "_"),
            **{k: options[k] for k in keys if options.get(k) is not None and options.get(k) is not False},
        }
        result = runs.run(table, spec)
        if save:
            from entas.evaluation import services

            saved = services.save_evaluation(
                actor=self.require_actor(actor), title=save, spec=spec, result=result, source=path.name
            )
            result["saved"] = saved.pk
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self._print(result)

    def _print(self, result: dict[str, Any]) -> None:
        self.stdout.write(
            f"{result['method']}: effect {result['effect']:.4g} (SE {result['se']:.4g}), "
            f"95 % CI {result['ci_low']:.4g} to {result['ci_high']:.4g}, n = {result['n']}"
        )
        for key in ("pre_trend_p", "bandwidth", "density_p"):
            if result.get(key) is not None:
                self.stdout.write(f"  {key}: {result[key]:.4g}")
        if "robust" in result:
            r = result["robust"]
            self.stdout.write(
                f"  Callaway–Sant'Anna: {r['effect']:.4g} (SE {r['se']:.4g}), "
                f"95 % CI {r['ci_low']:.4g} to {r['ci_high']:.4g}"
            )
        for row in result.get("balance", []):
            self.stdout.write(f"  {row['covariate']}: SMD {row['smd_before']:.3f} → {row['smd_after']:.3f}")
        for warning in result["warnings"]:
            self.stdout.write(f"  ! {warning}")
        if "saved" in result:
            self.stdout.write(f"Saved as evaluation {result['saved']}.")
