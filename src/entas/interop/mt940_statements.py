"""SWIFT MT940 customer statements for the reconciliation of a payment cycle (beside camt.053).

Many Indonesian banks still give a corporate account's statement as MT940 (``:20:`` reference,
``:25:`` account, ``:28C:`` statement number, ``:60F:`` opening balance, ``:61:`` statement lines each
with its ``:86:`` information, ``:62F:`` closing balance). Each field is read with the ``mt-940``
library's tag parsers (amounts, marks, dates, references); this module adds what a reconciliation
needs and the library does not check, each problem given with its line:

- the structure: the fields a statement must have, in their order (``:20:`` first, one opening and one
  closing balance, statement lines between them), no unknown field, no text outside a field, a file
  that stops before its closing balance (cut short) refused;
- the balance: opening + credits − debits must equal the closing balance, in one currency.

The entries are then the same rows as a camt.053 statement's (:func:`entas.interop.banks.read_entries`)
and go through the same reconciliation (:func:`entas.interop.banks.reconcile_entries`): a debit
(``D``) is a transfer the bank booked, so paid; a reversal of a debit (``RD``), or a credit whose
``:86:`` carries a return (``/RTRN/`` with its reason code), is failed; other credits are money coming
in and are not read. The payment's end-to-end reference is the ``:86:`` ``/EREF/`` (or ``EREF+``)
value when there is one, else the ``:61:`` reference for the account owner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import mt940
from django.utils.translation import gettext as _

from entas.core.errors import Refused

MAX_PROBLEMS = 50
MAX_BYTES = 20 * 1024 * 1024
_TAG = re.compile(r"^:(?P<tag>\d{2}[A-Z]?|NS):(?P<value>.*)$")
_OPTIONS = mt940.Options(reversal_sign=True, case_insensitive_marks=True)
# The fields of a statement (SWIFT MT940); anything else is refused.
KNOWN = {"20", "21", "13D", "25", "25P", "28", "28C", "60F", "60M", "61", "86", "62F", "62M", "64", "65", "NS"}
# SWIFT's structured :86: codes for the end-to-end reference and a return (and the German GVC form).
_EREF = re.compile(r"(?:/EREF/|EREF\+)(?P<ref>[^/\n?]{1,35})")
_RTRN = re.compile(r"/RTRN/(?P<code>[A-Z0-9]{1,4})")


@dataclass
class Field:
    """One field of the file: its tag, its first line and its value (continuation lines joined by newlines)."""

    tag: str
    line: int
    value: str


@dataclass
class Statement:
    """One statement of the file, read and checked."""

    reference: str = ""
    account: str = ""
    currency: str = ""
    opening: Decimal = Decimal(0)
    closing: Decimal = Decimal(0)
    closing_line: int = 0
    entries: list[dict[str, Any]] = field(default_factory=list)


def looks_like_mt940(head: bytes) -> bool:
    """Whether the start of a file looks like an MT940 statement (for telling it from a camt.053)."""
    text = head.decode("latin-1").lstrip("\ufeff\r\n \t")
    return text.startswith(("{1:", ":20:")) or (bool(re.search(r"^:20:", text, re.MULTILINE)) and ":25:" in text)


def _fields(text: str, problems: list[str]) -> list[Field]:
    """The fields of the text, with their lines; a SWIFT envelope ({1:…}{2:…}{4: … -}) is unwrapped."""
    fields: list[Field] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r").rstrip()
        if number == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        if line.startswith("{"):
            # The SWIFT header blocks; block 4 holds the text, "-}" closes it.
            rest = line.split("{4:", 1)[1] if "{4:" in line else ""
            if not rest.strip():
                continue
            line = rest
        if line.strip() == "-" or line.startswith("-}"):  # the end of block 4 (and a trailer {5:…})
            continue
        if line.endswith("-}"):
            line = line[:-2]
        match = _TAG.match(line)
        if match:
            fields.append(Field(match["tag"], number, match["value"]))
        elif fields:
            fields[-1].value += "\n" + line
        else:
            problems.append(
                _("Line %(line)d: text outside a field (a field starts with :20:, :25:, :61:…).") % {"line": number}
            )
    return fields


def _parse(tag: str, value: str, context: Any) -> dict[str, Any]:
    """One field through the mt-940 library's parser of its tag (RuntimeError/ValueError when malformed)."""
    parser = mt940.tags.TAG_BY_ID.get(tag) or mt940.tags.TAG_BY_ID.get(int(tag) if tag.isdigit() else tag)
    if parser is None:
        return {}
    parsed = parser.parse(context, value)
    result: dict[str, Any] = parser(context, parsed)
    return result


def _balance(result: dict[str, Any]) -> tuple[Decimal, str]:
    balance = next(iter(result.values()))
    return Decimal(balance.amount.amount), str(balance.amount.currency or "")


def _entry(line: int, data: dict[str, Any], info: str) -> dict[str, Any] | None:
    """The reconciliation row of a :61: statement line (None: money coming in, not a transfer of the city)."""
    mark = str(data.get("status") or "").upper()
    returned = _RTRN.search(info)
    if mark in ("C", "RC") and not returned:
        return None
    eref = _EREF.search(info)
    own = str(data.get("customer_reference") or "").strip()
    reference = eref["ref"].strip() if eref else ("" if own.upper() == "NONREF" else own)
    reason = " ".join(filter(None, [returned["code"] if returned else "", "reversed" if mark == "RD" else ""]))
    return {
        "line": line,
        "reference": reference,
        "amount": abs(Decimal(data["amount"].amount)),
        "status": "failed" if mark == "RD" or returned else "paid",
        "reason": reason[:200],
    }


