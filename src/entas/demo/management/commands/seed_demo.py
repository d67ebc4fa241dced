from __future__ import annotations

import io
import json
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from rich.console import Console
from rich.table import Table

from entas.accounts.demo import as_dicts, create_demo_users
from entas.core.cli import EntasCommand
from entas.regions.services import DATA_DIR


class Command(EntasCommand):
    actor_mode = "none"

    help = (
        "Prepare a demonstration installation: load Balikpapan's regions and boundaries, create one "
        "demo user per role (two Dinas Sosial managers for maker-checker, operators of Manggar, Damai "
        "and Sepinggan) with fresh random passwords, and print the logins. Refuses to run with "
        "ENTAS_DEBUG off unless --force is given."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off (never on a live system).")
        parser.add_argument(
            "--households",
            type=int,
            default=0,
            help="Also generate a synthetic city of this many households and import it (0: none; Balikpapan "
            "has about 250,000). Skipped when the registry already holds households.",
        )
        parser.add_argument("--seed", type=int, default=1, help="Seed of the synthetic city.")
        parser.add_argument(
            "--faults",
            type=float,
            default=0.0,
            help="Base rate of data-quality faults in the city (people entered twice, invalid NIKs…), e.g. 0.01.",
        )

    def handle(
        self, *args: Any, as_json: bool, force: bool, households: int, seed: int, faults: float, **options: Any
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with printed passwords; it refuses to run with "
                "ENTAS_DEBUG off. Use --force only on a throw-away installation."
            )
        quiet: dict[str, Any] = {"stdout": io.StringIO()} if as_json else {}
        call_command("load_regions", **quiet)
        boundaries = sorted(DATA_DIR.glob("*.geojson"))
        if boundaries:
            call_command("load_boundaries", *[str(p) for p in boundaries], **quiet)
        call_command("load_poverty_lines", **quiet)
        logins = create_demo_users()
        if households > 0:
            from entas.registry.models import Household

            if Household.objects.exists():
                if not as_json:
                    self.stdout.write("The registry already holds households: no synthetic city generated.")
            else:
                call_command(
                    "synth",
                    households=households,
                    seed=seed,
                    faults=faults,
                    load=True,
                    verbosity=0 if as_json else options["verbosity"],
                    **quiet,
                )
                from entas.registry.demo import seed_activity

                seed_activity()  # a correction waiting for approval
            self._programmes(as_json)
        from entas.payees.demo import likely_recipients, seed_accounts
        from entas.programs.models import Enrolment

        enrolled = list(Enrolment.objects.filter(state=Enrolment.State.ENROLLED).values_list("household_id", flat=True))
        seed_accounts(enrolled or likely_recipients())
        from entas.registry.models import Household as _Household
        from entas.targeting import demo as targeting_demo

        if _Household.objects.exists():  # PMT models and rules need a registry (and its survey round)
            for line in targeting_demo.seed():
                if not as_json:
                    self.stdout.write(f"Targeting demo: {line}.")
            from entas.demo.activity import seed_jobs
            from entas.portal import demo as portal_demo
            from entas.programs.demo import seed_affected

            for event, n in seed_affected().items():
                if not as_json:
                    self.stdout.write(f"Affected households: {n} reported for “{event}”.")
            for line in seed_jobs():
                if not as_json:
                    self.stdout.write(f"Jobs: {line}.")
            made = portal_demo.seed()
            if not as_json and made["cases"]:
                self.stdout.write(f"Portal demo: {made['cases']} complaints.")
            from entas.training import demo as training_demo

            training = training_demo.seed()  # two years of skills training, from the registry
            if not as_json:
                self.stdout.write(f"Training demo: {training}.")
        self._policy(as_json)
        self._enterprise(as_json)  # after the register: its groups are fostered under its empowerment programme
        if _Household.objects.exists():
            from entas.participation import demo as participation_demo

            # a year of musyawarah, the Musrenbang season with its proposals (funded from the register)
            forums = participation_demo.seed()
            if not as_json:
                self.stdout.write(f"Participation demo: {forums}.")
        self._outreach(as_json)  # after the register: campaigns run under its campaign programme
        # after the register (a scenario is proposed as an adjustment of its programme) and the campaigns'
        # follow-ups (an evaluation from the system's data reads them)
        self._evaluation(as_json)
        if _Household.objects.exists():
            self._interop(as_json)  # a DCI caller system, a SIKS-NG export, a DTSEN import
            self._webhooks(as_json)  # the bank's webhook subscription and a few deliveries
        self._monitoring(as_json)  # its indicators count what every module above has written
        self._reports(as_json)  # last: the official reports read every module, the indicators included
        if as_json:
            self.stdout.write(dump(as_dicts(logins)))
            return
        table = Table(title="entas demo logins (synthetic data only)")
        for column in ("username", "password", "role", "areas"):
            table.add_column(column)
        for login in logins:
            table.add_row(login.username, login.password, login.role, ", ".join(login.areas) or "–")
        console = Console(file=io.StringIO(), width=100)
        console.print(table)
        self.stdout.write(console.file.getvalue())  # type: ignore[attr-defined]

    def _programmes(self, as_json: bool) -> None:
        """A cash programme with a cycle in each state (entas.programs.demo), by the two demo managers."""
        from entas.accounts.models import User
        from entas.programs import demo

        result = demo.seed(maker=User.objects.get(username="dinsos1"), checker=User.objects.get(username="dinsos2"))
        if not as_json:
            cycles = ", ".join(f"{period} {state}" for period, state in result["cycles"].items())
            self.stdout.write(f"Demo programme (id {result['programme']}): {cycles}")

    def _enterprise(self, as_json: bool) -> None:
        """Business groups with grants, loans and two years of reports (entas.enterprise.demo)."""
        from entas.accounts.models import User
        from entas.enterprise import demo

        made = demo.seed(officer=User.objects.get(username="pelatihan"), approver=User.objects.get(username="admin"))
        if made and not as_json:
            self.stdout.write("Business groups: " + ", ".join(f"{n} {what}" for what, n in made.items()) + ".")

    def _monitoring(self, as_json: bool) -> None:
        """The example plan's indicators and results framework, and a first refresh (entas.monitoring.demo)."""
        from entas.accounts.models import User
        from entas.monitoring import demo

        made = demo.seed(analyst=User.objects.get(username="tkpk"))
        if not as_json:
            self.stdout.write(
                f"Monitoring: {made['created'] + made['changed'] + made['unchanged']} indicators, {made['results']} "
                f"results, {made['facts']} facts, {made['alerts_raised']} alerts"
            )

    def _reports(self, as_json: bool) -> None:
        """A draft LP2KD and a final extreme-poverty report (entas.reports.demo): maker tkpk, checker bappeda."""
        from entas.accounts.models import User
        from entas.reports import demo

        made = demo.seed(maker=User.objects.get(username="tkpk"), checker=User.objects.get(username="bappeda"))
        if made and not as_json:
            self.stdout.write("Official reports: " + ", ".join(f"{k} {v}" for k, v in made.items()) + ".")

    def _evaluation(self, as_json: bool) -> None:
        """Saved evaluations and simulated scenarios (entas.evaluation.demo), by the TKPK analyst."""
        from entas.accounts.models import User
        from entas.evaluation import demo

        made = demo.seed(analyst=User.objects.get(username="tkpk"))
        if not as_json and any(made.values()):
            self.stdout.write(f"Evaluation: {made['evaluations']} evaluations, {made['scenarios']} scenarios.")

    def _outreach(self, as_json: bool) -> None:
        """Awareness campaigns with events, attendance, knowledge tests and follow-ups (entas.outreach.demo)."""
        from entas.accounts.models import User
        from entas.outreach import demo

        made = demo.seed(officer=User.objects.get(username="pelatihan"))
        if made and not as_json:
            self.stdout.write("Awareness campaigns: " + ", ".join(f"{n} {what}" for what, n in made.items()) + ".")

    def _interop(self, as_json: bool) -> None:
        """A registered DCI caller system with a search, a SIKS-NG export and a DTSEN import (entas.interop.demo)."""
        from entas.accounts.models import User
        from entas.interop import demo

        made = demo.seed(
            admin=User.objects.get(username="admin"),
            manager=User.objects.get(username="dinsos1"),
            service_user=User.objects.get(username="auditor"),
        )
        if made and not as_json:
            self.stdout.write(f"Interoperability: {made}.")

    def _webhooks(self, as_json: bool) -> None:
        """A webhook subscription with its first deliveries (entas.webhooks.demo), acting as the bank's
        service account."""
        from entas.accounts.demo import SERVICE_ACCOUNT
        from entas.accounts.models import User
        from entas.webhooks import demo

        def _bank_account() -> User:
            return User.objects.filter(username=SERVICE_ACCOUNT).first() or User.objects.get(username="dinsos1")

        made = demo.seed(admin=User.objects.get(username="admin"), owner=_bank_account())
        if made and not as_json:
            self.stdout.write(f"Webhooks: {made}.")

    def _policy(self, as_json: bool) -> None:
        """The example plan of Balikpapan with two years of realisation (entas.policy.demo)."""
        from entas.accounts.models import User
        from entas.policy import demo

        result = demo.seed(editor=User.objects.get(username="tkpk"), checker=User.objects.get(username="bappeda"))
        if not as_json:
            self.stdout.write(
                f"Policy register: {result['plan']} ({result['outcome']}); realisation {result['inserted']} "
                f"inserted, {result['updated']} updated, {result['unchanged']} unchanged; "
                f"{result['adjustments']} adjustments, {result['benefits']} benefits of other kinds recorded"
            )


def dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
