"""Reading a programme file (entas.programs.definition): every field checked, every problem of a file
listed at once with its line, column and field. Pure: no database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import translation

from entas.core.errors import Refused
from entas.programs import definition
from entas.programs.definition import ProgrammeSpec, parse_programme
from entas.programs.models import Programme

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
BLT = (EXAMPLES / "blt.yaml").read_text(encoding="utf-8")
SHOCK = (EXAMPLES / "blt-shock.yaml").read_text(encoding="utf-8")


def parse(text: str) -> ProgrammeSpec:
    return parse_programme(text.encode("utf-8"), source="test.yaml")


def refusal(text: str) -> Refused:
    with pytest.raises(Refused) as caught:
        parse(text)
    assert caught.value.code == "invalid"
    return caught.value


def problems(text: str) -> dict[str, str]:
    """The refusal's messages by field (the last one of a field when it has several)."""
    return {i.field: i.message for i in refusal(text).issues}


def changed(old: str, new: str, text: str = BLT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# --- the examples -------------------------------------------------------------------------------


def test_it_reads_the_example_programme() -> None:
    spec = parse(BLT)
    assert spec.name == "BLT Kota Balikpapan 2026" and spec.agency == "Dinas Sosial Kota Balikpapan"
    assert (spec.funding, spec.channel) == ("apbd", "bank")
    assert (spec.start, spec.end) == (dt.date(2026, 12, 1), dt.date(2027, 5, 31))
    assert spec.budget_ceiling == 9_000_000_000 and spec.months_per_cycle == 1 and spec.tranches is None
    e = spec.entitlement
    assert (e.base_amount, e.per_child_in_school, e.per_elderly, e.per_disabled, e.cap) == (
        300_000,
        50_000,
        50_000,
        100_000,
        500_000,
    )
    assert spec.rule.name == "BLT Kota Balikpapan 2026" and spec.rule.expression.startswith("desil <= 3 and")
    assert spec.exclusive_with == () and spec.shock is None


def test_it_reads_the_example_shock_programme() -> None:
    spec = parse(SHOCK)
    assert spec.shock is not None
    assert (spec.shock.event, spec.shock.until) == ("Banjir Januari 2027", dt.date(2027, 4, 15))
    fields = spec.as_model_fields()
    assert fields["shock_event"] == "Banjir Januari 2027" and fields["shock_until"] == dt.date(2027, 4, 15)
    assert fields["cap"] is None and fields["per_elderly"] == 0


def test_its_model_fields_are_the_programmes_own_columns_and_pass_the_models_validation() -> None:
    fields = parse(BLT).as_model_fields()
    columns = {f.name for f in Programme._meta.concrete_fields} - {"id", "kind", "rule"}
    assert set(fields) == columns
    Programme(**fields).clean_fields(exclude=["rule"])  # choices, lengths, ranges: no database needed


def test_the_allowed_funding_sources_and_channels_are_the_models_choices() -> None:
    assert tuple(Programme.Funding.values) == definition.FUNDING
    assert tuple(Programme.Channel.values) == definition.CHANNELS


def test_optional_fields_left_empty_take_their_defaults() -> None:
    text = changed("months_per_cycle: 1", "months_per_cycle:\ntranches: ~\nexclusive_with:\nshock: null")
    spec = parse(changed("cap: 500000", "cap: null", text))
    assert spec.months_per_cycle == 1 and spec.tranches is None and spec.exclusive_with == ()
    assert spec.shock is None and spec.entitlement.cap is None


def test_numbers_may_be_grouped_with_underscores_and_names_may_look_like_numbers() -> None:
    text = changed("budget_ceiling: 9000000000", "budget_ceiling: 9_000_000_000")
    spec = parse(changed("name: BLT Kota Balikpapan 2026", "name: 2026", text))
    assert spec.budget_ceiling == 9_000_000_000 and spec.name == "2026"


# --- keys ---------------------------------------------------------------------------------------


def test_it_refuses_an_unknown_key_and_suggests_the_nearest_known_one() -> None:
    found = problems(changed("funding: apbd", "fundng: apbd"))
    assert found["fundng"] == "line 4, column 1: fundng: unknown key 'fundng'; did you mean funding?"
    assert "is missing" in found["funding"]
    nested = problems(changed("  base_amount: 300000", "  base_amout: 300000"))
    assert "did you mean base_amount?" in nested["entitlement.base_amout"]
    assert "is missing" in nested["entitlement.base_amount"]


def test_it_names_the_known_keys_when_nothing_is_close() -> None:
    message = problems(BLT + "colour: blue\n")["colour"]
    assert "unknown key 'colour'; the keys here are name, agency, funding" in message


def test_it_refuses_missing_required_keys_at_the_mapping_that_lacks_them() -> None:
    text = changed("agency: Dinas Sosial Kota Balikpapan\n", "")
    text = changed("  expression: ", "  # expression: ", text)
    found = problems(text)
    assert found["agency"] == "line 2, column 1: agency: is missing; it is required"
    assert found["rule.expression"] == "line 17, column 3: rule.expression: is missing; it is required"


def test_it_refuses_a_required_key_left_empty() -> None:
    assert problems(changed("agency: Dinas Sosial Kota Balikpapan", "agency:"))["agency"].endswith(
        "agency: is empty; it is required"
    )
    assert "is empty" in problems(changed("agency: Dinas Sosial Kota Balikpapan", 'agency: "  "'))["agency"]


def test_it_refuses_a_key_written_twice_instead_of_keeping_the_last() -> None:
    message = problems(BLT + "channel: pos\n")["channel"]
    assert message == "line 20, column 1: channel: appears twice (first on line 7): keep one"


# --- types --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "expected"),
    [
        ("name: BLT Kota Balikpapan 2026", "name: [a, b]", "name", "must be text, not a list"),
        ("agency: Dinas Sosial Kota Balikpapan", "agency: {a: 1}", "agency", "must be text, not a group of fields"),
        ("start: 2026-12-01", "start: [2026]", "start", "must be a date written YYYY-MM-DD, not a list"),
        ("budget_ceiling: 9000000000", "budget_ceiling: lots", "budget_ceiling", "must be a whole number (found"),
        ("budget_ceiling: 9000000000", "budget_ceiling: yes", "budget_ceiling", "must be a whole number (found 'yes')"),
        ("budget_ceiling: 9000000000", "budget_ceiling: [1]", "budget_ceiling", "must be a whole number, not a list"),
        ("  base_amount: 300000", '  base_amount: "300000"', "entitlement.base_amount", "not text in quotes"),
        ("  base_amount: 300000", "  base_amount: 300.000", "entitlement.base_amount", "without a decimal point"),
        ("  base_amount: 300000", "  base_amount: 300000.5", "entitlement.base_amount", "without a decimal point"),
        ("  base_amount: 300000", "  base_amount: .inf", "entitlement.base_amount", "without a decimal point"),
        ("  base_amount: 300000", "  base_amount: 0300000", "entitlement.base_amount", "as an octal number"),
        ("  base_amount: 300000", "  base_amount: 0x493e0", "entitlement.base_amount", "in decimal digits"),
        ("  base_amount: 300000", "  base_amount: 5000:00", "entitlement.base_amount", "base 60"),
        ("months_per_cycle: 1", "months_per_cycle: 1,5", "months_per_cycle", "must be a whole number (found '1,5')"),
        ("entitlement:\n", "entitlement: 300000\nx:\n", "entitlement", "must be a group of fields (base_amount, "),
        ("rule:\n", "rule: desil <= 3\nx:\n", "rule", "must be a group of fields (name, expression), not the single"),
    ],
)
def test_it_refuses_a_value_of_the_wrong_kind(old: str, new: str, field: str, expected: str) -> None:
    message = problems(changed(old, new))[field]
    assert expected in message and message.startswith("line ")


