"""The policy register's pure rules: plain facts in, a decision out; no ORM, no request.

- :func:`code_problem`: the shape of a budget code (kode rekening) of the Permendagri 90/2019
  nomenclature, by level;
- :func:`roll_up`, :func:`funding_roll_up`: totals in exact integer rupiah, activity → programme →
  strategy → plan, by OPD and by funding source;
- :func:`parse_rupiah`, :func:`parse_month`, :func:`parse_percent`, :func:`check_realisation`: one
  row of a realisation file;
- :func:`parse_adjustment`: the value an adjustment proposes for a field, and :func:`as_of`: a
  programme's fields as they stood on a date, from its adjustments.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from entas.core.errors import Refused

# -- budget codes ----------------------------------------------------------------------------------

# Permendagri 90/2019: urusan (1 digit, or X for a cross-cutting unit) . bidang (2) . program (2)
# [. kegiatan: 1 + 2 digits] [. sub-kegiatan: 4 digits]; e.g. 1.06.04 (a programme of social affairs),
# 1.06.04.2.01 (a kegiatan), 1.06.04.2.01.0006 (a sub-kegiatan).
_PART = r"[1-9X]\.[0-9X]{2}\.[0-9]{2}"
CODE_SHAPES = {
    "program": re.compile(rf"{_PART}"),
    "kegiatan": re.compile(rf"{_PART}\.[1-9]\.[0-9]{{2}}"),
    "sub_kegiatan": re.compile(rf"{_PART}\.[1-9]\.[0-9]{{2}}\.[0-9]{{4}}"),
}
CODE_EXAMPLES = {"program": "1.06.04", "kegiatan": "1.06.04.2.01", "sub_kegiatan": "1.06.04.2.01.0006"}


def code_problem(code: str, level: str) -> str | None:
    """Why ``code`` is not a budget code of ``level`` (program, kegiatan, sub_kegiatan), or None."""
    shape = CODE_SHAPES.get(level)
    if shape is None:
        return _("Unknown level %(level)s.") % {"level": level[:20]}
    if not shape.fullmatch(code):
        return _("%(code)s is not a %(level)s code (expected a code like %(example)s).") % {
            "code": code[:40] or "-",
            "level": level.replace("_", "-"),
            "example": CODE_EXAMPLES[level],
        }
    return None


# -- roll-ups --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineFacts:
    """One activity's money (summed over the months asked for) and where it sits in the register."""

    plan: int
    strategy: int
    programme: int
    activity: int
    opd: str
    budget: int
    realised: int


@dataclass
class Amounts:
    """Budget (the pagu in force: revised where revised) and realisation, in whole rupiah."""

    budget: int = 0
    realised: int = 0

    def add(self, budget: int, realised: int) -> None:
        self.budget += budget
        self.realised += realised

    @property
    def percent(self) -> int:
        """Realisation as a whole percentage of the budget (rounded down; 0 with no budget)."""
        return self.realised * 100 // self.budget if self.budget > 0 else 0

    @property
    def bar(self) -> int:
        """The percentage a bar is drawn at (at most 100)."""
        return min(self.percent, 100)


@dataclass
class RollUp:
    """Totals at every level of the register, by OPD, and for the whole."""

    activity: dict[int, Amounts] = field(default_factory=dict)
    programme: dict[int, Amounts] = field(default_factory=dict)
    strategy: dict[int, Amounts] = field(default_factory=dict)
    plan: dict[int, Amounts] = field(default_factory=dict)
    opd: dict[str, Amounts] = field(default_factory=dict)
    total: Amounts = field(default_factory=Amounts)


def effective_pagu(pagu: int, revised: int | None) -> int:
    """The pagu in force for a month: the revision when there is one, else the original."""
    return pagu if revised is None else revised


def roll_up(lines: Iterable[LineFacts]) -> RollUp:
    """Add each activity's budget and realisation into its programme, strategy, plan and OPD: every
    total is an exact integer sum of the activities below it."""
    out = RollUp()
    for line in lines:
        if line.budget < 0 or line.realised < 0:
            raise ValueError("amounts are never negative")
        for level, key in (
            (out.activity, line.activity),
            (out.programme, line.programme),
            (out.strategy, line.strategy),
            (out.plan, line.plan),
        ):
            level.setdefault(key, Amounts()).add(line.budget, line.realised)
        out.opd.setdefault(line.opd, Amounts()).add(line.budget, line.realised)
        out.total.add(line.budget, line.realised)
    return out


@dataclass(frozen=True)
class FundingFacts:
    """One funding source's amount for one programme."""

    plan: int
    strategy: int
    programme: int
    source: str
    amount: int


@dataclass
class FundingRollUp:
    """Funding by source at every level: level → id → source → rupiah."""

    programme: dict[int, dict[str, int]] = field(default_factory=dict)
    strategy: dict[int, dict[str, int]] = field(default_factory=dict)
    plan: dict[int, dict[str, int]] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)


