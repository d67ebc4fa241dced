from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.programs import services
from entas.programs.models import Programme
from entas.targeting import services as targeting
from entas.targeting.rules import RuleError


def actor_named(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username!r}.")
    return user


class Command(BaseCommand):
    help = (
        "Cash programmes from the command line, under a named user whose role applies: 'entas program load FILE.yaml "
        "--as USER' creates or updates a programme (docs/examples/blt.yaml), 'entas program enrol NAME --as USER' "
        "enrols the households its rule selects, 'entas program add|exit NAME --kk KK --reason TEXT --as USER' enrols "
        "or exits one household by hand, 'entas program list'; shock mode: 'entas program flag --event EVENT "
        "--kind lost_income|disaster|other (--kk KK_NUMBER | --file FILE.csv) --as USER' reports affected households "
        "(a CSV with columns kk_number, kind, note), which a programme with 'shock: {event: EVENT, until: DATE}' "
        "in its YAML selects from (docs/examples/blt-shock.yaml). --json prints the result as JSON."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load")
        load.add_argument("file", type=Path)
        enrol = sub.add_parser("enrol")
        enrol.add_argument("name")
        add = sub.add_parser("add", help="Enrol one household by hand, with the reason.")
        leave = sub.add_parser("exit", help="Exit one household, with the reason.")
        for p in (add, leave):
            p.add_argument("name")
            p.add_argument("--kk", required=True)
            p.add_argument("--reason", required=True)
        flag = sub.add_parser("flag")
        flag.add_argument("--event", required=True)
        flag.add_argument("--kind", default="lost_income")
        flag.add_argument("--note", default="")
        source = flag.add_mutually_exclusive_group(required=True)
        source.add_argument("--kk", help="KK number of one household")
        source.add_argument("--file", type=Path, help="CSV with columns kk_number, kind (optional), note (optional)")
        for p in (load, enrol, flag, add, leave):
            p.add_argument("--as", dest="username", required=True)
            p.add_argument("--json", action="store_true", dest="as_json")
        sub.add_parser("list")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action}")(**options)

    def _print(self, result: dict[str, Any], as_json: bool, text: str) -> None:
        self.stdout.write(json.dumps(result, default=str) if as_json else text)

    def do_load(self, *, file: Path, username: str, as_json: bool, **options: Any) -> None:
        import yaml

        actor = actor_named(username)
        if not actor.can("programmes.manage"):
            raise CommandError(f"{username} may not define programmes.")
        try:
            spec = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        required = ["name", "agency", "funding", "start", "end", "channel", "budget_ceiling", "entitlement", "rule"]
        missing = [k for k in required if k not in (spec or {})]
        if missing:
            raise CommandError(f"{file} lacks: {', '.join(missing)}")
        e, r = spec["entitlement"], spec["rule"]
        try:
            with transaction.atomic():
                rule = targeting.save_rule(
                    actor=actor, name=r["name"], expression=r["expression"], benefit=int(e["base_amount"])
                )
                programme, created = Programme.objects.update_or_create(
                    name=spec["name"],
                    defaults={
                        "agency": spec["agency"],
                        "funding": spec["funding"],
                        "start": _date(spec["start"]),
                        "end": _date(spec["end"]),
                        "channel": spec["channel"],
                        "rule": rule,
                        "budget_ceiling": int(spec["budget_ceiling"]),
                        "months_per_cycle": int(spec.get("months_per_cycle", 1)),
                        "tranches": int(spec["tranches"]) if spec.get("tranches") else None,
                        "base_amount": int(e["base_amount"]),
                        "per_child_in_school": int(e.get("per_child_in_school", 0)),
                        "per_elderly": int(e.get("per_elderly", 0)),
                        "per_disabled": int(e.get("per_disabled", 0)),
                        "cap": int(e["cap"]) if e.get("cap") is not None else None,
                        "shock_event": str((spec.get("shock") or {}).get("event", "")),
                        "shock_until": _date(spec["shock"]["until"])
                        if (spec.get("shock") or {}).get("until")
                        else None,
                    },
                )
                programme.full_clean()
                others = list(spec.get("exclusive_with") or [])
                found = list(Programme.objects.filter(name__in=others))
                unknown = sorted(set(others) - {p.name for p in found})
                if unknown:
                    raise CommandError(f"exclusive_with names no programme: {', '.join(unknown)}")
                programme.exclusive_with.set(found)
        except RuleError as exc:
            raise CommandError(f"rule: {exc}") from exc
        except CommandError:
            raise
        except Exception as exc:
            raise CommandError(f"{file}: {exc}") from exc
        self._print(
            {"programme": programme.name, "id": programme.pk, "created": created},
            as_json,
            f"Programme {programme.name!r} {'created' if created else 'updated'} (id {programme.pk}).",
        )

    def do_enrol(self, *, name: str, username: str, as_json: bool, **options: Any) -> None:
        programme = Programme.objects.filter(name=name).first()
        if programme is None:
            raise CommandError(f"No programme {name!r}.")
        try:
            result = services.enrol(programme=programme, actor=actor_named(username))
        except Refused as exc:
            raise CommandError(str(exc)) from exc
        self._print(
            result,
            as_json,
            f"{result['enrolled']} enrolled, {result['not_eligible']} no longer eligible, "
            f"{result['held_duplicate']} held for a possible duplicate, {result['held_exclusive']} in an exclusive "
            f"programme; {result['total_enrolled']} enrolled in all.",
        )

    def do_flag(
        self,
        *,
        event: str,
        kind: str,
        note: str,
        kk: str | None,
        file: Path | None,
        username: str,
        as_json: bool,
        **options: Any,
    ) -> None:
        """Report affected households; every line is applied or listed with its reason (nothing is lost)."""
        from entas.core import uploads
        from entas.registry.models import Household

        actor = actor_named(username)
        rows: list[dict[str, Any]]
        if kk:
            rows = [{"kk_number": kk, "kind": kind, "note": note, "line": 1}]
        else:
            assert file is not None
            try:
                with uploads.csv_dict_rows(file) as (header, lines):
                    if "kk_number" not in header:
                        raise CommandError(f"{file} needs a kk_number column.")
                    rows = [{**r, "line": i} for i, r in lines]
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc}") from exc
            except Refused as exc:  # not a readable CSV: said as the upload pages say it
                raise CommandError(exc.message) from exc
        flagged, refused = 0, []
        for row in rows:
            number = (row.get("kk_number") or "").strip()
            household = Household.objects.filter(kk_number=number).first()
            if household is None:
                refused.append({"line": row["line"], "kk_number": number, "reason": "no household with this KK number"})
                continue
            try:
                services.flag_affected(
                    household=household,
                    event=event,
                    kind=(row.get("kind") or kind).strip(),
                    note=row.get("note") or note,
                    actor=actor,
                )
            except Refused as exc:
                refused.append({"line": row["line"], "kk_number": number, "reason": str(exc)})
                continue
            flagged += 1
        result = {"event": event, "flagged": flagged, "refused": refused}
        self._print(result, as_json, f"{flagged} households flagged for {event!r}; {len(refused)} refused.")
        for r in refused if not as_json else []:
            self.stderr.write(f"line {r['line']} (KK {r['kk_number']}): {r['reason']}")

    def _one(self, name: str, kk: str) -> tuple[Programme, Any]:
        from entas.registry.models import Household

        programme = Programme.objects.filter(name=name).first()
        if programme is None:
            raise CommandError(f"No programme {name!r}.")
        household = Household.objects.filter(kk_number=kk).first()
        if household is None:
            raise CommandError(f"No household with KK number {kk}.")
        return programme, household

    def do_add(self, *, name: str, kk: str, reason: str, username: str, as_json: bool, **options: Any) -> None:
        m = self._by_hand(services.enrol_by_hand, name, kk, reason, username)
        self._print({"kk": kk, "state": m.state, "reason": m.reason}, as_json, f"KK {kk}: {m.state} ({m.reason}).")

    def do_exit(self, *, name: str, kk: str, reason: str, username: str, as_json: bool, **options: Any) -> None:
        m = self._by_hand(services.exit_household, name, kk, reason, username)
        self._print({"kk": kk, "state": m.state, "reason": m.reason}, as_json, f"KK {kk}: exited ({m.reason}).")

    def _by_hand(self, step: Any, name: str, kk: str, reason: str, username: str) -> Any:
        """One household's enrolment or exit by hand (``step``), its refusal as the command's error."""
        programme, household = self._one(name, kk)
        try:
            return step(programme=programme, household=household, reason=reason, actor=actor_named(username))
        except Refused as exc:
            raise CommandError(str(exc)) from exc

    def do_list(self, **options: Any) -> None:
        for p in Programme.objects.all():
            self.stdout.write(
                f"{p.pk}\t{p.name}\t{p.get_channel_display()}\tRp{p.budget_ceiling:,}\t"
                f"{p.memberships.filter(state='enrolled').count()} enrolled"
            )


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