def _statement(block: list[Field], problems: list[str]) -> Statement | None:
    def problem(line: int, text: str) -> None:
        problems.append(_("Line %(line)d: %(problem)s") % {"line": line, "problem": text})

    context = mt940.models.Transactions(options=_OPTIONS)
    statement = Statement()
    seen: set[str] = set()
    opening_line = 0
    entry: tuple[int, dict[str, Any]] | None = None
    info: list[str] = []
    errors_before = len(problems)

    def close_entry() -> None:
        nonlocal entry
        if entry is not None:
            row = _entry(entry[0], entry[1], "\n".join(info))
            if row is not None:
                statement.entries.append(row)
            if entry[1].get("currency") and statement.currency and entry[1]["currency"] != statement.currency:
                problem(entry[0], _("the entry's currency differs from the statement's."))
            entry = None
        info.clear()

    for item in block:
        tag = item.tag
        if tag not in KNOWN:
            problem(item.line, _("unknown field :%(tag)s:.") % {"tag": tag})
            continue
        if tag != "20" and "20" not in seen:
            problem(item.line, _("the statement does not start with its reference (:20:)."))
        try:
            result = _parse(tag, item.value, context)
        except (RuntimeError, ValueError, ArithmeticError, TypeError, KeyError):
            problem(
                item.line,
                _("field :%(tag)s: cannot be read (%(value)s).") % {"tag": tag, "value": item.value[:60]},
            )
            continue
        if tag in ("60F", "60M"):
            if opening_line:
                problem(item.line, _("a second opening balance (:60F:/:60M:)."))
            opening_line = item.line
            statement.opening, statement.currency = _balance(result)
        elif tag == "61":
            close_entry()
            if not opening_line:
                problem(item.line, _("a statement line (:61:) before the opening balance (:60F:)."))
            if statement.closing_line:
                problem(item.line, _("a statement line (:61:) after the closing balance (:62F:)."))
            entry = (item.line, result)
        elif tag == "86" and entry is not None and not statement.closing_line:
            info.append(item.value)
        elif tag in ("62F", "62M"):
            close_entry()
            if statement.closing_line:
                problem(item.line, _("a second closing balance (:62F:/:62M:)."))
            statement.closing_line = item.line
            statement.closing, currency = _balance(result)
            if statement.currency and currency != statement.currency:
                problem(item.line, _("the closing balance is in another currency than the opening balance."))
        elif tag == "20":
            statement.reference = item.value.strip()
        elif tag in ("25", "25P"):
            statement.account = item.value.strip()
        elif tag in ("64", "65"):
            close_entry()
        if tag in ("20", "25", "28C", "28", "60F", "60M", "62F", "62M"):
            context.data.update(result)
        seen.add(tag)
    close_entry()
    first = block[0].line
    last = block[-1].line
    for needed, label in (("25", ":25:"), ("28C", ":28C:")):
        if needed not in seen and not (needed == "28C" and "28" in seen) and not (needed == "25" and "25P" in seen):
            problem(first, _("the statement lacks its field %(field)s.") % {"field": label})
    if not opening_line:
        problem(first, _("the statement lacks its opening balance (:60F:)."))
    if not statement.closing_line:
        problem(
            last,
            _("the statement ends without its closing balance (:62F:): the file is incomplete (cut short?)."),
        )
    if len(problems) > errors_before:
        return None
    return statement


def _balance_problems(block_fields: list[Field], statement: Statement) -> list[str]:
    """Opening + every line's signed amount must be the closing balance."""
    context = mt940.models.Transactions(options=_OPTIONS)
    total = statement.opening
    for item in block_fields:
        if item.tag in ("60F", "60M", "62F", "62M"):
            context.data.update(_parse(item.tag, item.value, context))
        if item.tag == "61":
            total += Decimal(_parse("61", item.value, context)["amount"].amount)
    if total != statement.closing:
        return [
            _(
                "Line %(line)d: the balances do not add up: opening %(opening)s plus the entries "
                "(%(movement)s) is %(expected)s, but the closing balance is %(closing)s."
            )
            % {
                "line": statement.closing_line,
                "opening": statement.opening,
                "movement": total - statement.opening,
                "expected": total,
                "closing": statement.closing,
            }
        ]
    return []


def read(path: Path, name: str) -> list[dict[str, Any]]:
    """The entries of an MT940 file (the rows :func:`entas.interop.banks.reconcile_entries` takes),
    after checking its structure and balances; Refused listing every problem with its line."""
    if path.stat().st_size > MAX_BYTES:
        raise Refused(_("The bank statement is too large."), code="invalid")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    problems: list[str] = []
    fields = _fields(text, problems)
    if not fields:
        raise Refused(_("%(name)s is not an MT940 bank statement (no :20: field).") % {"name": name}, code="invalid")
    blocks: list[list[Field]] = []
    for item in fields:
        if item.tag == "20" or not blocks:
            blocks.append([])
        blocks[-1].append(item)
    entries: list[dict[str, Any]] = []
    for block in blocks:
        statement = _statement(block, problems)
        if statement is not None:
            problems.extend(_balance_problems(block, statement))
            entries.extend(statement.entries)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(_("… and %(n)d more problems.") % {"n": len(problems) - MAX_PROBLEMS})
        raise Refused.listing([_("The MT940 bank statement cannot be used:"), *shown])
    return entries
