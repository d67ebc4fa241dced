"""The pure rules of payees: no database."""

from __future__ import annotations

from entas.payees import banks, rules
from entas.payees.rules import AccountFacts, check_account


def facts(number: str, code: str = "014", holder: str = "Siti Aminah", names: tuple[str, ...] = ()) -> AccountFacts:
    return AccountFacts(code, banks.bank(code), number, holder, names)


def test_the_banks_table_holds_the_city_banks_with_their_codes() -> None:
    table = banks.banks()
    assert {"002", "008", "009", "014", "200", "451", "124"} <= set(table)
    assert "Mandiri" in table["008"].name and table["124"].name.startswith("Bank Kaltimtara")
    assert all(b.lengths and len(b.code) == 3 for b in table.values())


def test_a_valid_account_passes_with_its_separators_removed() -> None:
    verdict = check_account(facts("0123 456-789"))
    assert verdict.ok and verdict.account_number == "0123456789" and not verdict.warnings


def test_a_wrong_length_is_refused_where_the_length_is_certain() -> None:
    verdict = check_account(facts("01234567890", code="008"))  # Mandiri: 13 digits
    assert not verdict.ok
    assert "13" in verdict.errors[0].message and verdict.errors[0].field == "account_number"


def test_a_wrong_length_only_warns_where_the_length_is_unconfirmed() -> None:
    verdict = check_account(facts("0123456789", code="002"))  # BRI: 15 digits, sources disagree
    assert verdict.ok and verdict.warnings[0].field == "account_number"


def test_letters_an_unknown_bank_and_a_missing_holder_are_all_reported() -> None:
    verdict = check_account(AccountFacts("999", None, "12AB", "", ()))
    assert {p.field for p in verdict.errors} == {"bank_code", "account_number", "account_holder"}


def test_a_holder_unlike_the_payee_is_a_warning_not_an_error() -> None:
    verdict = check_account(facts("0123456789", holder="Budi Santoso", names=("Siti Aminah",)))
    assert verdict.ok and verdict.warnings[0].field == "account_holder"


def test_the_holder_name_is_compared_after_the_registry_normalisation() -> None:
    assert rules.holder_matches("HJ. SITI AMINAH, S.Pd", ("Siti Aminah binti Ahmad",))
    assert rules.holder_matches("Siti", ("Siti Aminah",))  # one name contained in the other
    assert rules.holder_matches("Siti Aminnah", ("Siti Aminah",))  # a typing slip
    assert not rules.holder_matches("Budi Santoso", ("Siti Aminah", "Ahmad"))


def test_an_account_number_is_masked_to_its_last_four_digits() -> None:
    assert rules.mask_account("0123456789") == "••••••6789"
    assert rules.mask_account("123") == "•••"