def test_it_refuses_a_key_that_is_not_a_plain_name() -> None:
    assert "a key must be a plain name, not a list" in problems(BLT + "? [a, b]\n: 1\n")[""]


def test_it_refuses_control_characters_in_text() -> None:
    message = problems(changed("name: BLT Kota Balikpapan 2026", 'name: "BLT\\0 2026"'))["name"]
    assert message == "line 2, column 7: name: holds a control character (U+0000)"
    assert "U+001B" in problems(changed("agency: Dinas Sosial Kota Balikpapan", 'agency: "a\\eb"'))["agency"]


def test_it_refuses_text_longer_than_the_models_column() -> None:
    message = problems(changed("name: BLT Kota Balikpapan 2026", "name: " + "x" * 121))["name"]
    assert "is 121 characters long; at most 120" in message


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-13-45", "2026-13-45 is not a date: there is no month 13"),
        ("2026-02-30", "2026-02-30 is not a date: that month has 28 days"),
        ("2026-02-29", "2026-02-29 is not a date: that month has 28 days"),
        ("2026-04-31", "that month has 30 days"),
        ('"2026-00-10"', "there is no month 0"),
        ("2026-12-01 08:00", "must be a date without a time (YYYY-MM-DD), not '2026-12-01 08:00'"),
        ("01/12/2026", "must be a date written YYYY-MM-DD, not '01/12/2026'"),
        ("20261201", "must be a date written YYYY-MM-DD, not '20261201'"),
        ("1999-12-01", "1999-12-01 is outside the years 2000 to 2100"),
    ],
)
def test_it_refuses_an_impossible_or_malformed_date(value: str, expected: str) -> None:
    message = problems(changed("start: 2026-12-01", f"start: {value}"))["start"]
    assert message.startswith("line 5, column 8: start: ") and expected in message


