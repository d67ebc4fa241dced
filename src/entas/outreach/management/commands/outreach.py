from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.core.cli import EntasCommand
from entas.core.fileimport import report_counts, run_import_job
from entas.outreach import importer, selectors, services
from entas.outreach.jobs import IMPORT_DIR
from entas.outreach.models import Campaign, Event


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


class Command(EntasCommand):
    help = (
        "Awareness campaigns. 'load FILE.yaml': campaigns with their questions and events "
        "(docs/examples/campaigns.yaml). 'attendance EVENT --file F': an event's sign-in sheet (CSV/XLSX: nik[, name, "
        "sex, birth_date, kelurahan]). 'answers EVENT --file F': its knowledge-test answers (nik, phase, q1, q2, …). "
        "'follow-up CAMPAIGN': take the follow-up measurements that are due. 'results CAMPAIGN': reach, knowledge "
        "change with its confidence interval, McNemar per question, follow-ups (without --as: the whole city). "
        "Every file row is counted inserted, updated, unchanged or rejected."
    )
    actor_mode = "optional"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load campaigns, questions and events from a YAML file.")
        load.add_argument("file", type=Path)
        for name in ("attendance", "answers"):
            p = sub.add_parser(name, help=f"Import an event's {name} file (CSV or XLSX).")
            p.add_argument("event", help="The event's code or number.")
            p.add_argument("--file", type=Path, required=True)
        follow = sub.add_parser("follow-up", help="Take the follow-up measurements that are due.")
        follow.add_argument("campaign")
        follow.add_argument("--on", type=dt.date.fromisoformat, default=None, help="The day (YYYY-MM-DD).")
        results = sub.add_parser("results", help="The results of a campaign.")
        results.add_argument("campaign", help="The campaign's code or number.")
        results.add_argument("--by", choices=[d for d in selectors.DIMENSIONS if d], default="")

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **options: Any) -> None:
        if action == "results":
            self._results(actor, as_json, options["campaign"], options["by"])
            return
        actor = self.require_actor(actor)
        if action == "load":
            file: Path = options["file"]
            if not file.is_file():
                raise CommandError(f"{file} is not a file.")
            result = importer.load_campaigns(file.read_bytes(), actor=actor)
            report_counts(self, result, as_json=as_json)
            if not as_json:
                for r in result["rejected_campaigns"]:
                    self.stdout.write(f"  campaign {r['campaign']}: {' '.join(r['reasons'])}")
            return
        if action == "follow-up":
            campaign = self._campaign(actor, options["campaign"])
            counts = services.measure_follow_ups(campaign=campaign, actor=actor, on=options["on"])
            self.emit(counts, ", ".join(f"{k}: {v}" for k, v in counts.items()), as_json=as_json)
            return
        try:
            event = selectors.event_for(actor, options["event"], action="change")
        except Event.DoesNotExist:
            raise CommandError(f"No event {options['event']} in your areas.") from None
        result = run_import_job(
            options["file"],
            kind=f"outreach.{action}",
            actor=actor,
            folder=IMPORT_DIR,
            params={"event": event.pk},
            progress=not as_json and options["verbosity"] > 0,
        )
        report_counts(self, result, as_json=as_json)

    def _campaign(self, actor: Any, key: str) -> Campaign:
        qs = Campaign.objects.all() if actor is None else Campaign.objects.restrict(actor, "view")
        found = qs.filter(pk=int(key)).first() if key.isdigit() else qs.filter(code=key).first()
        if found is None:
            raise CommandError(f"No campaign {key}.")
        return found

    def _results(self, actor: Any, as_json: bool, key: str, by: str) -> None:
        if actor is not None and not selectors.can_see_results(actor):
            raise CommandError("This user may not see the results of campaigns.")
        campaign = self._campaign(actor, key)
        reader: Any = actor if actor is not None else _CityReader()
        reach = selectors.reach_for(reader, campaign)
        knowledge = selectors.knowledge_for(reader, campaign, by)
        waves = selectors.follow_ups_for(reader, campaign)
        if as_json:
            self.emit(
                {
                    "campaign": campaign.code,
                    "reach": reach.as_dict(),
                    "knowledge": knowledge.as_dict(),
                    "follow_ups": [w.as_dict() for w in waves],
                    "follow_ups_note": "descriptive: attending households against comparable ones (same kelurahan "
                    "and desil), not a causal estimate",
                },
                "",
                as_json=True,
            )
            return
        self.stdout.write(
            f"{campaign.code} {campaign.name}: {reach.people} people identified, {reach.counted} counted without a "
            f"name, {reach.repeated} attended twice or more"
        )
        for r in reach.rows:
            self.stdout.write(
                f"  {r.code} {r.name}: {r.people} people, {r.households} households; target households reached "
                f"{r.target_reached}/{r.target_households} ({_pct(r.reach)}); desil 1 reached "
                f"{r.desil1_reached}/{r.desil1_households} ({_pct(r.poorest_reach)})"
            )
        o = knowledge.overall
        self.stdout.write(
            f"knowledge (questions right, {o.n} people tested before and after): {_num(o.before)} -> "
            f"{_num(o.after)}, change {_num(o.change)} (95% CI {_num(o.low)} to {_num(o.high)})"
        )
        for label, p in knowledge.groups:
            self.stdout.write(f"  {label}: n={p.n}, change {_num(p.change)} (95% CI {_num(p.low)} to {_num(p.high)})")
        for q, m in knowledge.questions:
            self.stdout.write(
                f"  Q{q.number}: right {m.right_before}/{m.n} -> {m.right_after}/{m.n}; gained {m.gained}, lost "
                f"{m.lost}; McNemar p={_num(m.p_value, 4)}{' (exact)' if m.exact else ''}"
            )
        self.stdout.write("follow-ups (descriptive, not a causal estimate):")
        for w in waves:
            self.stdout.write(
                f"  +{w.months} months, {w.group}: {w.households} households; school-age in school "
                f"{_pct(w.school_rate)}; members with JKN {_pct(w.jkn_rate)}; applications per household "
                f"{_num(w.applications_per_household)}"
            )


class _CityReader:
    """The whole city, for a command run without --as (an administrator's view, aggregates only)."""

    is_authenticated = True
    is_active = True
    is_city_wide = True

    def can(self, capability: Any) -> bool:
        return True
