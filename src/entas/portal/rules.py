"""The citizen portal's pure rules: plain facts in, a decision out (no ORM, no request).

- the life of a complaint (:func:`transition`): new → in progress → waiting for the citizen →
  resolved → closed, and reopening;
- the service-level clock in working days (:func:`add_working_days`, :func:`working_days_between`):
  Saturdays, Sundays and the public holidays of ``data/holidays.toml`` do not count;
- each category's default severity, handling unit and service levels (:data:`CATEGORY_RULES`), and
  the escalation level a case has reached (:func:`escalation_level`);
- tracking codes (:func:`new_tracking_code`, :func:`normalise_code`): secrets-based, unguessable;
- duplicate detection (:func:`fingerprint`) and the name check of *cek bansos* (:func:`name_matches`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _

from entas.core.errors import Refused

# -- states -----------------------------------------------------------------------------------------

NEW = "new"
IN_PROGRESS = "in_progress"
WAITING = "waiting"
RESOLVED = "resolved"
CLOSED = "closed"
OPEN_STATES = frozenset({NEW, IN_PROGRESS, WAITING})

# action: (the states it may start from, the state it leads to)
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "start": (frozenset({NEW}), IN_PROGRESS),
    "ask_citizen": (frozenset({NEW, IN_PROGRESS}), WAITING),
    "citizen_replied": (frozenset({WAITING}), IN_PROGRESS),
    "resolve": (frozenset({NEW, IN_PROGRESS, WAITING}), RESOLVED),
    "close": (frozenset({NEW, RESOLVED}), CLOSED),  # closing a new case: spam or a duplicate
    "reopen": (frozenset({RESOLVED, CLOSED}), IN_PROGRESS),
}


def transition(state: str, action: str, *, answered: bool = True) -> str | Refused:
    """The state ``action`` leads to from ``state``, or the refusal saying why not.

    ``answered``: whether the case has a public answer; a case is resolved only once the citizen has
    been told how (a resolution with no answer is no resolution)."""
    if action not in ACTIONS:
        return Refused(_("Unknown step: %(action)s.") % {"action": action}, code="invalid")
    sources, target = ACTIONS[action]
    if state not in sources:
        return Refused(
            _("A case in state %(state)s cannot take the step %(action)s.") % {"state": state, "action": action},
            code="conflict",
        )
    if action == "resolve" and not answered:
        return Refused(_("Write a public answer before resolving: the citizen must learn how."), code="invalid")
    return target


def actions_from(state: str) -> list[str]:
    """The steps a case in ``state`` may take, in a stable order."""
    return [action for action, (sources, _target) in ACTIONS.items() if state in sources]


# -- categories and service levels ------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRule:
    """A category's defaults: its severity, who handles it, and its service levels in working days."""

    severity: str  # high, medium, low
    unit: str  # dinsos, kelurahan, bank
    first_response_days: int
    resolution_days: int


CATEGORY_RULES: dict[str, CategoryRule] = {
    "payment_not_received": CategoryRule("high", "bank", 2, 10),
    "wrong_amount": CategoryRule("high", "dinsos", 2, 10),
    "wrongly_excluded": CategoryRule("medium", "dinsos", 3, 20),
    "wrongly_included": CategoryRule("medium", "kelurahan", 3, 20),
    "misconduct": CategoryRule("high", "dinsos", 1, 10),
    "data_error": CategoryRule("low", "kelurahan", 5, 20),
    "usul": CategoryRule("medium", "kelurahan", 5, 30),
    "sanggah": CategoryRule("medium", "kelurahan", 5, 30),
    "other": CategoryRule("low", "dinsos", 5, 20),
}


@dataclass(frozen=True)
class Deadlines:
    first_response: dt.date
    resolution: dt.date


def deadlines(category: str, submitted: dt.date, holidays: frozenset[dt.date]) -> Deadlines:
    """When a case submitted on ``submitted`` must first be answered and resolved (working days,
    counted from the next working day: a complaint filed on Friday evening starts on Monday)."""
    rule = CATEGORY_RULES.get(category, CATEGORY_RULES["other"])
    return Deadlines(
        first_response=add_working_days(submitted, rule.first_response_days, holidays),
        resolution=add_working_days(submitted, rule.resolution_days, holidays),
    )


