"""Pure rules of payees: is an account number one the bank could have issued, does its holder's name
look like the person paid, and what to show of it. Plain facts in, a decision out: no ORM, no request
(tested in tests/payees/test_rules.py without a database)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from entas.core.errors import Problem
from entas.registry.names import name_key

from .banks import Bank

_SEPARATORS = re.compile(r"[\s.\-]+")
MAX_NUMBER = 34  # an ISO 20022 account identifier (Othr/Id)
MAX_HOLDER = 70  # an ISO 20022 party name
NAME_SIMILARITY = 0.8  # below this, the holder's name is said to differ from the person's


def normalise_number(raw: str) -> str:
    """``"0012 3456-78.9"`` → ``"0012345678 9"`` without the separators people type: spaces, dots, dashes."""
    return _SEPARATORS.sub("", raw or "")


def normalise_holder(raw: str) -> str:
    """The holder's name with its white space collapsed (control characters dropped)."""
    return " ".join("".join(ch for ch in (raw or "") if ch.isprintable()).split())


@dataclass(frozen=True)
class AccountFacts:
    """What a person typed (or a file said) about an account, and who it should belong to."""

    bank_code: str
    bank: Bank | None  # None: the code is not in the banks table
    account_number: str
    account_holder: str
    person_names: tuple[str, ...] = ()  # the payee's name (the head of the family, or the named payee)


@dataclass(frozen=True)
class AccountCheck:
    """The account as it will be kept (number and holder normalised), what refuses it, what only warns."""

    account_number: str
    account_holder: str
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_account(facts: AccountFacts) -> AccountCheck:
    """Check an account: a known bank, digits only, a length the bank uses (refused for a bank whose
    lengths are known for sure, a warning otherwise), a holder's name, and a warning when the holder's
    name does not look like the payee's."""
    number = normalise_number(facts.account_number)
    holder = normalise_holder(facts.account_holder)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    if facts.bank is None:
        errors.append(Problem("bank_code", _("Unknown bank code %(code)r.") % {"code": facts.bank_code[:10]}))
    if not number:
        errors.append(Problem("account_number", _("The account number is missing.")))
    elif not number.isdigit() or not number.isascii():
        errors.append(Problem("account_number", _("An account number has digits only.")))
    elif len(number) > MAX_NUMBER:
        errors.append(Problem("account_number", _("An account number has at most 34 digits.")))
    elif facts.bank is not None and len(number) not in facts.bank.lengths:
        message = _("%(bank)s account numbers have %(lengths)s digits; this one has %(n)d.") % {
            "bank": facts.bank.name,
            "lengths": _(" or ").join(str(n) for n in facts.bank.lengths),
            "n": len(number),
        }
        (errors if facts.bank.strict else warnings).append(Problem("account_number", message))
    if not holder:
        errors.append(Problem("account_holder", _("The account holder's name is missing.")))
    elif len(holder) > MAX_HOLDER:
        errors.append(Problem("account_holder", _("The account holder's name has at most 70 characters.")))
    elif facts.person_names and not holder_matches(holder, facts.person_names):
        warnings.append(
            Problem(
                "account_holder",
                _("The account holder %(holder)s does not look like %(person)s: check the account is theirs.")
                % {"holder": holder, "person": facts.person_names[0]},
            )
        )
    return AccountCheck(number, holder, errors, warnings)


def holder_matches(holder: str, names: tuple[str, ...] | list[str]) -> bool:
    """True when the holder's name looks like one of ``names``: equal once titles, patronymics and
    spelling are normalised (the registry's :func:`~entas.registry.names.name_key`), one contained in
    the other ("Siti Aminah" and "Siti"), or close enough (a typing slip)."""
    key = name_key(holder)
    if not key:
        return False
    words = set(key.split())
    for name in names:
        other = name_key(name)
        if not other:
            continue
        if key == other or words <= set(other.split()) or set(other.split()) <= words:
            return True
        if difflib.SequenceMatcher(None, key, other).ratio() >= NAME_SIMILARITY:
            return True
    return False


def mask_account(number: str) -> str:
    """``"0012345678"`` → ``"••••••5678"``: the last four digits, like a bank statement (the whole
    number is personal data, shown on request and audited)."""
    if len(number) <= 4:
        return "•" * len(number)
    return "•" * (len(number) - 4) + number[-4:]
