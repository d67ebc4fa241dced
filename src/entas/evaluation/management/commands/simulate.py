from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.core.money import format_rupiah
from entas.evaluation import services
from entas.evaluation.simulation import Formula


class Command(EntasCommand):
    actor_mode = "optional"

    help = (
        "Simulate a programme change on the registry and the survey: "
        "'entas simulate (--programme NAME | --rule EXPR --base-amount RP [--per-child-in-school RP] "
        "[--per-elderly RP] [--per-disabled RP] [--cap RP]) [--budget RP] [--kelurahan CODES] [--survey-year Y] "
        "[--save TITLE --as USER] [--json]'. With --programme, the rule and formula options change that programme "
        "and its figures as it is are shown beside (status_quo). --budget is Rp a year: households are taken by "
        "the programme's ranking until it is used. Behavioural responses are not modelled. "
        "'entas simulate promote SCENARIO --reason TEXT [--field rule|base_amount|target_kelurahan|"
        "target_beneficiaries] --as USER [--json]' proposes a saved scenario as an adjustment of its programme in the "
        "policy register (the page's promotion: another person approves it). See docs/evaluation.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", nargs="?", help="promote: propose a saved scenario as an adjustment.")
        parser.add_argument("scenario", nargs="?", type=int, help="The saved scenario's number (promote).")
        parser.add_argument(
            "--field",
            help="What the adjustment proposes (promote): rule, base_amount, target_kelurahan or "
            "target_beneficiaries (default: what the scenario changes).",
        )
        parser.add_argument("--reason", help="Why (promote): the adjustment's rationale.")
        parser.add_argument("--programme", help="A programme (its rule and benefit formula are the status quo).")
        parser.add_argument("--rule", help="An eligibility rule in the targeting rule language.")
        parser.add_argument("--base-amount", type=int, dest="base_amount", help="Rp per household per month.")
        parser.add_argument("--per-child-in-school", type=int, default=None, dest="per_child_in_school")
        parser.add_argument("--per-elderly", type=int, default=None, dest="per_elderly")
        parser.add_argument("--per-disabled", type=int, default=None, dest="per_disabled")
        parser.add_argument("--cap", type=int, default=None, help="Cap per household per month (Rp).")
        parser.add_argument("--budget", type=int, help="Budget, Rp a year.")
        parser.add_argument("--kelurahan", help="Target kelurahan codes, comma-separated.")
        parser.add_argument("--survey-year", type=int, dest="survey_year")
        parser.add_argument("--save", metavar="TITLE", help="Keep the scenario (needs --as USER).")

    def handle(self, *args: Any, actor: Any, as_json: bool, **o: Any) -> None:
        if o["action"] is not None:
            if o["action"] != "promote" or o["scenario"] is None:
                raise CommandError("The only action is 'promote SCENARIO'.")
            self._promote(actor=self.require_actor(actor), as_json=as_json, **o)
            return
        self._simulate(actor=actor, as_json=as_json, **o)

    def _promote(self, *, actor: Any, as_json: bool, scenario: int, **o: Any) -> None:
        """The page's promotion (services.promote_scenario): an adjustment proposal, decided by another."""
        from entas.evaluation.models import Scenario

        chosen = Scenario.objects.select_related("programme").filter(pk=scenario).first()
        if chosen is None:
            raise CommandError(f"No scenario {scenario}.")
        if not (o.get("reason") or "").strip():
            raise CommandError("Say why with --reason TEXT: an adjustment needs its rationale.")
        field = o.get("field") or services.changed_field(chosen)
        adjustment = services.promote_scenario(scenario=chosen, field=field, reason=o["reason"], actor=actor)
        out = {
            "scenario": chosen.pk,
            "adjustment": adjustment.pk,
            "field": adjustment.field,
            "before": adjustment.before,
            "after": adjustment.after,
            "state": adjustment.state,
            "evidence": adjustment.evidence,
        }
        if as_json:
            self.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
            return
        change = f"{adjustment.field}: {adjustment.before} → {adjustment.after}"
        self.stdout.write(
            f"Scenario {chosen.pk} proposed as adjustment {adjustment.pk} ({change}); another person decides it."
        )

    def _simulate(self, *, actor: Any, as_json: bool, **o: Any) -> None:
        from entas.programs.models import Programme

        programme = None
        if o["programme"]:
            programme = Programme.objects.filter(name=o["programme"]).select_related("rule").first()
            if programme is None:
                raise CommandError(f"No programme named {o['programme']!r}.")
        elif not o["rule"] or o["base_amount"] is None:
            raise CommandError("Give --programme NAME, or --rule EXPR and --base-amount RP.")
        formula = None
        parts = ("base_amount", "per_child_in_school", "per_elderly", "per_disabled", "cap")
        if any(o[p] is not None for p in parts):
            start: dict[str, Any] = {
                "base": programme.base_amount if programme else 0,
                "per_child_in_school": programme.per_child_in_school if programme else 0,
                "per_elderly": programme.per_elderly if programme else 0,
                "per_disabled": programme.per_disabled if programme else 0,
                "cap": programme.cap if programme else None,
            }
            for p in parts:
                if o[p] is not None:
                    if o[p] < 0:
                        raise CommandError(f"--{p.replace('_', '-')} cannot be negative.")
                    start["base" if p == "base_amount" else p] = o[p]
            formula = Formula(**start)
        targets = [c.strip() for c in (o["kelurahan"] or "").split(",") if c.strip()] or None
        result = services.simulate(
            expression=o["rule"],
            formula=formula,
            programme=programme,
            budget=o["budget"],
            target_kelurahan=targets,
            survey_year=o["survey_year"],
        )
        if o["save"]:
            saved = services.save_scenario(
                actor=self.require_actor(actor),
                title=o["save"],
                result=result,
                specification={
                    "rule": result["rule"],
                    "formula": result["formula"],
                    "budget": o["budget"],
                    "target_kelurahan": targets or [],
                    "survey_year": result["survey_year"],
                    "programme": programme.name if programme else None,
                },
                programme=programme,
            )
            result["saved"] = saved.pk
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(
            f"Scenario: {result['rule']}  (survey {result['survey']}, line {format_rupiah(result['line'])})"
        )
        rows = [("scenario", result)] + ([("status quo", result["status_quo"])] if "status_quo" in result else [])
        for label, r in rows:
            self.stdout.write(
                f"  {label}: {r['households']:,} households, {r['people']:,} people, "
                f"{format_rupiah(r['cost'])} a year; "
                f"P0 {100 * r['p0_before']:.2f} % → {100 * r['p0_after']:.2f} % (SE {100 * r['p0_after_se']:.2f}), "
                f"Gini {r['gini_before']:.3f} → {r['gini_after']:.3f}; exclusion {100 * r['exclusion_error']:.1f} %, "
                f"inclusion {100 * r['inclusion_error']:.1f} %"
            )
        self.stdout.write("Behavioural responses are not modelled.")
        if "saved" in result:
            self.stdout.write(f"Saved as scenario {result['saved']}.")