def test_it_reads_a_quoted_date_and_a_leap_day() -> None:
    spec = parse(changed("end: 2027-05-31", "end: 2028-02-29", changed("start: 2026-12-01", 'start: "2026-12-01"')))
    assert (spec.start, spec.end) == (dt.date(2026, 12, 1), dt.date(2028, 2, 29))


def test_it_refuses_a_programme_that_ends_before_it_starts() -> None:
    message = problems(changed("end: 2027-05-31", "end: 2026-11-30"))["end"]
    assert message == "line 6, column 6: end: the programme ends (2026-11-30) before it starts (2026-12-01)"


def test_a_programme_may_start_and_end_on_one_day() -> None:
    assert parse(changed("end: 2027-05-31", "end: 2026-12-01")).end == dt.date(2026, 12, 1)


def test_it_refuses_a_programme_longer_than_ten_years() -> None:
    assert "runs 122 months; at most 120" in problems(changed("end: 2027-05-31", "end: 2037-01-31"))["end"]


# --- numbers and their bounds -------------------------------------------------------------------


@pytest.mark.parametrize(("value", "ok"), [("0", False), ("-1", False), ("1", True), ("12", True), ("13", False)])
def test_months_per_cycle_lies_between_1_and_12(value: str, ok: bool) -> None:
    text = changed("months_per_cycle: 1", f"months_per_cycle: {value}")
    if ok:
        assert parse(text).months_per_cycle == int(value)
    else:
        assert "months_per_cycle" in problems(text)


def test_months_per_cycle_0_is_refused_with_its_bound() -> None:
    assert problems(changed("months_per_cycle: 1", "months_per_cycle: 0"))["months_per_cycle"] == (
        "line 9, column 19: months_per_cycle: must be at least 1 (found '0')"
    )


def test_it_refuses_fewer_than_one_tranche() -> None:
    message = problems(changed("# tranches: 3", "tranches: 0"))["tranches"]
    assert message == "line 10, column 11: tranches: must be at least 1 (found '0')"
    assert "must not be negative" in problems(changed("# tranches: 3", "tranches: -2"))["tranches"]


def test_it_refuses_more_tranches_than_the_period_has_months() -> None:
    assert parse(changed("# tranches: 3", "tranches: 6")).tranches == 6
    message = problems(changed("# tranches: 3", "tranches: 7"))["tranches"]
    assert "7 tranches cannot be paid: the programme's period has only 6 months" in message


