"""Whether a cycle's file can be made, and if not, exactly what is missing (pure: plain counts in,
the reasons out; tested without a database). The cycle page offers a file only when nothing is
missing and shows the reasons otherwise; the export refuses with the same reasons before it writes
anything, so no 'successful' empty or partial bank file is ever made."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

BANK_FORMATS = frozenset({"pain001", "csv"})


@dataclass(frozen=True)
class ExportFacts:
    fmt: str
    payments: int  # the cycle's payments to send
    payer_account: str  # the city's paying account ("" when none is set)
    without_account: int  # payments whose household has no bank account
    invalid_accounts: int  # payments whose household's account fails the bank's rules


@dataclass(frozen=True)
class Missing:
    """One reason a file cannot be made: a stable code, the message, and how many households."""

    code: str
    message: str
    count: int = 0


def missing(facts: ExportFacts) -> list[Missing]:
    """Everything that stops the file ``facts.fmt`` (an empty list: it can be made)."""
    out: list[Missing] = []
    if facts.payments == 0:
        out.append(Missing("no_payments", _("The cycle has no payment to send.")))
        return out
    if facts.fmt not in BANK_FORMATS:  # cash lists need no account
        return out
    if not facts.payer_account:
        out.append(
            Missing(
                "no_paying_account",
                _("The city's paying account is not set: an administrator sets it on the Paying account page."),
            )
        )
    if facts.without_account:
        out.append(
            Missing(
                "without_account",
                ngettext(
                    "%(n)d household to be paid has no bank account.",
                    "%(n)d households to be paid have no bank account.",
                    facts.without_account,
                )
                % {"n": facts.without_account},
                facts.without_account,
            )
        )
    if facts.invalid_accounts:
        out.append(
            Missing(
                "invalid_accounts",
                ngettext(
                    "%(n)d household to be paid has a bank account the bank's rules refuse.",
                    "%(n)d households to be paid have a bank account the bank's rules refuse.",
                    facts.invalid_accounts,
                )
                % {"n": facts.invalid_accounts},
                facts.invalid_accounts,
            )
        )
    return out