def funding_roll_up(rows: Iterable[FundingFacts]) -> FundingRollUp:
    out = FundingRollUp()
    for row in rows:
        for level, key in ((out.programme, row.programme), (out.strategy, row.strategy), (out.plan, row.plan)):
            bucket = level.setdefault(key, {})
            bucket[row.source] = bucket.get(row.source, 0) + row.amount
        out.total[row.source] = out.total.get(row.source, 0) + row.amount
    return out


# -- a realisation row -----------------------------------------------------------------------------

MAX_RUPIAH = 10**15  # far above any city's whole budget (Balikpapan's APBD: ~Rp 4 trillion)
_RUPIAH = re.compile(r"(?:rp\.?\s*)?([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)", re.IGNORECASE)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})(?:-01)?")


def parse_rupiah(text: str) -> int | str:
    """Whole rupiah from ``1250000``, ``1.250.000`` or ``Rp 1.250.000``; else the reason why not."""
    cleaned = text.strip().replace(" ", "")
    match = _RUPIAH.fullmatch(cleaned)
    if not match:
        if re.fullmatch(r"(?:rp\.?)?[0-9.]*,[0-9]+|(?:rp\.?)?[0-9]+\.[0-9]{1,2}", cleaned, re.IGNORECASE):
            return _("%(value)s is not whole rupiah (no cents).") % {"value": text[:30]}
        return _("%(value)s is not an amount in rupiah.") % {"value": text[:30] or "-"}
    value = int(match.group(1).replace(".", ""))
    if value > MAX_RUPIAH:
        return _("%(value)s is far above any budget.") % {"value": text[:30]}
    return value


def parse_month(text: str) -> dt.date | str:
    """The first day of the month written ``2026-03`` (or ``2026-03-01``); else the reason why not."""
    match = _MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        return _("%(value)s is not a month (write it as 2026-03).") % {"value": text[:20] or "-"}
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def parse_percent(text: str) -> int | str | None:
    """Physical progress in whole percent (0–100), None when empty; else the reason why not."""
    cleaned = text.strip().rstrip("%").strip()
    if not cleaned:
        return None
    if not cleaned.isdigit() or not cleaned.isascii() or int(cleaned) > 100:
        return _("Physical progress %(value)s is not a whole percentage from 0 to 100.") % {"value": text[:10]}
    return int(cleaned)


@dataclass(frozen=True)
class MonthFacts:
    """What is known of the activity a realisation row names, for checking the row."""

    exists: bool
    may_enter: bool
    from_payments: bool
    first_month: dt.date
    last_month: dt.date


def check_realisation(month: dt.date, facts: MonthFacts) -> list[str]:
    """The reasons a realisation for ``month`` may not be entered on this activity (none: it may)."""
    if not facts.exists:
        return [_("No activity with this code in the register.")]
    reasons = []
    if not facts.may_enter:
        reasons.append(_("The activity belongs to another OPD: you may enter realisation for your own OPD's only."))
    if facts.from_payments:
        reasons.append(_("This activity's realisation is the programme's paid payments: it is not entered by file."))
    if not facts.first_month <= month <= facts.last_month:
        reasons.append(
            _("%(month)s is outside the programme's period (%(first)s to %(last)s).")
            % {"month": f"{month:%Y-%m}", "first": f"{facts.first_month:%Y-%m}", "last": f"{facts.last_month:%Y-%m}"}
        )
    return reasons


# -- adjustments -----------------------------------------------------------------------------------

TEXT_FIELDS = ("target_group",)
FIELDS = (
    "status",
    "target_group",
    "target_beneficiaries",
    "target_kelurahan",
    "lead_opd",
    "end",
    "base_amount",
    "rule",
    *(f"funding.{s}" for s in ("apbd", "dana_kelurahan", "apbn", "csr", "other")),
)
STATUSES = ("active", "paused", "stopped")
# Which status may follow which: a stopped programme stays stopped (a new one is registered instead).
STATUS_STEPS = {"active": ("paused", "stopped"), "paused": ("active", "stopped"), "stopped": ()}


PAGU_FIELD = re.compile(r"pagu\.([0-9]{4})")
# What an activity's adjustment may change besides its pagu: the output it delivers, its unit, its volume
# target and where (the longest text each holds).
ACTIVITY_FIELDS = {"output": 300, "unit": 60, "volume_target": 0, "location": 200}


@dataclass(frozen=True)
class AdjustFacts:
    """What a proposed value is checked against: the programme's kind, status and period, the OPD and
    kelurahan codes that exist, and whether the adjustment names an activity."""

    kind: str
    status: str
    start: dt.date
    opds: frozenset[str]
    kelurahan: frozenset[str]
    end: dt.date | None = None
    activity: bool = False
    rules: frozenset[str] = frozenset()


