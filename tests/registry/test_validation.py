"""Each validation rule, stated as behaviour."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from entas.core.ids import Severity, check_kk, check_nik, mask_nik
from entas.registry.columns import ALL_COLUMNS, parse_value
from entas.registry.names import name_key, within_one_edit
from entas.registry.validation import (
    HOUSEHOLD_TEXT,
    MEMBER_TEXT,
    validate_family,
    validate_household,
    validate_member,
)

TODAY = dt.date(2026, 11, 29)
KEC = {"647101", "647106"}


def codes(issues: list) -> dict[str, Severity]:
    return {i.code: i.severity for i in issues}


def test_a_valid_nik_of_a_woman_has_40_added_to_the_day() -> None:
    assert check_nik("6471014502850001", birth_date=dt.date(1985, 2, 5), sex="2", known_kecamatan=KEC) == []


@pytest.mark.parametrize("nik", ["647101450285000", "64710145028500011", "6471014502850O01", ""])
def test_it_rejects_a_nik_that_is_not_16_digits(nik: str) -> None:
    assert codes(check_nik(nik)) == {"nik_format": Severity.ERROR}


def test_it_rejects_a_nik_with_an_impossible_month_day_or_serial() -> None:
    assert codes(check_nik("6471013513850001"))["nik_month"] == Severity.ERROR
    assert codes(check_nik("6471013501850001"))["nik_day"] == Severity.ERROR
    assert codes(check_nik("6471017201850001"))["nik_day"] == Severity.ERROR
    assert codes(check_nik("6471010101850000"))["nik_serial"] == Severity.ERROR


def test_an_impossible_calendar_date_is_a_warning() -> None:
    assert codes(check_nik("6471013102850001")) == {"nik_date": Severity.WARNING}


def test_a_nik_that_disagrees_with_birth_date_or_sex_is_flagged_for_verval() -> None:
    issues = codes(check_nik("6471010101850001", birth_date=dt.date(1985, 1, 2), sex="2"))
    assert issues == {"nik_birth_date": Severity.WARNING, "nik_sex": Severity.WARNING}


def test_a_nik_from_another_region_is_a_warning_not_an_error() -> None:
    assert codes(check_nik("3171010101850001", known_kecamatan=KEC)) == {"nik_region": Severity.WARNING}


def test_messages_name_the_field_and_the_value_in_indonesian() -> None:
    with translation.override("id"):
        [issue] = check_nik("12345")
    assert issue.message == "NIK '12345' harus tepat 16 angka."


def test_kk_numbers_must_be_16_digits_and_their_date_is_only_checked_softly() -> None:
    assert codes(check_kk("647101010120")) == {"kk_format": Severity.ERROR}
    assert codes(check_kk("6471013213200001")) == {"kk_date": Severity.WARNING}
    assert codes(check_kk("3171010101200001", known_kecamatan=KEC)) == {"kk_region": Severity.WARNING}


def test_masking_keeps_the_city_the_sex_digit_and_the_last_four_digits() -> None:
    assert mask_nik("6471014502850001") == "6471••4•••••0001"
    assert mask_nik("12345") == "•••••"


def member(**values: object) -> dict:
    return {
        "nik": "6471010101850001",
        "name": "A",
        "sex": "1",
        "birth_date": dt.date(1985, 1, 1),
        "relationship": "1",
        **values,
    }


def test_birth_dates_in_the_future_or_over_120_years_ago_are_rejected() -> None:
    assert "future" in codes(validate_member(member(birth_date=dt.date(2027, 1, 1)), today=TODAY, known_kecamatan=None))
    assert "too_old" in codes(
        validate_member(member(birth_date=dt.date(1900, 1, 1)), today=TODAY, known_kecamatan=None)
    )


def test_a_pregnant_man_is_rejected() -> None:
    assert (
        codes(validate_member(member(pregnant=True), today=TODAY, known_kecamatan=None))["inconsistent"]
        == Severity.ERROR
    )


def test_a_family_needs_exactly_one_head() -> None:
    none = [member(relationship="3")]
    two = [member(), member(nik="6471010101850002")]
    assert codes(validate_family(none))["heads"] == Severity.ERROR
    assert codes(validate_family(two))["heads"] == Severity.ERROR
    assert validate_family([member()]) == []


def test_a_child_older_than_the_head_is_a_warning() -> None:
    family = [
        member(birth_date=dt.date(1990, 1, 1)),
        member(nik="6471010101500002", relationship="3", birth_date=dt.date(1950, 1, 1)),
    ]
    assert codes(validate_family(family)) == {"child_older": Severity.WARNING}


def test_a_family_larger_than_30_is_rejected() -> None:
    family = [member()] + [member(nik=f"64710101018{i:05d}", relationship="3") for i in range(30)]
    assert codes(validate_family(family))["size"] == Severity.ERROR


def test_household_rules() -> None:
    assert codes(
        validate_household({"kk_number": "6471010101200001", "rt": "1a"}, today=TODAY, known_kecamatan=KEC)
    ) == {"format": Severity.ERROR}
    assert "future" in codes(validate_household({"desil_date": dt.date(2030, 1, 1)}, today=TODAY, known_kecamatan=None))


def test_cells_are_parsed_by_the_column_type_with_clear_messages() -> None:
    columns = {c.name: c for c in ALL_COLUMNS}
    assert parse_value(columns["floor_area_m2"], "36")[0] == 36
    assert "outside 1–5000" in parse_value(columns["floor_area_m2"], "9000")[1].message  # type: ignore[union-attr]
    assert parse_value(columns["has_tv"], "ya")[0] is True
    assert parse_value(columns["has_tv"], "2")[0] is False
    assert parse_value(columns["floor_material"], "2.0")[0] == "2"
    assert "not one of the codes" in parse_value(columns["floor_material"], "99")[1].message  # type: ignore[union-attr]
    assert parse_value(columns["birth_date"], "05/02/1985")[0] == dt.date(1985, 2, 5)
    assert parse_value(columns["prog_pkh"], "2025-03")[0] == dt.date(2025, 3, 1)
    assert "is required" in parse_value(columns["nik"], "")[1].message  # type: ignore[union-attr]


def test_names_are_normalised_for_search() -> None:
    assert name_key("Hj. Siti Aminah, S.Pd.") == "siti aminah"
    assert name_key("Ahmad bin Abdullah") == "ahmad"
    assert within_one_edit("siti aminah", "siti amina")
    assert within_one_edit("siti aminah", "sito aminah")
    assert not within_one_edit("siti aminah", "sito amina")


@pytest.mark.parametrize(
    ("character", "code"),
    [("\x00", "0000"), ("\t", "0009"), ("\x1b", "001B"), ("\x1f", "001F"), ("\x85", "0085"), ("\u202e", "202E")],
)
def test_it_rejects_control_characters_in_names_and_addresses(character: str, code: str) -> None:
    [issue] = validate_member({"name": f"Siti{character}Aminah"}, today=TODAY, known_kecamatan=None)
    assert (issue.field, issue.code, issue.severity) == ("name", "control_character", Severity.ERROR)
    assert f"U+{code} at position 5" in issue.message
    [issue] = validate_household({"address": f"Jl. Mawar{character}"}, today=TODAY, known_kecamatan=None)
    assert issue.field == "address" and issue.code == "control_character"


def test_letters_of_every_script_and_punctuation_are_not_control_characters() -> None:
    name = "Ni Luh Putu Ayu Déwi-Ṣāliḥ bin ‘Abdullah, S.Pd. ꦱꦶꦠꦶ"
    assert validate_member({"name": name}, today=TODAY, known_kecamatan=None) == []


def test_every_free_text_column_is_checked_for_control_characters() -> None:
    text = {c.name for c in ALL_COLUMNS if c.kind == "text"} - {"kelurahan_code"}  # a code of a loaded region
    assert text == set(HOUSEHOLD_TEXT) | set(MEMBER_TEXT)
