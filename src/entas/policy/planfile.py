"""A plan file (YAML): the RPKD or an action plan with its OPDs, strategies, programmes of every kind,
their funding and activities with a pagu per year (docs/examples/rpkd-balikpapan.yaml;
docs/policy-register.md lists every key). Pure: read and checked before anything is written.

The file comes from a person, so the reader is narrow: bounded in size, UTF-8 only; anchors, aliases
and tags are refused while composing (no "billion laughs"); every scalar is read as the text written
(PyYAML's BaseLoader: ``300.000`` is not 300, ``0300`` not octal) and converted here; unknown keys
are named; every problem is collected and the file refused as a whole with all of them, each named by
its path (``strategies[1].programmes[0].activities[2].code``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.utils.translation import gettext as _

from entas.core.errors import Problem, Refused

from . import rules
from .choices import ActivityLevel, FundingKind, NationalStrategy, PlanKind, PlanStatus, ProgrammeStatus

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 12
MAX_PROBLEMS = 100
KINDS = ("cash", "training", "empowerment", "campaign", "in_kind", "service", "infrastructure")


@dataclass(frozen=True)
class OpdSpec:
    code: str
    name: str


@dataclass(frozen=True)
class ActivitySpec:
    code: str
    level: str
    name: str
    opd: str
    output: str = ""
    unit: str = ""
    volume_target: int = 0
    location: str = ""
    from_payments: bool = False
    pagu: dict[int, int] = field(default_factory=dict)  # year -> rupiah


@dataclass(frozen=True)
class FundingSpec:
    source: str
    amount: int
    note: str = ""


@dataclass(frozen=True)
class ProgrammeSpec:
    code: str
    name: str
    kind: str
    lead_opd: str
    start: dt.date
    end: dt.date
    budget_code: str = ""
    partner_opds: tuple[str, ...] = ()
    target_group: str = ""
    target_beneficiaries: int = 0
    target_kelurahan: tuple[str, ...] = ()
    status: str = "active"
    funding: tuple[FundingSpec, ...] = ()
    activities: tuple[ActivitySpec, ...] = ()


@dataclass(frozen=True)
class StrategySpec:
    code: str
    name: str
    national_strategy: str
    goals: str = ""
    thematic: str = ""
    holistic: str = ""
    integrative: str = ""
    focus_kelurahan: tuple[str, ...] = ()
    programmes: tuple[ProgrammeSpec, ...] = ()


@dataclass(frozen=True)
class PlanSpec:
    code: str
    version: int
    kind: str
    title: str
    start_year: int
    end_year: int
    status: str
    adopted_on: dt.date | None
    legal_basis: str
    parent: str
    opds: tuple[OpdSpec, ...]
    strategies: tuple[StrategySpec, ...]

    def programmes(self) -> list[ProgrammeSpec]:
        return [p for s in self.strategies for p in s.programmes]


class _Stop(Exception):
    pass


class _Loader(yaml.BaseLoader):
    """BaseLoader (every scalar a string) that refuses anchors, aliases and tags, and deep nesting."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.problem = ""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            self.problem = _("anchors and aliases (& and *) are not allowed in a plan file: write values out in full")
            raise _Stop
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            self.problem = _("tags (%(tag)s) are not allowed in a plan file") % {"tag": str(tag)[:30]}
            raise _Stop
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                self.problem = _("the file is nested more than %(n)d levels deep") % {"n": MAX_DEPTH}
                raise _Stop
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _compose(data: bytes, source: str) -> Any:
    if len(data) > MAX_BYTES:
        raise Refused(
            _("%(name)s is larger than %(n)d MB: a plan file is far smaller.") % {"name": source, "n": MAX_BYTES >> 20},
            code="invalid",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(
            _("%(name)s is not UTF-8 text (byte %(at)d).") % {"name": source, "at": exc.start}, code="invalid"
        ) from None
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except _Stop:
        raise Refused(f"{source}: {loader.problem}", code="invalid") from None
    except yaml.YAMLError as exc:
        raise Refused(
            _("%(name)s is not valid YAML: %(error)s") % {"name": source, "error": str(exc)[:300]}, code="invalid"
        ) from None
    finally:
        loader.dispose()


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def mapping(self, value: Any, path: str, keys: dict[str, bool]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.add(path, _("expected a mapping of keys to values"))
            return {}
        for key in value:
            if key not in keys:
                self.add(f"{path}.{key}".lstrip("."), _("unknown key (known: %(keys)s)") % {"keys": ", ".join(keys)})
        for key, required in keys.items():
            if required and key not in value:
                self.add(f"{path}.{key}".lstrip("."), _("is required"))
        return value

    def items(self, value: Any, path: str) -> list[Any]:
        if value is None or value == "":
            return []
        if not isinstance(value, list):
            self.add(path, _("expected a list"))
            return []
        return value

    def text(self, value: Any, path: str, *, limit: int, required: bool = False) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.add(path, _("expected a text"))
            return ""
        value = value.strip()
        if required and not value:
            self.add(path, _("must not be empty"))
        if len(value) > limit:
            self.add(path, _("is longer than %(n)d characters") % {"n": limit})
        return value[:limit]

    def choice(self, value: Any, path: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        if value is None and default is not None:
            return default
        if value not in allowed:
            self.add(
                path,
                _("%(value)s is not one of %(allowed)s") % {"value": str(value)[:30], "allowed": ", ".join(allowed)},
            )
            return allowed[0]
        return str(value)

    def whole(
        self, value: Any, path: str, *, low: int = 0, high: int = rules.MAX_RUPIAH, default: int | None = None
    ) -> int:
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or not value.replace("_", "").isdigit() or not value.isascii():
            self.add(
                path, _("%(value)s is not a whole number (digits only, _ may group them)") % {"value": str(value)[:30]}
            )
            return low
        number = int(value.replace("_", ""))
        if not low <= number <= high:
            self.add(path, _("must be between %(low)d and %(high)d") % {"low": low, "high": high})
            return low
        return number

    def date(self, value: Any, path: str, *, required: bool = True) -> dt.date | None:
        if value is None and not required:
            return None
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.add(path, _("%(value)s is not a date (write it as 2025-01-31)") % {"value": str(value)[:30]})
            return None

    def codes(self, value: Any, path: str) -> tuple[str, ...]:
        out = []
        for i, item in enumerate(self.items(value, path)):
            code = self.text(item, f"{path}[{i}]", limit=20, required=True)
            if code:
                out.append(code)
        return tuple(dict.fromkeys(out))

    # -- the levels --

    def plan(self, root: Any) -> PlanSpec:
        top = self.mapping(root, "", {"plan": True, "opds": False, "strategies": True})
        p = self.mapping(
            top.get("plan"),
            "plan",
            {
                "code": True,
                "version": False,
                "kind": False,
                "title": True,
                "start_year": True,
                "end_year": True,
                "status": False,
                "adopted_on": False,
                "legal_basis": False,
                "parent": False,
            },
        )
        start_year = self.whole(p.get("start_year"), "plan.start_year", low=2000, high=2100)
        end_year = self.whole(p.get("end_year"), "plan.end_year", low=2000, high=2100)
        if end_year < start_year:
            self.add("plan.end_year", _("the last year is before the first"))
        status = self.choice(p.get("status"), "plan.status", tuple(PlanStatus.values), "draft")
        adopted_on = self.date(p.get("adopted_on"), "plan.adopted_on", required=False)
        if status != "draft" and adopted_on is None:
            self.add("plan.adopted_on", _("an adopted plan has an adoption date"))
        opds = []
        for i, item in enumerate(self.items(top.get("opds"), "opds")):
            o = self.mapping(item, f"opds[{i}]", {"code": True, "name": True})
            opds.append(
                OpdSpec(
                    self.text(o.get("code"), f"opds[{i}].code", limit=20, required=True).upper(),
                    self.text(o.get("name"), f"opds[{i}].name", limit=200, required=True),
                )
            )
        strategies = tuple(
            self.strategy(item, f"strategies[{i}]", start_year, end_year)
            for i, item in enumerate(self.items(top.get("strategies"), "strategies"))
        )
        self.unique([s.code for s in strategies], "strategies", "code")
        programmes = [p for s in strategies for p in s.programmes]
        self.unique([p.name for p in programmes], "programmes", "name")
        self.unique([p.code for p in programmes], "programmes", "code")
        self.unique([a.code for p in programmes for a in p.activities], "activities", "code")
        return PlanSpec(
            code=self.text(p.get("code"), "plan.code", limit=40, required=True),
            version=self.whole(p.get("version"), "plan.version", low=1, high=999, default=1),
            kind=self.choice(p.get("kind"), "plan.kind", tuple(PlanKind.values), "rpkd"),
            title=self.text(p.get("title"), "plan.title", limit=300, required=True),
            start_year=start_year,
            end_year=end_year,
            status=status,
            adopted_on=adopted_on,
            legal_basis=self.text(p.get("legal_basis"), "plan.legal_basis", limit=200),
            parent=self.text(p.get("parent"), "plan.parent", limit=40),
            opds=tuple(opds),
            strategies=strategies,
        )

    def unique(self, values: list[str], path: str, key: str) -> None:
        seen: set[str] = set()
        for value in values:
            if value in seen:
                self.add(path, _("%(key)s %(value)s appears twice") % {"key": key, "value": value})
            seen.add(value)

    def strategy(self, item: Any, path: str, first: int, last: int) -> StrategySpec:
        s = self.mapping(
            item,
            path,
            {
                "code": True,
                "name": True,
                "national_strategy": False,
                "goals": False,
                "thematic": False,
                "holistic": False,
                "integrative": False,
                "focus_kelurahan": False,
                "programmes": False,
            },
        )
        return StrategySpec(
            code=self.text(s.get("code"), f"{path}.code", limit=20, required=True),
            name=self.text(s.get("name"), f"{path}.name", limit=300, required=True),
            national_strategy=self.choice(
                s.get("national_strategy"), f"{path}.national_strategy", tuple(NationalStrategy.values), "city"
            ),
            goals=self.text(s.get("goals"), f"{path}.goals", limit=4000),
            thematic=self.text(s.get("thematic"), f"{path}.thematic", limit=4000),
            holistic=self.text(s.get("holistic"), f"{path}.holistic", limit=4000),
            integrative=self.text(s.get("integrative"), f"{path}.integrative", limit=4000),
            focus_kelurahan=self.codes(s.get("focus_kelurahan"), f"{path}.focus_kelurahan"),
            programmes=tuple(
                self.programme(p, f"{path}.programmes[{i}]", first, last)
                for i, p in enumerate(self.items(s.get("programmes"), f"{path}.programmes"))
            ),
        )

    def programme(self, item: Any, path: str, first: int, last: int) -> ProgrammeSpec:
        p = self.mapping(
            item,
            path,
            {
                "code": True,
                "name": True,
                "kind": True,
                "budget_code": False,
                "lead_opd": True,
                "partner_opds": False,
                "target_group": False,
                "target_beneficiaries": False,
                "target_kelurahan": False,
                "start": True,
                "end": True,
                "status": False,
                "funding": False,
                "activities": False,
            },
        )
        start = self.date(p.get("start"), f"{path}.start") or dt.date(first, 1, 1)
        end = self.date(p.get("end"), f"{path}.end") or dt.date(last, 12, 31)
        if end < start:
            self.add(f"{path}.end", _("the programme ends before it starts"))
        budget_code = self.text(p.get("budget_code"), f"{path}.budget_code", limit=30)
        if budget_code and (problem := rules.code_problem(budget_code, "program")):
            self.add(f"{path}.budget_code", problem)
        funding = []
        raw = p.get("funding") or {}
        if not isinstance(raw, dict):
            self.add(f"{path}.funding", _("expected a mapping of sources to amounts"))
            raw = {}
        for source, value in raw.items():
            where = f"{path}.funding.{source}"
            if source not in FundingKind.values:
                self.add(where, _("unknown source (known: %(keys)s)") % {"keys": ", ".join(FundingKind.values)})
                continue
            if isinstance(value, dict):
                v = self.mapping(value, where, {"amount": True, "note": False})
                funding.append(
                    FundingSpec(
                        source,
                        self.whole(v.get("amount"), f"{where}.amount"),
                        self.text(v.get("note"), f"{where}.note", limit=200),
                    )
                )
            else:
                funding.append(FundingSpec(source, self.whole(value, where)))
        activities = tuple(
            self.activity(a, f"{path}.activities[{i}]", start, end)
            for i, a in enumerate(self.items(p.get("activities"), f"{path}.activities"))
        )
        kind = self.choice(p.get("kind"), f"{path}.kind", KINDS)
        paid = sum(a.from_payments for a in activities)
        if kind != "cash" and paid:
            self.add(f"{path}.activities", _("only a cash transfer's activity takes its realisation from payments"))
        if paid > 1:
            self.add(f"{path}.activities", _("at most one activity takes its realisation from payments"))
        return ProgrammeSpec(
            code=self.text(p.get("code"), f"{path}.code", limit=20, required=True),
            name=self.text(p.get("name"), f"{path}.name", limit=120, required=True),
            kind=kind,
            lead_opd=self.text(p.get("lead_opd"), f"{path}.lead_opd", limit=20, required=True).upper(),
            start=start,
            end=end,
            budget_code=budget_code,
            partner_opds=tuple(c.upper() for c in self.codes(p.get("partner_opds"), f"{path}.partner_opds")),
            target_group=self.text(p.get("target_group"), f"{path}.target_group", limit=300),
            target_beneficiaries=self.whole(
                p.get("target_beneficiaries"), f"{path}.target_beneficiaries", high=10_000_000, default=0
            ),
            target_kelurahan=self.codes(p.get("target_kelurahan"), f"{path}.target_kelurahan"),
            status=self.choice(p.get("status"), f"{path}.status", tuple(ProgrammeStatus.values), "active"),
            funding=tuple(funding),
            activities=activities,
        )

    def activity(self, item: Any, path: str, start: dt.date, end: dt.date) -> ActivitySpec:
        a = self.mapping(
            item,
            path,
            {
                "code": True,
                "level": False,
                "name": True,
                "opd": True,
                "output": False,
                "unit": False,
                "volume_target": False,
                "location": False,
                "from_payments": False,
                "pagu": False,
            },
        )
        level = self.choice(a.get("level"), f"{path}.level", tuple(ActivityLevel.values), "sub_kegiatan")
        code = self.text(a.get("code"), f"{path}.code", limit=30, required=True)
        if code and (problem := rules.code_problem(code, level)):
            self.add(f"{path}.code", problem)
        pagu: dict[int, int] = {}
        raw = a.get("pagu") or {}
        if not isinstance(raw, dict):
            self.add(f"{path}.pagu", _("expected a mapping of years to amounts"))
            raw = {}
        for year, amount in raw.items():
            where = f"{path}.pagu.{year}"
            y = self.whole(year, where, low=2000, high=2100)
            if not start.year <= y <= end.year:
                self.add(where, _("the year is outside the programme's period"))
            pagu[y] = self.whole(amount, where)
        from_payments = a.get("from_payments")
        if from_payments not in (None, "true", "false"):
            self.add(f"{path}.from_payments", _("write true or false"))
        return ActivitySpec(
            code=code,
            level=level,
            name=self.text(a.get("name"), f"{path}.name", limit=300, required=True),
            opd=self.text(a.get("opd"), f"{path}.opd", limit=20, required=True).upper(),
            output=self.text(a.get("output"), f"{path}.output", limit=300),
            unit=self.text(a.get("unit"), f"{path}.unit", limit=60),
            volume_target=self.whole(a.get("volume_target"), f"{path}.volume_target", high=100_000_000, default=0),
            location=self.text(a.get("location"), f"{path}.location", limit=200),
            from_payments=from_payments == "true",
            pagu=pagu,
        )


def parse_plan(data: bytes, *, source: str = "plan") -> PlanSpec:
    """The validated content of a plan file, or a refusal listing every problem (by path)."""
    root = _compose(data, source)
    reader = _Reader()
    spec = reader.plan(root)
    if reader.problems:
        shown = reader.problems[:MAX_PROBLEMS]
        lines = [f"{p.field}: {p.message}" if p.field else p.message for p in shown]
        if len(reader.problems) > MAX_PROBLEMS:
            lines.append(_("… and %(n)d more problems") % {"n": len(reader.problems) - MAX_PROBLEMS})
        raise Refused(
            _("%(name)s has %(n)d problem(s):") % {"name": source, "n": len(reader.problems)} + "\n" + "\n".join(lines),
            code="invalid",
            issues=shown,
        )
    return spec


def months_of(year: int, start: dt.date, end: dt.date) -> list[dt.date]:
    """The first days of the months of ``year`` within the period from ``start`` to ``end``."""
    return [
        dt.date(year, m, 1)
        for m in range(1, 13)
        if dt.date(start.year, start.month, 1) <= dt.date(year, m, 1) <= dt.date(end.year, end.month, 1)
    ]


def spread(amount: int, months: int) -> list[int]:
    """A year's pagu over its months in whole rupiah: equal shares, the remainder in the last month
    (so the months add up to the year exactly)."""
    if months <= 0:
        return []
    share = amount // months
    return [share] * (months - 1) + [amount - share * (months - 1)]