@pytest.mark.parametrize(
    ("old", "new", "field", "expected"),
    [
        ("  base_amount: 300000", "  base_amount: -300000", "entitlement.base_amount", "must not be negative"),
        ("  per_elderly: 50000", "  per_elderly: -1", "entitlement.per_elderly", "must not be negative"),
        ("  base_amount: 300000", "  base_amount: 10000001", "entitlement.base_amount", "at most Rp10,000,000"),
        ("  per_disabled: 100000", "  per_disabled: 99999999", "entitlement.per_disabled", "at most Rp10,000,000"),
        ("  cap: 500000", "  cap: 0", "entitlement.cap", "must be at least Rp1"),
        ("budget_ceiling: 9000000000", "budget_ceiling: 0", "budget_ceiling", "must be at least Rp1 (found '0')"),
        ("budget_ceiling: 9000000000", "budget_ceiling: -5", "budget_ceiling", "must not be negative"),
        (
            "budget_ceiling: 9000000000",
            "budget_ceiling: 100000000000001",
            "budget_ceiling",
            "must be at most Rp100,000,000,000,000",
        ),
        ("budget_ceiling: 9000000000", "budget_ceiling: " + "9" * 5000, "budget_ceiling", "must be at most"),
    ],
)
def test_it_refuses_negative_and_absurd_amounts(old: str, new: str, field: str, expected: str) -> None:
    message = problems(changed(old, new))[field]
    assert expected in message and len(message) < 300  # a 5,000-digit number is not echoed whole


def test_the_largest_amounts_allowed_are_accepted() -> None:
    text = changed("  base_amount: 300000", f"  base_amount: {definition.MAX_MONTHLY_AMOUNT}")
    text = changed("  cap: 500000", f"  cap: {definition.MAX_MONTHLY_AMOUNT}", text)
    spec = parse(changed("budget_ceiling: 9000000000", f"budget_ceiling: {definition.MAX_BUDGET}", text))
    assert spec.entitlement.base_amount == spec.entitlement.cap == definition.MAX_MONTHLY_AMOUNT


def test_it_refuses_a_cap_below_the_base_amount() -> None:
    message = problems(changed("  cap: 500000", "  cap: 250000"))["entitlement.cap"]
    assert message == (
        "line 16, column 8: entitlement.cap: the cap (Rp250,000) is below the base amount (Rp300,000): "
        "every household would get the cap"
    )
    assert parse(changed("  cap: 500000", "  cap: 300000")).entitlement.cap == 300_000


def test_it_refuses_an_entitlement_that_pays_nothing() -> None:
    text = SHOCK.replace("base_amount: 600000", "base_amount: 0")
    assert "every amount is 0: the programme would pay nothing" in problems(text)["entitlement"]
    only_children = text.replace("per_child_in_school: 0", "per_child_in_school: 100000")
    assert parse(only_children).entitlement.base_amount == 0


# --- choices, rule, exclusive programmes, shock mode ---------------------------------------------


def test_it_refuses_a_funding_source_or_channel_outside_the_choices() -> None:
    found = problems(changed("channel: bank", "channel: transfer", changed("funding: apbd", "funding: APBD")))
    assert found["funding"] == (
        "line 4, column 10: funding: must be one of apbd, dana_kelurahan, csr, central, not 'APBD' (did you mean apbd?)"
    )
    assert "must be one of bank, pos, kelurahan, not 'transfer'" in found["channel"]


def test_it_refuses_a_rule_the_rule_language_refuses_with_both_positions() -> None:
    message = problems(changed('expression: "desil <= 3 and', 'expression: "desil <= 3 annd'))["rule.expression"]
    assert message.startswith("line 19, column 15: rule.expression: column 12 of the rule: syntax error")


def test_it_refuses_exclusive_programmes_named_twice_or_itself() -> None:
    text = SHOCK.replace("exclusive_with: []", "exclusive_with: [BLT A, BLT A, BLT Darurat Banjir Januari 2027, [x]]")
    found = refusal(text).problems
    assert any("exclusive_with: 'BLT A' is named twice" in p for p in found)
    assert any("exclusive_with: a programme cannot exclude itself" in p for p in found)
    assert any("exclusive_with: must be text, not a list" in p for p in found)
    assert parse(SHOCK.replace("exclusive_with: []", "exclusive_with: [BLT A, BLT B]")).exclusive_with == (
        "BLT A",
        "BLT B",
    )


def test_exclusive_with_must_be_a_list() -> None:
    message = problems(SHOCK.replace("exclusive_with: []", "exclusive_with: BLT A"))["exclusive_with"]
    assert "must be a list of programme names" in message


