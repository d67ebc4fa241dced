"""A programme definition file (YAML) read and checked before anything is written. Pure: no models, no queries.

A cash programme is defined in a small YAML file (docs/examples/blt.yaml; docs/cash-transfers.md lists
every field with its type and bounds). :func:`parse_programme` turns the file's bytes into a
:class:`ProgrammeSpec` of validated values, or refuses the file as a whole with **every** problem
found, each positioned by its line and column and named by its path (``entitlement.base_amount``):
``Refused(code="invalid", issues=[Problem(field, message), …])``.

The file comes from a person, not from a program, so the reader is deliberately narrower than YAML:

- **size** is bounded (:data:`MAX_BYTES`) before anything is decoded; the text must be UTF-8 (a
  binary file or another encoding is named as such, with the position of the first bad byte);
- **aliases, anchors, merge keys and tags are refused while composing**, before any value is built:
  a programme needs none of them, and an alias is what makes a 651-byte "billion laughs" file expand
  to gigabytes. Composition stops at the first alias, so nothing is ever expanded; a tag such as
  ``!!python/object`` is refused without being looked at;
- **nesting** deeper than :data:`MAX_DEPTH` stops composition (a programme needs three levels);
- **duplicate keys** are refused (YAML would silently keep the last one), unknown keys are named
  with the nearest known key, required keys must be present;
- **values are read from the text the user wrote**, not from YAML 1.1's guesses: ``300.000`` (an
  Indonesian thousands separator) is not read as 300, ``0300`` not as octal 192, ``1:30`` not as
  90, ``2026-13-45`` is reported as an impossible date instead of raising inside the YAML library;
- fields are checked against bounds (below) and against each other (end before start, a cap below
  the base amount, more tranches than months, shock mode ending outside the period); the
  eligibility rule is compiled by the rule language (:mod:`entas.targeting.rules`, also pure) so a
  mistake in it is reported with the rest.

The allowed funding sources and channels are written here (a pure module imports no model); a test
asserts they equal ``Programme.Funding`` and ``Programme.Channel``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from entas.core.errors import Problem, Refused
from entas.core.money import format_rupiah
from entas.targeting.rules import RuleError, compile_rule

# Bounds of a programme file. A complete programme (docs/examples/blt.yaml) is about 1 KB.
MAX_BYTES = 64 * 1024  # the file, before decoding
MAX_DEPTH = 5  # nesting levels (the file is 1; entitlement is 2; its amounts are 3)
MAX_PROBLEMS = 50  # problems listed in one refusal; the count of the rest is given
MAX_TEXT = 120  # names, agency, shock event: the model's column width
MAX_EXCLUSIVE = 50  # names in exclusive_with
MAX_MONTHLY_AMOUNT = 10_000_000  # Rp per household per month, for every amount and the cap
MAX_BUDGET = 100_000_000_000_000  # Rp 100 trillion: far above any city's whole budget (Balikpapan: ~Rp 4 tn)
MAX_MONTHS_PER_CYCLE = 12
MAX_PERIOD_MONTHS = 120  # a programme runs at most ten years
FIRST_YEAR, LAST_YEAR = 2000, 2100

# The model's choices (entas.programs.models.Programme.Funding / .Channel), asserted equal by a test.
FUNDING = ("apbd", "dana_kelurahan", "csr", "central")
CHANNELS = ("bank", "pos", "kelurahan")

# Keys of each mapping: name -> required.
PROGRAMME_KEYS = {
    "name": True,
    "agency": True,
    "funding": True,
    "start": True,
    "end": True,
    "channel": True,
    "budget_ceiling": True,
    "months_per_cycle": False,
    "tranches": False,
    "entitlement": True,
    "rule": True,
    "exclusive_with": False,
    "shock": False,
}
ENTITLEMENT_KEYS = {
    "base_amount": True,
    "per_child_in_school": False,
    "per_elderly": False,
    "per_disabled": False,
    "cap": False,
}
RULE_KEYS = {"name": True, "expression": True}
SHOCK_KEYS = {"event": True, "until": False}

_TAG = "tag:yaml.org,2002:"
_DECIMAL = re.compile(r"[-+]?[0-9][0-9_]*")
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
# Bidirectional embeddings, overrides and isolates: they make a name display as another ("Trojan Source").
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class EntitlementSpec:
    """What a household is due per month, in whole rupiah: the base amount plus amounts per qualifying
    member, at most the cap (none: no cap)."""

    base_amount: int
    per_child_in_school: int = 0
    per_elderly: int = 0
    per_disabled: int = 0
    cap: int | None = None


@dataclass(frozen=True)
class RuleSpec:
    """The eligibility rule, by name, in the rule language (docs/targeting.md); already compiled once."""

    name: str
    expression: str


@dataclass(frozen=True)
class ShockSpec:
    """Shock mode: only households flagged for ``event`` qualify; no enrolment or cycle after ``until``."""

    event: str
    until: dt.date | None = None


@dataclass(frozen=True)
class ProgrammeSpec:
    """The validated content of a programme file. ``exclusive_with`` holds names of other programmes,
    not yet looked up (whether they exist is the service's question)."""

    name: str
    agency: str
    funding: str
    start: dt.date
    end: dt.date
    channel: str
    budget_ceiling: int
    entitlement: EntitlementSpec
    rule: RuleSpec
    months_per_cycle: int = 1
    tranches: int | None = None
    exclusive_with: tuple[str, ...] = ()
    shock: ShockSpec | None = None

    def as_model_fields(self) -> dict[str, Any]:
        """The values of ``Programme``'s own columns (not ``rule``, a foreign key, nor ``exclusive_with``)."""
        e = self.entitlement
        return {
            "name": self.name,
            "agency": self.agency,
            "funding": self.funding,
            "start": self.start,
            "end": self.end,
            "channel": self.channel,
            "budget_ceiling": self.budget_ceiling,
            "months_per_cycle": self.months_per_cycle,
            "tranches": self.tranches,
            "base_amount": e.base_amount,
            "per_child_in_school": e.per_child_in_school,
            "per_elderly": e.per_elderly,
            "per_disabled": e.per_disabled,
            "cap": e.cap,
            "shock_event": self.shock.event if self.shock else "",
            "shock_until": self.shock.until if self.shock else None,
        }


def parse_programme(data: bytes, *, source: str = "", max_bytes: int = MAX_BYTES) -> ProgrammeSpec:
    """The programme defined by the YAML file ``data``, or :class:`Refused` (code ``invalid``) listing
    every problem of the file with its line, column and field. ``source`` names the file in the message."""
    return _Reader(source).read(data, max_bytes)


def check_values(values: dict[str, Any]) -> ProgrammeSpec:
    """The programme defined by ``values`` (what a page's form holds, shaped as the file is: ``name``,
    ``entitlement: {base_amount…}``, ``rule: {name, expression}``, ``shock: {event, until}``; None
    for an empty field), checked by the very reader of the YAML file: every bound and every check
    between fields is the same. Refused lists each problem with its field path and without a
    position (there is no file): ``Problem("entitlement.cap", "the cap … is below the base amount …")``."""

    def drop_empty(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: drop_empty(v) for k, v in value.items() if v is not None and v != "" and v != [] and v != {}}
        return value

    text = yaml.safe_dump(drop_empty(values), allow_unicode=True, sort_keys=False, width=10_000)
    return _Reader(_("The programme"), positions=False).read(text.encode("utf-8"), MAX_BYTES * 4)


# --- reading ---------------------------------------------------------------------------------------


@dataclass(order=True)
class _Found:
    line: int  # 1-based; 0 for the whole file
    column: int
    path: str = field(compare=False)
    text: str = field(compare=False)


class _Stop(Exception):
    """A problem after which the file is not read further (an alias, too deep a nesting)."""


def _position(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def _cut(value: str, limit: int = 40) -> str:
    """A name or value for a message, shortened: a message never echoes a whole hostile file."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _show(value: str) -> str:
    """A value quoted into a message, shortened."""
    return repr(_cut(value))


def _number(n: int) -> str:
    return number_format(n, decimal_pos=0, force_grouping=True)


class _Composer(yaml.SafeLoader):
    """PyYAML's pure-Python composer (libyaml's composes in C, out of reach node by node), narrowed: an
    alias stops it at once, before any expansion; anchors and tags are reported; nesting is bounded
    (unbounded, it recurses into a RecursionError)."""

    def __init__(self, text: str, reader: _Reader) -> None:
        super().__init__(text)
        self.reader = reader
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self.reader.add(
                event.start_mark,
                "",
                _("aliases (*%(name)s) are not allowed in a programme file: write the value out in full")
                % {"name": _cut(event.anchor or "")},
            )
            raise _Stop
        if event.anchor is not None:
            self.reader.add(
                event.start_mark,
                "",
                _("anchors (&%(name)s) are not allowed in a programme file") % {"name": _cut(event.anchor)},
            )
            event.anchor = None  # never registered: no alias could refer to it
        tag = getattr(event, "tag", None)
        if tag is not None:
            shown = _cut("!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag)
            self.reader.add(
                event.start_mark, "", _("tags such as %(tag)s are not allowed in a programme file") % {"tag": shown}
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                self.reader.add(
                    event.start_mark,
                    "",
                    _("the file is nested more than %(n)d levels deep; a programme file needs 3") % {"n": MAX_DEPTH},
                )
                raise _Stop
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Reader:
    """One reading of one file: the problems found so far, and the checks that add to them."""

    def __init__(self, source: str, *, positions: bool = True) -> None:
        self.source = source
        self.positions = positions  # False: the values come from a form, not from a file
        self.found: list[_Found] = []

    # -- problems

    def add(self, where: Any, path: str, text: str) -> None:
        """A problem at ``where`` (a YAML node, a mark, a (line, column) pair or None for the whole file)."""
        if isinstance(where, tuple):
            line, column = where
        else:
            line, column = _position(getattr(where, "start_mark", where))
        self.found.append(_Found(line, column, path, text))

    def refusal(self) -> Refused:
        issues = []
        for f in sorted(self.found)[:MAX_PROBLEMS]:
            where = {"line": f.line, "column": f.column, "field": f.path, "problem": f.text}
            if not self.positions:
                message = f.text
            elif f.line and f.path:
                message = _("line %(line)d, column %(column)d: %(field)s: %(problem)s") % where
            elif f.line:
                message = _("line %(line)d, column %(column)d: %(problem)s") % where
            elif f.path:
                message = _("%(field)s: %(problem)s") % where
            else:
                message = f.text
            issues.append(Problem(f.path, message))
        if len(self.found) > MAX_PROBLEMS:
            rest = len(self.found) - MAX_PROBLEMS
            issues.append(
                Problem("", ngettext("… and %(n)d more problem", "… and %(n)d more problems", rest) % {"n": rest})
            )
        n = len(self.found)
        heading = ngettext("%(source)s is refused (%(n)d problem):", "%(source)s is refused (%(n)d problems):", n) % {
            "source": self.source or _("The programme file"),
            "n": n,
        }
        return Refused("\n".join([heading, *(i.message for i in issues)]), code="invalid", issues=issues)

    # -- the file

    def read(self, data: bytes, max_bytes: int) -> ProgrammeSpec:
        text = self.decode(data, max_bytes)
        node = self.compose(text) if text is not None else None
        if node is not None:  # a mapping, composed to its end (anchors and tags reported, the fields still checked)
            spec = self.programme(node)
            if spec is not None:
                return spec
        raise self.refusal()

    def decode(self, data: bytes, max_bytes: int) -> str | None:
        if len(data) > max_bytes:
            self.add(
                None,
                "",
                _("the file is %(size)s bytes; a programme file holds at most %(max)s")
                % {"size": _number(len(data)), "max": _number(max_bytes)},
            )
            return None
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            self.add((1, 1), "", _("the file is encoded as UTF-16; save it as UTF-8 text"))
            return None
        nul = data.find(b"\x00")
        if nul >= 0:
            self.add(_byte_position(data, nul), "", _("the file holds a NUL byte: it is a binary file, not YAML text"))
            return None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self.add(
                _byte_position(data, exc.start),
                "",
                _("the file is not UTF-8 text (byte 0x%(byte)02x); save it as UTF-8") % {"byte": data[exc.start]},
            )
            return None

    def compose(self, text: str) -> Any:
        """The top mapping node of the file, or None after reporting why there is none."""
        composer: _Composer | None = None
        try:
            composer = _Composer(text, self)  # checks the text's characters at once
            node = composer.get_single_node()
        except _Stop:
            return None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = " ".join(p for p in (exc.context, exc.problem) if p)
            self.add(mark, "", _("this is not valid YAML: %(error)s") % {"error": _cut(problem, 200)})
            return None
        except yaml.reader.ReaderError as exc:
            before = text[: exc.position]
            where = (before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1)
            self.add(
                where,
                "",
                _("the file holds a control character (U+%(code)04X): it is not a text file") % {"code": exc.character},
            )
            return None
        except yaml.YAMLError as exc:  # any other refusal of the YAML library, without a position
            self.add(None, "", _("this is not valid YAML: %(error)s") % {"error": _cut(str(exc), 200)})
            return None
        finally:
            if composer is not None:
                composer.dispose()
        if node is None:
            self.add(None, "", _("the file is empty: it must hold the programme's fields (name: …, agency: …)"))
            return None
        if not isinstance(node, yaml.MappingNode):
            self.add(
                node,
                "",
                _("the file must hold the programme's fields (name: …, agency: …), not %(what)s")
                % {"what": _kind(node)},
            )
            return None
        return node

    # -- the programme

    def programme(self, node: Any) -> ProgrammeSpec | None:
        fields = self.mapping(node, "", PROGRAMME_KEYS)
        if fields is None:
            return None
        name = self.text(fields.get("name"), "name")
        agency = self.text(fields.get("agency"), "agency")
        funding = self.choice(fields.get("funding"), "funding", FUNDING)
        channel = self.choice(fields.get("channel"), "channel", CHANNELS)
        start = self.date(fields.get("start"), "start")
        end = self.date(fields.get("end"), "end")
        budget = self.whole(fields.get("budget_ceiling"), "budget_ceiling", low=1, high=MAX_BUDGET, rupiah=True)
        months = self.whole(fields.get("months_per_cycle"), "months_per_cycle", low=1, high=MAX_MONTHS_PER_CYCLE)
        tranches = self.whole(fields.get("tranches"), "tranches", low=1, high=MAX_PERIOD_MONTHS)
        entitlement = self.entitlement(fields.get("entitlement"))
        rule = self.rule(fields.get("rule"))
        exclusive = self.names(fields.get("exclusive_with"), "exclusive_with", own=name)
        shock = self.shock(fields.get("shock"), start, end)

        if start is not None and end is not None:
            months_in_period = (end.year - start.year) * 12 + end.month - start.month + 1
            if end < start:
                self.add(
                    fields["end"],
                    "end",
                    _("the programme ends (%(end)s) before it starts (%(start)s)")
                    % {"end": end.isoformat(), "start": start.isoformat()},
                )
            elif months_in_period > MAX_PERIOD_MONTHS:
                self.add(
                    fields["end"],
                    "end",
                    _("the programme runs %(n)d months; at most %(max)d")
                    % {"n": months_in_period, "max": MAX_PERIOD_MONTHS},
                )
            elif tranches is not None and tranches > months_in_period:
                # A cycle is one month (YYYY-MM) within the period, one per month: more tranches never come.
                self.add(
                    fields["tranches"],
                    "tranches",
                    ngettext(
                        "%(n)d tranches cannot be paid: the programme's period has only %(months)d month",
                        "%(n)d tranches cannot be paid: the programme's period has only %(months)d months",
                        months_in_period,
                    )
                    % {"n": tranches, "months": months_in_period},
                )
        if self.found:
            return None
        # Without a problem, every required value is there (each missing one was reported).
        assert name and agency and funding and channel and start and end and budget and entitlement and rule
        return ProgrammeSpec(
            name=name,
            agency=agency,
            funding=funding,
            start=start,
            end=end,
            channel=channel,
            budget_ceiling=budget,
            entitlement=entitlement,
            rule=rule,
            months_per_cycle=months if months is not None else 1,
            tranches=tranches,
            exclusive_with=exclusive,
            shock=shock,
        )

    def entitlement(self, node: Any) -> EntitlementSpec | None:
        fields = self.mapping(node, "entitlement", ENTITLEMENT_KEYS)
        if fields is None:
            return None
        amounts = {
            key: self.whole(fields.get(key), f"entitlement.{key}", low=0, high=MAX_MONTHLY_AMOUNT, rupiah=True)
            for key in ("base_amount", "per_child_in_school", "per_elderly", "per_disabled")
        }
        cap = self.whole(fields.get("cap"), "entitlement.cap", low=1, high=MAX_MONTHLY_AMOUNT, rupiah=True)
        base = amounts["base_amount"]
        if base is None:
            return None
        if cap is not None and cap < base:
            self.add(
                fields["cap"],
                "entitlement.cap",
                _("the cap (%(cap)s) is below the base amount (%(base)s): every household would get the cap")
                % {"cap": format_rupiah(cap), "base": format_rupiah(base)},
            )
        if all(v == 0 for v in amounts.values()) and "base_amount" in fields:
            self.add(node, "entitlement", _("every amount is 0: the programme would pay nothing"))
        return EntitlementSpec(
            base_amount=base,
            per_child_in_school=amounts["per_child_in_school"] or 0,
            per_elderly=amounts["per_elderly"] or 0,
            per_disabled=amounts["per_disabled"] or 0,
            cap=cap,
        )

    def rule(self, node: Any) -> RuleSpec | None:
        fields = self.mapping(node, "rule", RULE_KEYS)
        if fields is None:
            return None
        name = self.text(fields.get("name"), "rule.name")
        expression = self.text(fields.get("expression"), "rule.expression", limit=None, multiline=True)
        if expression is not None:
            try:
                compile_rule(expression)
            except RuleError as exc:
                self.add(
                    fields["expression"],
                    "rule.expression",
                    _("column %(column)d of the rule: %(problem)s") % {"column": exc.column, "problem": exc.message},
                )
                return None
        if name is None or expression is None:
            return None
        return RuleSpec(name=name, expression=expression)

    def shock(self, node: Any, start: dt.date | None, end: dt.date | None) -> ShockSpec | None:
        if node is None:
            return None
        fields = self.mapping(node, "shock", SHOCK_KEYS)
        if fields is None:
            return None
        event = self.text(fields.get("event"), "shock.event")
        until = self.date(fields.get("until"), "shock.until")
        if until is not None and start is not None and end is not None and not start <= until <= end:
            self.add(
                fields["until"],
                "shock.until",
                _("shock mode must end within the programme's period (%(start)s to %(end)s), not on %(until)s")
                % {"start": start.isoformat(), "end": end.isoformat(), "until": until.isoformat()},
            )
        return ShockSpec(event=event, until=until) if event is not None else None

    # -- the kinds of value

    def mapping(self, node: Any, path: str, keys: dict[str, bool]) -> dict[str, Any] | None:
        """The values of a mapping by key (null values left out), after reporting what is wrong with its keys."""
        if node is None:
            return None
        if not isinstance(node, yaml.MappingNode):
            self.add(
                node,
                path,
                _("must be a group of fields (%(keys)s), not %(what)s")
                % {"keys": ", ".join(keys), "what": _kind(node)},
            )
            return None
        seen: dict[str, Any] = {}
        values: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.add(key_node, path, _("a key must be a plain name, not %(what)s") % {"what": _kind(key_node)})
                continue
            key = key_node.value
            here = f"{path}.{key}" if path else key
            if key_node.tag == _TAG + "merge":
                self.add(key_node, path, _("merge keys (<<) are not allowed in a programme file: write the keys out"))
                continue
            if key not in keys:
                # Past the problems listed, no nearest key is looked for (a file of thousands of keys).
                near = len(key) <= MAX_TEXT and len(self.found) < MAX_PROBLEMS
                self.add(key_node, here if len(key) <= MAX_TEXT else path, _unknown(key, keys, near=near))
                continue
            if key in seen:
                self.add(
                    key_node,
                    here,
                    _("appears twice (first on line %(line)d): keep one") % {"line": seen[key].start_mark.line + 1},
                )
                continue
            seen[key] = key_node
            if not _is_null(value_node):
                values[key] = value_node
        for key, required in keys.items():
            if required and key not in values:
                here = f"{path}.{key}" if path else key
                if key in seen:
                    self.add(seen[key], here, _("is empty; it is required"))
                else:
                    self.add(node, here, _("is missing; it is required"))
        return values

    def text(self, node: Any, path: str, *, limit: int | None = MAX_TEXT, multiline: bool = False) -> str | None:
        """The text the user wrote, stripped (whatever YAML would have made of it: ``name: 2026`` is text)."""
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.add(node, path, _("must be text, not %(what)s") % {"what": _kind(node)})
            return None
        value = node.value.strip()
        allowed = "\n\t" if multiline else ""
        bad = next((c for c in value if (unicodedata.category(c) == "Cc" or c in _BIDI) and c not in allowed), None)
        if not value:
            self.add(node, path, _("is empty; it is required"))
        elif bad is not None:
            self.add(node, path, _("holds a control character (U+%(code)04X)") % {"code": ord(bad)})
        elif limit is not None and len(value) > limit:
            self.add(
                node,
                path,
                _("is %(n)d characters long; at most %(max)d") % {"n": len(value), "max": limit},
            )
        else:
            return value
        return None

    def choice(self, node: Any, path: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(node, path)
        if value is None:
            return None
        if value not in allowed:
            close = difflib.get_close_matches(value.lower(), allowed, n=1) if len(value) <= MAX_TEXT else []
            message = _("must be one of %(allowed)s, not %(value)s") % {
                "allowed": ", ".join(allowed),
                "value": _show(value),
            }
            if close:
                message += " " + _("(did you mean %(key)s?)") % {"key": close[0]}
            self.add(node, path, message)
            return None
        return value

    def whole(self, node: Any, path: str, *, low: int, high: int, rupiah: bool = False) -> int | None:
        """A whole number written in decimal digits (underscores may group them: 300_000), within bounds."""
        if node is None:
            return None
        show = format_rupiah if rupiah else _number
        if not isinstance(node, yaml.ScalarNode):
            self.add(node, path, _("must be a whole number, not %(what)s") % {"what": _kind(node)})
            return None
        text = node.value.strip()
        digits = text.lstrip("+-").replace("_", "")
        if node.tag == _TAG + "float":
            self.add(
                node,
                path,
                _("must be a whole number without a decimal point or separators (300000 or 300_000), not %(value)s")
                % {"value": _show(text)},
            )
        elif node.tag != _TAG + "int":
            quoted = node.style in ("'", '"')
            message = _("must be a whole number, not text in quotes") if quoted else _("must be a whole number")
            self.add(node, path, message + " " + _("(found %(value)s)") % {"value": _show(text)})
        elif not _DECIMAL.fullmatch(text):
            self.add(
                node,
                path,
                _("write the number in decimal digits: YAML reads %(value)s as hexadecimal, octal, binary or base 60")
                % {"value": _show(text)},
            )
        elif len(digits) > 1 and digits.startswith("0"):
            self.add(
                node,
                path,
                _("write the number without a leading zero: YAML reads %(value)s as an octal number")
                % {"value": _show(text)},
            )
        elif text.startswith("-") and digits.strip("0"):
            self.add(node, path, _("must not be negative (found %(value)s)") % {"value": _show(text)})
        elif len(digits) > len(str(high)) or int(digits) > high:
            self.add(
                node, path, _("must be at most %(max)s (found %(value)s)") % {"max": show(high), "value": _show(text)}
            )
        elif int(digits) < low:
            self.add(
                node, path, _("must be at least %(min)s (found %(value)s)") % {"min": show(low), "value": _show(text)}
            )
        else:
            return int(digits)
        return None

    def date(self, node: Any, path: str) -> dt.date | None:
        """A calendar date written YYYY-MM-DD (YAML makes a date of a valid one and fails on an impossible one:
        the text is read here instead)."""
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.add(node, path, _("must be a date written YYYY-MM-DD, not %(what)s") % {"what": _kind(node)})
            return None
        text = node.value.strip()
        match = _DATE.fullmatch(text)
        if match is None:
            if _DATE.match(text):
                self.add(
                    node, path, _("must be a date without a time (YYYY-MM-DD), not %(value)s") % {"value": _show(text)}
                )
            else:
                self.add(node, path, _("must be a date written YYYY-MM-DD, not %(value)s") % {"value": _show(text)})
            return None
        year, month, day = (int(g) for g in match.groups())
        if not 1 <= month <= 12:
            self.add(
                node, path, _("%(value)s is not a date: there is no month %(month)d") % {"value": text, "month": month}
            )
        elif not FIRST_YEAR <= year <= LAST_YEAR:
            self.add(
                node,
                path,
                _("%(value)s is outside the years %(first)d to %(last)d")
                % {"value": text, "first": FIRST_YEAR, "last": LAST_YEAR},
            )
        elif not 1 <= day <= calendar.monthrange(year, month)[1]:
            self.add(
                node,
                path,
                _("%(value)s is not a date: that month has %(days)d days")
                % {"value": text, "days": calendar.monthrange(year, month)[1]},
            )
        else:
            return dt.date(year, month, day)
        return None

    def names(self, node: Any, path: str, *, own: str | None) -> tuple[str, ...]:
        if node is None:
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.add(
                node,
                path,
                _("must be a list of programme names, e.g. [BLT Kota Balikpapan 2026], not %(what)s")
                % {"what": _kind(node)},
            )
            return ()
        if len(node.value) > MAX_EXCLUSIVE:
            self.add(
                node, path, _("names %(n)d programmes; at most %(max)d") % {"n": len(node.value), "max": MAX_EXCLUSIVE}
            )
            return ()
        names: list[str] = []
        for item in node.value:
            name = self.text(item, path)
            if name is None:
                continue
            if name in names:
                self.add(item, path, _("%(name)s is named twice") % {"name": _show(name)})
            elif name == own:
                self.add(item, path, _("a programme cannot exclude itself"))
            else:
                names.append(name)
        return tuple(names)


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """Line and column (1-based, in bytes) of byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _is_null(node: Any) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "null"


def _kind(node: Any) -> str:
    if isinstance(node, yaml.MappingNode):
        return _("a group of fields")
    if isinstance(node, yaml.SequenceNode):
        return _("a list")
    return _("the single value %(value)s") % {"value": _show(node.value)}


def _unknown(key: str, keys: dict[str, bool], *, near: bool) -> str:
    close = difflib.get_close_matches(key.lower(), list(keys), n=1) if near else []
    if close:
        return _("unknown key %(key)s; did you mean %(near)s?") % {"key": _show(key), "near": close[0]}
    return _("unknown key %(key)s; the keys here are %(keys)s") % {"key": _show(key), "keys": ", ".join(keys)}
