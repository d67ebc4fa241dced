from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.core.errors import Refused
from entas.core.money import format_rupiah
from entas.targeting import overrides, services, words
from entas.targeting.models import EligibilityRule, PmtModel
from entas.targeting.rules import HOUSEHOLD_FIELDS, MEMBER_FIELDS, RuleError


class Command(EntasCommand):
    actor_mode = "optional"
    no_actor = frozenset({"preview", "fields", "list"})

    help = (
        'Eligibility rules. \'entas rule preview "desil <= 4 and any(members, disabled)" --benefit 300000 '
        "[--budget RP] [--quota N] [--model V] [--json]' shows who qualifies per kelurahan and the cost; "
        "'entas rule save NAME EXPRESSION --benefit RP' stores a validated rule; 'entas rule fields' lists what "
        "a rule may use; 'entas rule list [--json]' the saved rules, as written and in words; "
        "'entas rule override RULE --kk KK --add|--remove --reason … --berita-acara … --date … --as USER' "
        "records a musyawarah kelurahan's decision. See docs/targeting.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("preview", "save"):
            p = sub.add_parser(name)
            if name == "save":
                p.add_argument("name")
            p.add_argument("expression", nargs="?", help="The rule (preview: or --rule NAME).")
            p.add_argument("--benefit", type=int, default=0, help="Rp per household per month.")
            p.add_argument("--budget", type=int, help="Budget cap, Rp per month.")
            p.add_argument("--quota", type=int, help="At most this many households.")
            if name == "preview":
                p.add_argument("--rule", dest="rule_name", help="A saved rule (with its community decisions).")
                p.add_argument("--model", type=int, dest="model_version", help="PMT version for desil and order.")
        override = sub.add_parser("override", help="Record a musyawarah kelurahan's decision on a rule's list.")
        override.add_argument("rule_name", metavar="RULE")
        override.add_argument("--kk", required=True, help="KK number of the household.")
        group = override.add_mutually_exclusive_group(required=True)
        group.add_argument("--add", action="store_const", const="add", dest="decision")
        group.add_argument("--remove", action="store_const", const="remove", dest="decision")
        override.add_argument("--reason", required=True)
        override.add_argument("--berita-acara", required=True, dest="berita_acara", help="Reference of the minutes.")
        override.add_argument("--date", required=True, help="Date of the musyawarah (YYYY-MM-DD).")
        sub.add_parser("fields")
        sub.add_parser("list")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action}")(**options)

    def do_fields(self, **options: Any) -> None:
        self.stdout.write("Household fields:")
        for name, (kind, meaning) in HOUSEHOLD_FIELDS.items():
            self.stdout.write(f"  {name:<24}{kind:<8}{meaning}")
        self.stdout.write("Member fields (inside count/any/all/sum/min/max(members, …)):")
        for name, (kind, meaning) in MEMBER_FIELDS.items():
            self.stdout.write(f"  {name:<24}{kind:<8}{meaning}")

    def do_override(
        self,
        *,
        rule_name: str,
        kk: str,
        decision: str,
        reason: str,
        berita_acara: str,
        date: str,
        actor: Any,
        **options: Any,
    ) -> None:
        import datetime as dt

        from entas.registry.models import Household

        actor = self.require_actor(actor)

        rule = EligibilityRule.objects.filter(name=rule_name).first()
        if rule is None:
            raise CommandError(f"No rule named {rule_name!r}: see 'entas rule list'.")
        household = Household.objects.filter(kk_number=kk).select_related("kelurahan").first()
        if household is None:
            raise CommandError(f"No household with KK number {kk}.")
        try:
            decided_on = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise CommandError(f"--date {date!r} is not a date (YYYY-MM-DD).") from exc
        services.record_override(
            actor=actor,
            rule=rule,
            household=household,
            action=decision,
            reason=reason,
            berita_acara=berita_acara,
            decided_on=decided_on,
        )
        self.stdout.write(f"Recorded: {decision} KK {kk} on {rule.name!r} ({berita_acara}).")

    def do_list(self, *, as_json: bool, **options: Any) -> None:
        """The saved rules: each as written and in words (entas.targeting.words, in the command's
        language), its benefit and its community decisions; a rule that cannot run says why."""
        rules: list[dict[str, Any]] = []
        for rule in EligibilityRule.objects.all():
            try:
                services.compile_saved(rule)
                problem = ""
            except Refused as exc:  # saved by older code or written directly: say so, list the others
                problem = str(exc.issues[0].message if exc.issues else exc)
            rules.append(
                {
                    "name": rule.name,
                    "expression": rule.expression,
                    "words": words.describe(rule.expression),
                    "benefit": rule.benefit,
                    "decisions": overrides.source().count(rule),
                    "problem": problem,
                }
            )
        text = "\n".join(
            f"{r['name']}\t{r['expression']}\t{r['words']}\t{format_rupiah(r['benefit'])}\t{r['decisions']} decisions"
            + (f"\tCANNOT RUN: {r['problem']}" if r["problem"] else "")
            for r in rules
        )
        if rules or as_json:
            self.emit({"rules": rules}, text, as_json=as_json)

    def do_save(
        self,
        *,
        name: str,
        expression: str | None,
        benefit: int,
        budget: int | None,
        quota: int | None,
        actor: Any,
        **options: Any,
    ) -> None:
        try:
            rule = services.save_rule(
                actor=actor, name=name, expression=expression or "", benefit=benefit, budget=budget, quota=quota
            )
        except RuleError as exc:
            raise CommandError(self._explain(expression or "", exc)) from exc
        self.stdout.write(f"Rule {rule.name!r} saved.")

    def do_preview(
        self,
        *,
        expression: str | None,
        benefit: int,
        budget: int | None,
        quota: int | None,
        rule_name: str | None,
        model_version: int | None,
        as_json: bool,
        **options: Any,
    ) -> None:
        rule = None
        if rule_name:
            rule = EligibilityRule.objects.filter(name=rule_name).first()
            if rule is None:
                raise CommandError(f"No rule named {rule_name!r}: see 'entas rule list'.")
            expression = expression or rule.expression
            benefit = benefit or rule.benefit
            budget = budget if budget is not None else rule.budget
            quota = quota if quota is not None else rule.quota
        if not expression:
            raise CommandError("Give a rule expression or --rule NAME.")
        model = None
        if model_version is not None:
            model = PmtModel.objects.filter(version=model_version).first()
            if model is None:
                raise CommandError(f"No PMT model version {model_version}.")
        try:
            result = services.preview(
                expression=expression, benefit=benefit, budget=budget, quota=quota, rule=rule, model=model
            )
        except RuleError as exc:
            raise CommandError(self._explain(expression, exc)) from exc
        except Refused as exc:  # a saved rule that no longer compiles is refused by its name
            cause = exc.__cause__
            detail = "\n" + self._explain(expression, cause) if isinstance(cause, RuleError) else ""
            raise CommandError(f"{exc}{detail}") from exc
        public = {k: v for k, v in result.items() if not k.startswith("_")}
        if as_json:
            self.stdout.write(json.dumps(public, indent=2))
            return
        self.stdout.write(f"Rule: {result['rule']}  (PMT v{result['model_version'] or '–'})")
        self.stdout.write(
            f"{result['eligible_households']:,} of {result['households']:,} households eligible; "
            f"{result['selected_households']:,} selected ({result['selected_people']:,} people), "
            f"{format_rupiah(result['cost_per_month'])} per month"
        )
        self.stdout.write(f"By source: {result['by_source']}")
        for row in result["by_kelurahan"]:
            self.stdout.write(
                f"  {row['area']}  eligible {row['eligible_households']:>6,}  selected "
                f"{row['selected_households']:>6,}  people {row['selected_people']:>7,}  community "
                f"+{row['community_added']} −{row['community_removed']}  cut {row['budget_cut']}"
            )

    @staticmethod
    def _explain(expression: str, exc: RuleError) -> str:
        pointer = " " * (exc.column - 1) + "^"
        return f"{exc.message}\n  {expression}\n  {pointer}"
