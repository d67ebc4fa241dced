from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.core.money import format_rupiah
from entas.monitoring import selectors
from entas.targeting import services
from entas.targeting.models import EligibilityRule


class Command(EntasCommand):
    actor_mode = "none"

    help = (
        "Judge a saved rule's list against the latest survey round: exclusion and inclusion errors (with weighted "
        "counts) for the poor and for the poorest 40 %%, coverage of the poor by kelurahan, benefit incidence by "
        "decile of actual consumption and the CGH index. --json for the same as JSON."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--rule", required=True, dest="rule_name", help="Name of a saved rule (entas rule list).")
        parser.add_argument("--line", type=int, help="Poverty line (default: the configured one).")

    def handle(self, *args: Any, rule_name: str, line: int | None, as_json: bool, **options: Any) -> None:
        rule = EligibilityRule.objects.filter(name=rule_name).first()
        if rule is None:
            raise CommandError(f"No rule named {rule_name!r}: see 'entas rule list'.")
        if line is None:
            configured = selectors.poverty_line("national")
            if configured is None:
                raise CommandError("No poverty line is configured: give --line or run 'entas load_poverty_lines'.")
            line = configured.rupiah_per_capita_month
        report = services.targeting_report(rule=rule, line=line)
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(f"Rule {report['rule']!r}: {report['expression']}")
        self.stdout.write(
            f"Judged on {report['survey']} ({report['sampled_households']} sampled households, "
            f"{report['selected_in_sample']} of them on the list), line {format_rupiah(line)}"
        )
        for label, key in (("the poor", "poor"), ("the poorest 40 %", "bottom40")):
            e = report[key]
            self.stdout.write(
                f"  {label}: exclusion error {100 * e['exclusion_error']:.1f} % ({e['target_not_selected']:,.0f} "
                f"people missed of {e['target_selected'] + e['target_not_selected']:,.0f}); inclusion error "
                f"{100 * e['inclusion_error']:.1f} % ({e['nontarget_selected']:,.0f} of "
                f"{e['target_selected'] + e['nontarget_selected']:,.0f} selected people)"
            )
        if report["cgh"] is not None:
            self.stdout.write(f"  CGH index (share to the poorest 40 % / 0.40): {report['cgh']:.2f}")
        self.stdout.write(
            "  benefit incidence by decile: " + " ".join(f"{100 * s:.0f}%" for s in report["incidence_by_decile"])
        )