def is_working_day(day: dt.date, holidays: frozenset[dt.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: dt.date, days: int, holidays: frozenset[dt.date]) -> dt.date:
    """The working day ``days`` working days after ``start`` (``start`` itself never counts)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date, holidays: frozenset[dt.date]) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after ``start``)."""
    if end <= start:
        return 0
    full_weeks, rest = divmod((end - start).days, 7)
    count = full_weeks * 5
    day = start + dt.timedelta(days=full_weeks * 7)
    for _i in range(rest):
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    count -= sum(1 for h in holidays if start < h <= end and h.weekday() < 5)
    return count


# -- escalation -------------------------------------------------------------------------------------

LEVEL_NONE, LEVEL_SUPERVISOR, LEVEL_HEAD = 0, 1, 2
# Working days past the resolution deadline after which a case goes to the head of the agency.
HEAD_AFTER_DAYS = 5


@dataclass(frozen=True)
class ClockFacts:
    """Where a case stands against its service levels on ``today``."""

    state: str
    first_response_due: dt.date
    resolution_due: dt.date
    first_responded: bool
    today: dt.date


def escalation_level(facts: ClockFacts, holidays: frozenset[dt.date]) -> int:
    """0 within its service levels; 1 (the supervisor) once a level is breached; 2 (the head of the
    agency) once the resolution is :data:`HEAD_AFTER_DAYS` working days overdue. A case waiting for
    the citizen, resolved or closed is not escalated further (the clock is the officers')."""
    if facts.state not in (NEW, IN_PROGRESS):
        return LEVEL_NONE
    overdue = working_days_between(facts.resolution_due, facts.today, holidays)
    if overdue >= HEAD_AFTER_DAYS:
        return LEVEL_HEAD
    if overdue > 0:
        return LEVEL_SUPERVISOR
    if not facts.first_responded and facts.today > facts.first_response_due:
        return LEVEL_SUPERVISOR
    return LEVEL_NONE


# -- holidays ---------------------------------------------------------------------------------------

HOLIDAYS_FILE = Path(__file__).parent / "data" / "holidays.toml"


@cache
def load_holidays(path: Path = HOLIDAYS_FILE, *, cuti_bersama: bool = True) -> frozenset[dt.date]:
    """The public holidays (and, unless ``cuti_bersama`` is false, the collective leave days) of the file."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    days: set[dt.date] = set()
    for year in data.get("years", {}).values():
        kinds = ["holidays", "cuti_bersama"] if cuti_bersama else ["holidays"]
        for kind in kinds:
            for entry in year.get(kind, []):
                day = entry["date"]
                if not isinstance(day, dt.date):
                    raise ValueError(f"{path}: {entry!r} has no date")
                days.add(day)
    return frozenset(days)


# -- tracking codes ---------------------------------------------------------------------------------

# No 0/O, 1/I/L: what is read aloud over a telephone or copied from a slip is not mistaken.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 31**12 ≈ 7.9e17 ≈ 2**59.5


def new_tracking_code() -> str:
    """A fresh tracking code, ``XXXX-XXXX-XXXX`` from :data:`CODE_ALPHABET` (the ``secrets`` module)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(text: str) -> str | None:
    """A typed code reduced to its characters (case, spaces and dashes ignored), or None when it
    cannot be a code (so no lookup is made)."""
    raw = re.sub(r"[\s\-]", "", text or "").upper()
    if len(raw) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in raw):
        return None
    return raw


def code_digest(code: str, key: bytes) -> str:
    """What is stored of a code: a keyed hash (HMAC-SHA256) of its normalised characters. A stolen
    database gives no code; a lookup compares digests, which an index finds without a timing oracle
    on the code itself."""
    raw = normalise_code(code)
    if raw is None:
        raise ValueError("not a tracking code")
    return hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()


def keyed_hash(value: str, key: bytes, purpose: str) -> str:
    """A keyed hash of personal or network data kept for abuse control and audit (an address, a NIK)."""
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


# -- duplicates and names ---------------------------------------------------------------------------


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def fingerprint(*, category: str, kelurahan: str, description: str) -> str:
    """The same complaint typed again (case, spacing and punctuation aside) has the same fingerprint."""
    return hashlib.sha256(f"{category}|{kelurahan}|{_fold(description)}".encode()).hexdigest()


MIN_NAME_LETTERS = 3


def name_letters(text: str) -> str:
    """The letters of a name, folded (accents, case, spaces and punctuation dropped)."""
    return _fold(text).replace(" ", "")


def name_matches(typed: str, names: Iterable[str]) -> bool:
    """Whether the first letters ``typed`` (at least :data:`MIN_NAME_LETTERS`) begin one of ``names``.
    Every name is compared (constant-time comparisons, no early exit), so the time taken does not
    say which member matched."""
    prefix = name_letters(typed)
    if len(prefix) < MIN_NAME_LETTERS:
        return False
    found = False
    for name in names:
        letters = name_letters(name)[: len(prefix)].ljust(len(prefix), "\0")
        found |= hmac.compare_digest(letters.encode(), prefix.encode())
    return found
