"""What stops a cycle's file (pure: no database)."""

from __future__ import annotations

from entas.programs.readiness import ExportFacts, missing


def codes(**facts: object) -> list[str]:
    values = {
        "fmt": "pain001",
        "payments": 10,
        "payer_account": "1234567890",
        "without_account": 0,
        "invalid_accounts": 0,
    }
    return [m.code for m in missing(ExportFacts(**{**values, **facts}))]  # type: ignore[arg-type]


def test_a_bank_file_is_ready_with_a_paying_account_and_every_account() -> None:
    assert codes() == []


def test_every_missing_thing_is_named_at_once() -> None:
    assert codes(payer_account="", without_account=3, invalid_accounts=1) == [
        "no_paying_account",
        "without_account",
        "invalid_accounts",
    ]


def test_the_count_of_households_without_an_account_is_in_the_message() -> None:
    (reason,) = missing(ExportFacts("csv", 10, "1", 3, 0))
    assert reason.count == 3 and "3 households" in reason.message


def test_cash_lists_need_no_account_but_a_payment() -> None:
    assert codes(fmt="xlsx", payer_account="", without_account=10) == []
    assert codes(fmt="pdf", payments=0) == ["no_payments"]
    assert codes(payments=0) == ["no_payments"]  # never an empty file