def parse_adjustment(name: str, text: str, facts: AdjustFacts) -> Any:
    """The value (plain JSON: text, a whole number, a list of codes, an ISO date) an adjustment of
    field ``name`` proposes, read from ``text``; raises :class:`Refused` saying why not."""
    value = text.strip()
    if match := PAGU_FIELD.fullmatch(name):
        year = int(match.group(1))
        if not facts.activity:
            raise Refused(_("A pagu is revised for one activity: name its kode rekening."), code="invalid")
        if not facts.start.year <= year <= (facts.end or facts.start).year:
            raise Refused(_("%(year)d is outside the programme's period.") % {"year": year}, code="invalid")
        amount = parse_rupiah(value)
        if isinstance(amount, str):
            raise Refused(amount, code="invalid")
        return amount
    if facts.activity:
        if name not in ACTIVITY_FIELDS:
            raise Refused(
                _("An activity's %(fields)s or pagu (pagu.YYYY) is adjusted, not %(field)s.")
                % {"fields": ", ".join(ACTIVITY_FIELDS), "field": name[:40]},
                code="invalid",
            )
        if name == "volume_target":
            if not value.isdigit() or not value.isascii() or int(value) > 100_000_000:
                raise Refused(_("A volume target is a whole number."), code="invalid")
            return int(value)
        if len(value) > ACTIVITY_FIELDS[name] or (name == "output" and not value):
            raise Refused(
                _("%(field)s is a text of at most %(n)d characters.") % {"field": name, "n": ACTIVITY_FIELDS[name]},
                code="invalid",
            )
        return value
    if name in ACTIVITY_FIELDS:
        raise Refused(
            _("An activity's %(field)s is adjusted: name its kode rekening.") % {"field": name}, code="invalid"
        )
    if name not in FIELDS:
        raise Refused(
            _("%(field)s cannot be adjusted; the fields are %(fields)s.")
            % {"field": name[:40], "fields": ", ".join(FIELDS)},
            code="invalid",
        )
    if name == "status":
        if value not in STATUSES:
            raise Refused(_("A status is one of %(values)s.") % {"values": ", ".join(STATUSES)}, code="invalid")
        if value not in STATUS_STEPS[facts.status]:
            raise Refused(
                _("A %(old)s programme cannot become %(new)s.") % {"old": facts.status, "new": value}, code="invalid"
            )
        return value
    if name == "target_group":
        if not value or len(value) > 300:
            raise Refused(_("A target group is a text of 1 to 300 characters."), code="invalid")
        return value
    if name == "lead_opd":
        code = value.upper()
        if code not in facts.opds:
            raise Refused(_("There is no OPD %(code)s.") % {"code": value[:20]}, code="invalid")
        return code
    if name == "target_kelurahan":
        codes = sorted({c.strip() for c in value.split(",") if c.strip()})
        unknown = [c for c in codes if c not in facts.kelurahan]
        if unknown:
            raise Refused(
                _("Not kelurahan codes: %(codes)s.") % {"codes": ", ".join(c[:20] for c in unknown[:5])}, code="invalid"
            )
        return codes
    if name == "end":
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise Refused(
                _("%(value)s is not a date (write it as 2027-12-31).") % {"value": value[:20]}, code="invalid"
            ) from None
        if day < facts.start:
            raise Refused(
                _("The programme cannot end before it starts (%(start)s).") % {"start": facts.start}, code="invalid"
            )
        return day.isoformat()
    if name == "base_amount" and facts.kind != "cash":
        raise Refused(_("Only a cash transfer has a base amount."), code="invalid")
    if name == "rule":
        if facts.kind != "cash":
            raise Refused(_("Only a cash transfer is targeted by an eligibility rule."), code="invalid")
        if value not in facts.rules:
            raise Refused(_("There is no eligibility rule named %(name)s.") % {"name": value[:120]}, code="invalid")
        return value
    if name == "target_beneficiaries":
        if not value.isdigit() or not value.isascii() or int(value) > 10_000_000:
            raise Refused(_("A target is a whole number of beneficiaries."), code="invalid")
        return int(value)
    amount = parse_rupiah(value)
    if isinstance(amount, str):
        raise Refused(amount, code="invalid")
    return amount


def revision_shift(months: Mapping[str, Sequence[int]], last_month: dt.date) -> int:
    """How much a pagu revision changed the budget of the months up to ``last_month``: the sum of
    after − before over those months (``{"2026-01": [before, after], …}``)."""
    limit = f"{last_month:%Y-%m}"
    return sum(after - before for month, (before, after) in months.items() if month <= limit)


@dataclass(frozen=True)
class Change:
    """An approved adjustment of one field: its value before and after, and when it took effect."""

    pk: int
    field: str
    before: Any
    after: Any
    effective_on: dt.date


def as_of(current: Mapping[str, Any], changes: Sequence[Change], day: dt.date) -> dict[str, Any]:
    """A programme's fields as they stood on ``day``: today's values with every approved adjustment
    effective after ``day`` undone, newest first (so two changes of one field restore the oldest value)."""
    state = dict(current)
    for change in sorted(changes, key=lambda c: (c.effective_on, c.pk), reverse=True):
        if change.effective_on > day:
            state[change.field] = change.before
    return state
