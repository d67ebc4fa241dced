"""Validation rules of the registry, in one place: forms, the import and the API all call these.

Pure functions on parsed values (dicts of field → Python value); no database. What needs the
database (a NIK already registered elsewhere) is checked by the caller with one set-based query.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any

from django.utils.translation import gettext as _

from entas.core.ids import Issue, Severity, check_kk, check_nik

from .choices import Lighting, Relationship, SchoolParticipation, Sex

MAX_HOUSEHOLD_SIZE = 30
MAX_AGE = 120

# Characters no name, address or code holds: C0 and C1 control characters (NUL, tab, line breaks,
# escape…, also the unit separator the import packs rows with), DEL, the bidirectional overrides and
# isolates that make text display in another order than it is stored (a name that reads one way on
# screen and sorts another), and lone surrogates (not text; PostgreSQL cannot store them).
UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# The free-text fields (every other field is a code, a number, a date or a yes/no answer, checked
# against its kind); tests/registry/test_validation.py keeps these in step with the models.
HOUSEHOLD_TEXT = ("kk_number", "address", "rt", "rw")
MEMBER_TEXT = ("nik", "name")


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def text_issues(values: Mapping[str, Any], fields: Sequence[str]) -> list[Issue]:
    """Every text field of ``fields`` holding a character of UNSAFE_TEXT (named by its code point)."""
    texts = [v for v in map(values.get, fields) if type(v) is str]
    if not UNSAFE_TEXT.search("".join(texts)):  # one search for the whole row: the common case
        return []
    issues = []
    for name in fields:
        value = values.get(name)
        if type(value) is str and (found := UNSAFE_TEXT.search(value)):
            issues.append(
                Issue(
                    name,
                    "control_character",
                    _("%(column)s holds the control character U+%(code)04X at position %(position)d; remove it.")
                    % {"column": name, "code": ord(found.group()), "position": found.start() + 1},
                )
            )
    return issues


def validate_household(values: Mapping[str, Any], *, today: dt.date, known_kecamatan: Set[str] | None) -> list[Issue]:
    issues: list[Issue] = text_issues(values, HOUSEHOLD_TEXT)
    kk = values.get("kk_number") or ""
    if kk:
        issues += check_kk(kk, known_kecamatan=known_kecamatan)
    desil_date = values.get("desil_date")
    if desil_date and desil_date > today:
        issues.append(
            Issue("desil_date", "future", _("desil_date %(value)s is in the future.") % {"value": desil_date})
        )
    if values.get("power_va") and values.get("lighting") in {Lighting.NON_PLN, Lighting.NONE}:
        issues.append(
            Issue(
                "power_va",
                "inconsistent",
                _("power_va %(value)s is given but the lighting is not PLN electricity.")
                % {"value": values["power_va"]},
                Severity.WARNING,
            )
        )
    for name in ("rt", "rw"):
        value = values.get(name) or ""
        if value and not value.isdigit():
            issues.append(
                Issue(
                    name,
                    "format",
                    _("%(column)s %(value)r must be digits (e.g. 003).") % {"column": name.upper(), "value": value},
                )
            )
    return issues


def validate_member(values: Mapping[str, Any], *, today: dt.date, known_kecamatan: Set[str] | None) -> list[Issue]:
    issues: list[Issue] = text_issues(values, MEMBER_TEXT)
    birth = values.get("birth_date")
    sex = values.get("sex")
    if values.get("nik"):
        issues += check_nik(values["nik"], birth_date=birth, sex=sex, known_kecamatan=known_kecamatan)
    if birth is not None:
        if birth > today:
            issues.append(Issue("birth_date", "future", _("birth_date %(value)s is in the future.") % {"value": birth}))
        elif age_on(birth, today) > MAX_AGE:
            issues.append(
                Issue(
                    "birth_date",
                    "too_old",
                    _("birth_date %(value)s gives an age over %(n)d years.") % {"value": birth, "n": MAX_AGE},
                )
            )
    if values.get("pregnant") and sex == Sex.MALE:
        issues.append(
            Issue(
                "pregnant",
                "inconsistent",
                _("pregnant is 'yes' for a man (NIK %(nik)s).") % {"nik": values.get("nik", "")},
            )
        )
    if values.get("pregnant") and birth is not None and not 10 <= age_on(birth, today) <= 55:
        issues.append(
            Issue(
                "pregnant",
                "age",
                _("pregnant is 'yes' at age %(age)d.") % {"age": age_on(birth, today)},
                Severity.WARNING,
            )
        )
    if values.get("school_level") and values.get("school_participation") == SchoolParticipation.NEVER:
        issues.append(
            Issue(
                "school_level",
                "inconsistent",
                _("school_level %(value)s is given for someone who never attended school.")
                % {"value": values["school_level"]},
                Severity.WARNING,
            )
        )
    if values.get("worked") is False and values.get("work_hours"):
        issues.append(
            Issue(
                "work_hours",
                "inconsistent",
                _("work_hours %(value)s is given but worked is 'no'.") % {"value": values["work_hours"]},
                Severity.WARNING,
            )
        )
    return issues


def validate_family(members: Sequence[Mapping[str, Any]]) -> list[Issue]:
    """Checks across the members of one family: one head, size, ages against relationships."""
    issues: list[Issue] = []
    heads = [m for m in members if m.get("relationship") == Relationship.HEAD]
    if len(heads) != 1:
        issues.append(
            Issue(
                "relationship",
                "heads",
                _("The family has %(n)d heads (relationship = 1); it needs exactly one.") % {"n": len(heads)},
            )
        )
    if len(members) > MAX_HOUSEHOLD_SIZE:
        issues.append(
            Issue(
                "kk_number",
                "size",
                _("The family has %(n)d members; at most %(max)d are allowed.")
                % {"n": len(members), "max": MAX_HOUSEHOLD_SIZE},
            )
        )
    issues += _duplicate_niks(m.get("nik") for m in members)
    if len(heads) == 1 and heads[0].get("birth_date"):
        head_birth = heads[0]["birth_date"]
        for m in members:
            birth = m.get("birth_date")
            if birth is None:
                continue
            if m.get("relationship") in {Relationship.CHILD, Relationship.GRANDCHILD} and birth < head_birth:
                issues.append(
                    Issue(
                        "birth_date",
                        "child_older",
                        _("%(name)s (NIK %(nik)s) is a child but older than the head of the family.")
                        % {"name": m.get("name", ""), "nik": m.get("nik", "")},
                        Severity.WARNING,
                    )
                )
            if m.get("relationship") == Relationship.PARENT and birth > head_birth:
                issues.append(
                    Issue(
                        "birth_date",
                        "parent_younger",
                        _("%(name)s (NIK %(nik)s) is a parent but younger than the head of the family.")
                        % {"name": m.get("name", ""), "nik": m.get("nik", "")},
                        Severity.WARNING,
                    )
                )
    return issues


def _duplicate_niks(niks: Iterable[str | None]) -> list[Issue]:
    seen: set[str] = set()
    issues = []
    for nik in niks:
        if not nik:
            continue
        if nik in seen:
            issues.append(Issue("nik", "duplicate", _("NIK %(value)s appears twice in the family.") % {"value": nik}))
        seen.add(nik)
    return issues


def errors(issues: Iterable[Issue]) -> list[Issue]:
    return [i for i in issues if i.is_error]