@pytest.mark.parametrize("until", ["2027-01-14", "2027-04-16"])
def test_it_refuses_a_shock_mode_ending_outside_the_programme_period(until: str) -> None:
    message = problems(SHOCK.replace("until: 2027-04-15", f"until: {until}"))["shock.until"]
    assert message.startswith("line 19, column 10: shock.until: shock mode must end within the programme's period")
    assert "(2027-01-15 to 2027-04-15), not on " + until in message


def test_a_shock_mode_needs_its_event_and_may_omit_its_end() -> None:
    assert "shock.event" in problems(SHOCK.replace("  event: Banjir Januari 2027", "  evnt: Banjir"))
    spec = parse(SHOCK.replace("  until: 2027-04-15", "  # no end"))
    assert spec.shock is not None and spec.shock.until is None


# --- the refusal as a whole ---------------------------------------------------------------------


BAD = """\
name: BLT
agency: Dinas Sosial
funding: apbd
start: 2026-13-45
end: 2026-12-01
channel: bank
budget_ceiling: 1000000
months_per_cycle: 0
entitlement:
  base_amount: 300000
  cap: 100000
rule:
  name: BLT
  expression: desil <= 3
"""


def test_it_lists_every_problem_of_a_file_at_once_in_the_order_of_the_file() -> None:
    refused = refusal(BAD)
    assert [i.field for i in refused.issues] == ["start", "months_per_cycle", "entitlement.cap"]
    assert refused.message.splitlines() == [
        "test.yaml is refused (3 problems):",
        "line 4, column 8: start: 2026-13-45 is not a date: there is no month 13",
        "line 8, column 19: months_per_cycle: must be at least 1 (found '0')",
        "line 11, column 8: entitlement.cap: the cap (Rp100,000) is below the base amount (Rp300,000): "
        "every household would get the cap",
    ]


def test_the_list_of_problems_is_bounded() -> None:
    text = BLT + "".join(f"extra{i}: 1\n" for i in range(200))
    refused = refusal(text)
    assert len(refused.issues) == definition.MAX_PROBLEMS + 1
    assert refused.issues[-1].message == "… and 150 more problems"


def test_the_refusal_speaks_indonesian() -> None:
    with translation.override("id"):
        refused = refusal(BAD)
    assert refused.message.splitlines()[:3] == [
        "test.yaml ditolak (3 masalah):",
        "baris 4, kolom 8: start: 2026-13-45 bukan tanggal: tidak ada bulan 13",
        "baris 8, kolom 19: months_per_cycle: minimal 1 (tertulis '0')",
    ]


# -- the same checks for the page's form (issue #16) ----------------------------------------------------

FORM_VALUES = {
    "name": "BLT Lansia",
    "agency": "Dinas Sosial",
    "funding": "apbd",
    "start": dt.date(2027, 1, 1),
    "end": dt.date(2027, 6, 30),
    "channel": "bank",
    "budget_ceiling": 1_000_000_000,
    "entitlement": {"base_amount": 200_000, "per_elderly": 100_000, "cap": None},
    "rule": {"name": "Lansia", "expression": "dtsen_desil <= 3"},
    "exclusive_with": ["BLT Kota"],
    "shock": None,
}


def test_a_form_s_values_are_read_as_a_file_would_be() -> None:
    spec = definition.check_values(FORM_VALUES)
    assert spec.entitlement.per_elderly == 100_000 and spec.entitlement.cap is None
    assert spec.exclusive_with == ("BLT Kota",) and spec.months_per_cycle == 1


def test_a_form_s_problems_are_named_by_field_without_a_position() -> None:
    values = {**FORM_VALUES, "entitlement": {"base_amount": 200_000, "cap": 100_000}, "end": dt.date(2026, 1, 1)}
    with translation.override("en"), pytest.raises(Refused) as caught:
        definition.check_values(values)
    found = {i.field: i.message for i in caught.value.issues}
    assert found["entitlement.cap"].startswith("the cap (Rp")
    assert found["end"].startswith("the programme ends (2026-01-01)")


def test_a_form_value_cannot_smuggle_yaml() -> None:
    spec = definition.check_values({**FORM_VALUES, "name": "x: 1 *alias &a !!python/object"})
    assert spec.name == "x: 1 *alias &a !!python/object"
    with pytest.raises(Refused, match="U\\+000A"):
        definition.check_values({**FORM_VALUES, "name": "BLT\nagency: lain"})
