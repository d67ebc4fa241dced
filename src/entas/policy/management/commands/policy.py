from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.core.fileimport import report_counts, run_import_job
from entas.core.money import format_rupiah
from entas.policy import planfile, selectors, services
from entas.policy.jobs import IMPORT_DIR
from entas.policy.models import Adjustment, Plan, ProgrammeRecord


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD).") from None


class Command(EntasCommand):
    help = (
        "The policy register (docs/policy-register.md). 'entas policy load FILE.yaml --as USER' loads or updates a "
        "plan with its strategies, programmes and activities (docs/examples/rpkd-balikpapan.yaml); 'entas policy "
        "show [--plan CODE] [--as-of DATE] [--json]' prints the tree with budgets; 'entas policy realisation FILE "
        "--as USER' imports realisation (columns activity_code, month, realised, physical); 'entas policy adjust "
        "PROGRAMME --field F --value V --reason TEXT [--evidence LINK]... [--effective DATE] [--activity CODE] --as "
        "USER' proposes an adjustment (--activity CODE with --field pagu.2026, output, unit, volume_target or "
        "location adjusts an activity); "
        "'entas policy approve|reject ADJUSTMENT --as USER' decides it (never by its proposer); "
        "'entas policy adopt PLAN --legal-basis TEXT [--on DATE] --as USER' adopts a draft plan; 'entas policy "
        "benefits FILE --as USER' records a list of benefits of a non-cash programme (columns programme, kk_number, "
        "date, what; optional nik, quantity, unit, value)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load or update a plan from a YAML file.")
        load.add_argument("file", type=Path)
        show = sub.add_parser("show", help="Print the register's tree with budgets and realisation.")
        show.add_argument("--plan", default="", help="Plan code (default: the adopted RPKD).")
        show.add_argument("--as-of", dest="as_of", default="", help="The date to show the register as of.")
        show.add_argument("--as", "--user", dest="username", default="", metavar="USER")
        real = sub.add_parser("realisation", help="Import realisation from a CSV or XLSX file.")
        real.add_argument("file", type=Path)
        benefits = sub.add_parser("benefits", help="Import a list of benefits of a non-cash programme (CSV or XLSX).")
        benefits.add_argument("file", type=Path)
        adjust = sub.add_parser("adjust", help="Propose an adjustment of a programme.")
        adjust.add_argument("programme", help="The programme's name or register code.")
        adjust.add_argument("--field", required=True)
        adjust.add_argument("--value", required=True)
        adjust.add_argument("--reason", required=True)
        adjust.add_argument("--evidence", action="append", default=[])
        adjust.add_argument("--effective", default="")
        adjust.add_argument(
            "--activity",
            default="",
            help="An activity's kode rekening, for --field pagu.YYYY, output, unit, volume_target or location.",
        )
        for name in ("approve", "reject"):
            decide = sub.add_parser(name, help=f"{name.title()} a proposed adjustment.")
            decide.add_argument("adjustment", type=int)
            decide.add_argument("--note", default="")
        adopt = sub.add_parser("adopt", help="Adopt a draft plan version.")
        adopt.add_argument("plan", help="Plan code (its latest version) or CODE:VERSION.")
        adopt.add_argument("--legal-basis", dest="legal_basis", required=True)
        adopt.add_argument("--on", dest="adopted_on", default="")

    no_actor = frozenset({"show"})

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action}")(**options)

    def do_load(self, *, file: Path, actor: Any, as_json: bool, **options: Any) -> None:
        actor = self.require_actor(actor)
        try:
            with file.open("rb") as handle:
                data = handle.read(planfile.MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        spec = planfile.parse_plan(data, source=file.name)
        result = services.load_plan(spec=spec, actor=actor, source=file.name)
        out = result.as_dict()
        self.emit(
            out,
            f"{result.plan} ({result.plan.get_status_display()}): {result.outcome}"
            + (
                f"; {out['strategies']} strategies, {out['programmes']} programmes "
                f"({out['programmes_created']} new), {out['activities']} activities, {out['months']} months"
                if result.counts
                else ""
            ),
            as_json=as_json,
        )

    def do_show(self, *, plan: str, as_of: str, actor: Any, as_json: bool, **options: Any) -> None:
        day = _date(as_of) if as_of else None
        if actor is None:
            from entas.accounts.models import User

            # No --as: shell access is administrator access (docs/security.md); read as the system.
            actor = User(username="system", is_superuser=True, is_active=True)
        latest = Plan.objects.filter(code=plan).order_by("-version").first
        found = latest() if plan else selectors.current_plan(actor)
        if found is None:
            raise CommandError("No plan in the register." if not plan else f"No plan {plan!r}.")
        reg = selectors.register(actor, found, day)
        if as_json:
            self.emit(selectors.register_json(reg), "", as_json=True)
            return

        def money(m: Any) -> str:
            return f"{format_rupiah(m.budget)} / {format_rupiah(m.realised)} ({m.percent}%)"

        lines = [f"{found} — {found.title} ({found.get_status_display()}), as of {reg.day}: {money(reg.money)}"]
        for s in reg.strategies:
            lines.append(f"  {s.strategy.code} {s.strategy.name}: {money(s.money)}")
            for p in s.programmes:
                kind, opd, status = p.record.programme.kind, p.fields["lead_opd"], p.fields["status"]
                name = p.record.programme.name
                lines.append(f"    {p.record.code} {name} [{kind}, {opd}, {status}]: {money(p.money)}")
        self.stdout.write("\n".join(lines))

    def do_realisation(self, *, file: Path, actor: Any, as_json: bool, **options: Any) -> None:
        self._import("policy.realisation", file, actor, as_json, options)

    def _import(self, kind: str, file: Path, actor: Any, as_json: bool, options: dict[str, Any]) -> None:
        """Run an import job in the foreground (with a progress bar) and print its row accounting."""
        actor = self.require_actor(actor)
        result = run_import_job(
            file, kind=kind, actor=actor, folder=IMPORT_DIR, progress=not as_json and options["verbosity"] > 0
        )
        report_counts(self, result, as_json=as_json)

    def do_benefits(self, *, file: Path, actor: Any, as_json: bool, **options: Any) -> None:
        """A list of benefits (columns programme, kk_number, date, what; nik, quantity, unit, value)."""
        self._import("policy.benefits", file, actor, as_json, options)

    def _record(self, actor: Any, name: str) -> ProgrammeRecord:
        try:
            return selectors.record_named(actor, name)
        except ProgrammeRecord.DoesNotExist:
            raise CommandError(f"No programme {name!r} in the register.") from None

    def do_adjust(
        self,
        *,
        programme: str,
        field: str,
        value: str,
        reason: str,
        evidence: list[str],
        effective: str,
        actor: Any,
        as_json: bool,
        **options: Any,
    ) -> None:
        actor = self.require_actor(actor)
        record = self._record(actor, programme)
        found = None
        if options.get("activity"):
            found = record.activities.filter(code=options["activity"]).first()
            if found is None:
                raise CommandError(f"No activity {options['activity']!r} in {record.programme.name}.")
        adjustment = services.propose_adjustment(
            activity=found,
            record=record,
            field=field,
            value=value,
            reason=reason,
            evidence=evidence,
            effective_on=_date(effective) if effective else None,
            actor=actor,
        )
        self.emit(
            _adjustment_json(adjustment),
            f"Adjustment #{adjustment.pk} proposed: {field} {adjustment.before!r} -> {adjustment.after!r}, "
            f"effective {adjustment.effective_on}; another person approves it with "
            f"'entas policy approve {adjustment.pk} --as USER'.",
            as_json=as_json,
        )

    def _decide(self, *, adjustment: int, note: str, actor: Any, as_json: bool, approve: bool) -> None:
        actor = self.require_actor(actor)
        try:
            found = selectors.adjustment_for(actor, adjustment)
        except Adjustment.DoesNotExist:
            raise CommandError(f"No adjustment #{adjustment}.") from None
        decided = services.decide_adjustment(adjustment=found, approve=approve, actor=actor, note=note)
        self.emit(_adjustment_json(decided), f"Adjustment #{decided.pk}: {decided.state}.", as_json=as_json)

    def do_approve(self, **options: Any) -> None:
        self._decide(approve=True, **{k: options[k] for k in ("adjustment", "note", "actor", "as_json")})

    def do_reject(self, **options: Any) -> None:
        self._decide(approve=False, **{k: options[k] for k in ("adjustment", "note", "actor", "as_json")})

    def do_adopt(
        self, *, plan: str, legal_basis: str, adopted_on: str, actor: Any, as_json: bool, **options: Any
    ) -> None:
        actor = self.require_actor(actor)
        code, _sep, version = plan.partition(":")
        plans = Plan.objects.filter(code=code)
        found = plans.filter(version=int(version)).first() if version.isdigit() else plans.order_by("-version").first()
        if found is None:
            raise CommandError(f"No plan {plan!r}.")
        adopted = services.adopt_plan(
            plan=found,
            adopted_on=_date(adopted_on) if adopted_on else dt.date.today(),
            legal_basis=legal_basis,
            actor=actor,
        )
        self.emit(
            {"plan": adopted.pk, "code": adopted.code, "version": adopted.version, "status": adopted.status},
            f"{adopted}: {adopted.status}",
            as_json=as_json,
        )


def _adjustment_json(a: Adjustment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "programme": a.record.programme.name,
        "field": a.field,
        "before": a.before,
        "after": a.after,
        "reason": a.reason,
        "evidence": a.evidence,
        "effective_on": a.effective_on.isoformat(),
        "state": a.state,
        "proposed_by": a.proposed_by.username,
        "decided_by": a.decided_by.username if a.decided_by else None,
    }
