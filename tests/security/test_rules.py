"""Hostile and unlucky eligibility rules (issue #15, item 9): a rule either compiles into something
that evaluates to one true/false per household without raising, or is refused when saved with its
position; and a rule that got into the database anyway (older code, a direct write) is refused by
name wherever it runs, never a server error."""

from __future__ import annotations

import datetime as dt
import warnings
from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.programs import services as programmes
from entas.regions.models import Region
from entas.targeting import services
from entas.targeting.models import EligibilityRule
from entas.targeting.rules import HOUSEHOLD_FIELDS, MAX_LENGTH, MEMBER_FIELDS, RuleError, compile_rule
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.helpers import make_programme

HUGE = "9" * 401
# The issue's three rules, and what a probe of the compiler found besides.
HOSTILE = [
    # literals beyond float64's exact range: a 401-digit integer did not even convert (a 500 for
    # everyone on /targeting/report/), 1e400 became infinity, 1e-400 silently zero
    (f"desil < {HUGE}", "too large", 9),
    (f"predicted_consumption in [1, {HUGE}]", "too large", 30),
    ("desil < 1e400", "too large", 9),
    ("desil < -1e400", "too large", 10),
    ("desil < 1e-400", "too precise", 9),
    ("floor_area < 0.12345678901234567", "too precise", 14),
    ("predicted_consumption > 1000000000000001", "too large", 25),
    ("predicted_consumption > 12345678901234.56", "too precise", 25),
    # arithmetic on literals is a literal too
    ("desil < 1e15 * 10", "too large", 9),
    ("desil < 1e300 * 1e300 - 1e300 * 1e300", "too large", 9),
    ("desil / 0 > 1", "division by zero", 9),
    ("size / (2 - 2) > 1", "division by zero", 9),
    # a list test chained with a comparison: Python reads it as "x in [...] and [...] == true";
    # the old compiler compared the field itself (a text one raised, a number one became desil == 1)
    ('kecamatan in ["64.71.01"] == true', "'in' cannot be chained", 11),
    ("desil in [1, 2] == true", "'in' cannot be chained", 7),
    ("desil in [1, 2] != false", "'in' cannot be chained", 7),
    ("1 <= desil in [1, 2]", "'in' cannot be chained", 12),
    ("desil not in [1] == true", "'not in' cannot be chained", 7),
    ("(desil) in [1] in [2]", "'in' cannot be chained", 9),
    # every link of a chain is typed; conditions neither order nor chain
    ('desil < size < "x"', "cannot compare a number with a text", 16),
    ("1 <= desil <= has_car", "cannot compare a number with a condition", 15),
    ("has_car == 1", "cannot compare a condition with a number", 12),
    ("kecamatan == 6471", "cannot compare a text with a number", 14),
    ("has_car < true", "conditions can only be compared with == or !=", 11),
    ("true > false", "conditions can only be compared with == or !=", 8),
    ("has_car == true == false", "comparisons of conditions cannot be chained", 9),
    ("(desil < 3) != (size > 2) != has_car", "comparisons of conditions cannot be chained", 13),
    # lists: one kind, the value's kind
    ('desil in [1, "a"]', "holds a text but the value is a number", 14),
    ('kecamatan in ["64.71.01", 1]', "holds a number but the value is a text", 27),
    ("has_car in [1]", "only a number or a text can be looked up", 12),
    ("desil in [true]", "only hold numbers or text", 11),
    ('desil in [-"a"]', "only hold numbers or text", 11),
    ("desil in [size]", "only hold numbers or text", 11),
    # a comment, on one line, swallowed every line after it
    ("desil <= 4  # poorest\n and not has_car", "comments are not allowed", 13),
    ("desil <= 4 #", "comments are not allowed", 12),
    # positions are characters, not UTF-8 bytes
    ('kecamatan == "Désa" and kecamtan == "1"', "unknown field 'kecamtan'", 25),
]


@pytest.mark.parametrize(("rule", "message", "column"), HOSTILE)
def test_a_rule_that_cannot_run_correctly_is_refused_with_its_position(rule: str, message: str, column: int) -> None:
    with pytest.raises(RuleError) as caught:
        compile_rule(rule)
    assert message in caught.value.message, caught.value.message
    assert caught.value.column == column, (caught.value.column, caught.value.message)


@pytest.mark.parametrize(
    ("rule", "same_as"),
    [
        ("1 <= dtsen_desil <= 3", "1 <= dtsen_desil and dtsen_desil <= 3"),
        ("1 < dtsen_desil > 2", "1 < dtsen_desil and dtsen_desil > 2"),
        ("0 <= desil < dtsen_desil <= 5", "0 <= desil and desil < dtsen_desil and dtsen_desil <= 5"),
        ("dtsen_desil != 1 != size", "dtsen_desil != 1 and 1 != size"),
        ('kecamatan == "64.71.01" == kecamatan', 'kecamatan == "64.71.01"'),
        ("(dtsen_desil in [1, 5]) == true", "dtsen_desil in [1, 5]"),
        ("(dtsen_desil in [1, 5]) != true", "dtsen_desil not in [1, 5]"),
        ("dtsen_desil in [-1, 5]", "dtsen_desil == 5"),
        ("has_car == (dtsen_desil < 3)", "(has_car and dtsen_desil < 3) or (not has_car and not dtsen_desil < 3)"),
        ("predicted_consumption < 999999999999999", "predicted_consumption < 1e15"),
        ("floor_area < 0.5 + 30", "floor_area < 30.5"),
        ("floor_area < 30.00000000000000000", "floor_area < 30"),
        ("desil < 1e15 - 1e15 + 4", "desil < 4"),
        ("dtsen_desil <= 4\r\n and not has_car", "dtsen_desil <= 4 and not has_car"),  # typed in a form
        ('kecamatan == "#64.71.01"', "kecamatan == '#64.71.01'"),
    ],
)
def test_chains_mean_and_and_meaningful_rules_still_compile(rule: str, same_as: str) -> None:
    """A chain ``a < b < c`` means ``a < b and b < c`` (Python's reading), link by link."""
    households, members = columns(np.random.default_rng(3), 40, 90)
    assert compile_rule(rule).evaluate(households, members).tolist() == (
        compile_rule(same_as).evaluate(households, members).tolist()
    )


def test_a_rule_error_is_a_refusal_with_its_column() -> None:
    with pytest.raises(Refused) as caught:
        compile_rule("desil <= 4 and kecamtan == '1'")
    error = caught.value
    assert isinstance(error, RuleError) and error.code == "invalid_rule" and error.status == 400
    assert error.column == 16 and error.message.startswith("unknown field 'kecamtan'")
    assert str(error).startswith("column 16: unknown field")
    assert error.as_dict()["issues"] == [{"field": "expression", "message": str(error)}]


# -- the property: compile either refuses or gives a rule that runs ------------------------------

PLAIN_NUMBERS = ["0", "1", "4", "-3", "2.5", "1e15", "0.1", "0x10", "1_000", "300000"]
NUMBERS = [*PLAIN_NUMBERS, "1e16", "1e400", "1e-400", HUGE, HUGE[:20], "0.12345678901234567"]
TEXTS = ['"64.71.01"', '"diverifikasi"', '""', '"é"']
ATOMS = [
    *NUMBERS,
    *TEXTS,
    "true",
    "false",
    "True",
    "None",
    "members",
    *HOUSEHOLD_FIELDS,
    *MEMBER_FIELDS,
]
COMPARISONS = ["<", "<=", ">", ">=", "==", "!="]
MEMBERSHIP = ["in", "not in"]


def untyped() -> st.SearchStrategy[str]:
    """Random expressions of the rule grammar, of any kinds."""
    atom = st.sampled_from(ATOMS)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        listed = st.lists(st.one_of(st.sampled_from([*NUMBERS, *TEXTS, "true"]), inner), max_size=4)
        return st.one_of(
            st.builds(lambda a: f"({a})", inner),
            st.builds(lambda a: f"not {a}", inner),
            st.builds(lambda a: f"-{a}", inner),
            st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["+", "-", "*", "/"]), inner),
            st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["and", "or"]), inner),
            st.builds(
                lambda first, links: first + "".join(f" {op} {b}" for op, b in links),
                inner,
                st.lists(
                    st.tuples(st.sampled_from([*COMPARISONS, *COMPARISONS, *MEMBERSHIP]), inner), min_size=1, max_size=3
                ),
            ),
            st.builds(
                lambda a, op, items: f"{a} {op} [{', '.join(items)}]", inner, st.sampled_from(MEMBERSHIP), listed
            ),
            st.builds(
                lambda f, a: f"{f}(members, {a})",
                st.sampled_from(["count", "any", "all", "sum", "min", "max"]),
                inner,
            ),
        )

    return st.recursive(atom, extend, max_leaves=12)


def fields(kind: str, member: bool) -> list[str]:
    found = [name for name, (k, _meaning) in HOUSEHOLD_FIELDS.items() if k == kind]
    return found + ([name for name, (k, _meaning) in MEMBER_FIELDS.items() if k == kind] if member else [])


@st.composite
def typed(draw: st.DrawFn, kind: str, member: bool = False, depth: int = 3) -> str:
    """An expression of ``kind`` ("number", "text", "bool") that is mostly well typed: now and then a
    part of another kind slips in, as in a rule someone gets slightly wrong."""
    if draw(st.integers(0, 24)) == 0:
        kind = draw(st.sampled_from(["number", "text", "bool"]))
    leaves = {
        "number": [*PLAIN_NUMBERS, *PLAIN_NUMBERS, *NUMBERS, *fields("number", member)],
        "text": [*TEXTS, *fields("text", member)],
        "bool": ["true", "false", *fields("bool", member)],
    }[kind]
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(leaves))
    sub = depth - 1
    if kind == "number":
        choice = draw(st.integers(0, 3 if member else 5))
        if choice == 0:
            return f"-{draw(typed('number', member, sub))}"
        if choice in (1, 2):
            op = draw(st.sampled_from(["+", "-", "*", "/"]))
            return f"({draw(typed('number', member, sub))} {op} {draw(typed('number', member, sub))})"
        if choice == 3:
            return draw(st.sampled_from(leaves))
        if choice == 4:
            aggregate = draw(st.sampled_from(["sum", "min", "max"]))
            return f"{aggregate}(members, {draw(typed('number', True, sub))})"
        return f"count(members, {draw(typed('bool', True, sub))})"
    if kind == "text":
        return draw(st.sampled_from(leaves))
    choice = draw(st.integers(0, 8 if not member else 6))
    if choice == 0:
        return f"(not {draw(typed('bool', member, sub))})"
    if choice == 1:
        op = draw(st.sampled_from(["and", "or"]))
        return f"({draw(typed('bool', member, sub))} {op} {draw(typed('bool', member, sub))})"
    if choice in (2, 3):  # a comparison, or a chain of them
        compared = draw(st.sampled_from(["number", "number", "text", "bool"]))
        parts = [draw(typed(compared, member, sub)) for _ in range(draw(st.integers(2, 4)))]
        ops = COMPARISONS if compared == "number" else ["==", "!="]
        chain = parts[0] + "".join(f" {draw(st.sampled_from(ops))} {part}" for part in parts[1:])
        return f"({chain})"
    if choice in (4, 5):  # a list test, alone, in parentheses or chained on
        looked_up = draw(st.sampled_from(["number", "text"]))
        items = draw(st.lists(st.sampled_from(NUMBERS if looked_up == "number" else TEXTS), max_size=4))
        test = f"{draw(typed(looked_up, member, sub))} {draw(st.sampled_from(MEMBERSHIP))} [{', '.join(items)}]"
        return draw(st.sampled_from([f"({test})", f"(({test}) == true)", f"({test} == true)", f"({test} < 3)"]))
    if choice == 6:
        return draw(st.sampled_from(leaves))
    aggregate = draw(st.sampled_from(["any", "all"]))
    return f"{aggregate}(members, {draw(typed('bool', True, sub))})"


def expressions() -> st.SearchStrategy[str]:
    return st.one_of(typed("bool"), typed("bool"), typed("bool"), untyped())


def columns(rng: np.random.Generator, n: int, m: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Columns of every field, of the kinds the registry loader gives, with missing numbers, zeros
    (a division by a column) and huge values (an overflow) among them."""
    numbers = np.array([np.nan, 0.0, 1.0, 3.0, 10.0, -2.5, 1e300, 4e5])

    def column(kind: str, size: int) -> np.ndarray:
        if kind == "number":
            return rng.choice(numbers, size)
        if kind == "bool":
            return rng.random(size) < 0.5
        return rng.choice(np.array(["64.71.01", "64.71.05", "diverifikasi", ""], dtype=object), size)

    households = {name: column(kind, n) for name, (kind, _meaning) in HOUSEHOLD_FIELDS.items()}
    households["id"] = np.arange(n, dtype=np.int64)
    members = {name: column(kind, m) for name, (kind, _meaning) in MEMBER_FIELDS.items()}
    members["household"] = np.sort(rng.integers(0, n, m)) if n else np.zeros(0, dtype=np.int64)
    households["size"] = np.bincount(members["household"], minlength=n).astype(float)
    return households, members


@settings(max_examples=500)
@given(expressions(), st.integers(0, 5), st.integers(0, 8), st.integers(0, 2**32 - 1))
def test_a_rule_that_compiles_runs_to_one_answer_per_household(rule: str, n: int, m: int, seed: int) -> None:
    try:
        compiled = compile_rule(rule)
    except RuleError as error:
        assert 1 <= error.column <= max(len(rule), MAX_LENGTH) + 1
        return
    households, members = columns(np.random.default_rng(seed), n, m if n else 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warning leaks out either
        result = compiled.evaluate(households, members)
    assert isinstance(result, np.ndarray) and result.dtype == bool and result.shape == (n,)


@pytest.mark.parametrize("aggregate", ["min", "max"])
def test_a_missing_member_value_makes_min_and_max_missing_without_a_warning(aggregate: str) -> None:
    households = {"size": np.array([2.0, 1.0]), "predicted_consumption": np.array([np.nan, 5.0])}
    members = {"household": np.array([0, 0, 1])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compile_rule(f"{aggregate}(members, predicted_consumption) > 2").evaluate(households, members)
    assert result.tolist() == [False, True]


def test_a_column_in_an_unexpected_form_is_refused_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    """Defence in depth: should the loader ever hand over a column the checks did not foresee (text
    where numbers belong), the rule is refused as one that cannot be evaluated, and the log keeps why."""
    households = {"size": np.ones(2), "desil": np.array(["1", "x"], dtype=object)}
    with pytest.raises(RuleError, match="cannot be evaluated"):
        compile_rule("desil <= 4").evaluate(households, {"household": np.zeros(0, dtype=np.int64)})
    assert "desil <= 4" in caplog.text


# -- saved rules that cannot run -----------------------------------------------------------------

# Written straight to the database, as older code would have saved them: a number that does not
# convert, a chain that raised on a text field, and one that no longer even parses.
BROKEN = [f"desil < {HUGE}", 'kecamatan in ["64.71.01"] == true', "dtsen_desil <="]


@pytest.fixture
def small_city(regions: dict[str, Region]) -> None:
    from entas.monitoring.models import SurveyRound
    from entas.monitoring.services import DEFAULT_LINES_FILE, load_poverty_lines

    make_household(regions[MANGGAR], "6471010101200003")
    make_household(regions[DAMAI], "6471060101200004", members=2)
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    SurveyRound.objects.create(name="Susenas sintetis", year=2025)


def stored(expression: str, name: str = "BLT lama") -> EligibilityRule:
    return EligibilityRule.objects.create(name=name, expression=expression, benefit=300_000)


@pytest.mark.django_db
@pytest.mark.parametrize("expression", [f"desil < {HUGE}", 'kecamatan in ["64.71.01"] == true'])
def test_saving_a_rule_that_cannot_run_writes_nothing(expression: str) -> None:
    with pytest.raises(RuleError):
        services.save_rule(actor=None, name="BLT", expression=expression, benefit=300_000)
    assert not EligibilityRule.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("expression", BROKEN)
def test_the_targeting_report_names_a_saved_rule_that_cannot_run(
    expression: str, small_city: None, client_for: Any, tkpk_analyst: User
) -> None:
    good = services.save_rule(actor=None, name="BLT baik", expression="dtsen_desil <= 4", benefit=1)
    bad = stored(expression)
    with pytest.raises(Refused, match="“BLT lama” cannot be used") as caught:
        services.targeting_report(rule=bad, line=782_248)
    assert caught.value.code == "invalid_rule" and caught.value.issues[0].field == "expression"
    with pytest.raises(CommandError, match="“BLT lama” cannot be used"):
        call_command("targeting_report", "--rule", "BLT lama", stdout=StringIO())
    page = client_for(tkpk_analyst).get(reverse("targeting:report"), {"rule": bad.pk})  # in Indonesian
    assert page.status_code == 200
    assert "Aturan tersimpan “BLT lama” tidak dapat dipakai: kolom" in page.content.decode(), page.context["errors"]
    # the other rules still report (here: no survey households, said as such)
    other = client_for(tkpk_analyst).get(reverse("targeting:report"), {"rule": good.pk})
    assert other.status_code == 200 and "BLT lama" not in " ".join(other.context["errors"])


@pytest.mark.django_db
@pytest.mark.parametrize("expression", BROKEN)
def test_the_rule_command_names_a_saved_rule_that_cannot_run(expression: str, small_city: None) -> None:
    stored(expression)
    with pytest.raises(CommandError, match="“BLT lama” cannot be used") as caught:
        call_command("rule", "preview", "--rule", "BLT lama", stdout=StringIO())
    assert "^" in str(caught.value)  # and points at the problem
    listing = StringIO()
    call_command("rule", "list", stdout=listing)
    assert "CANNOT RUN: column" in listing.getvalue()
    with pytest.raises(Refused, match="“BLT lama” cannot be used"):
        services.preview(expression=expression, benefit=1, rule=EligibilityRule.objects.get())


@pytest.mark.django_db
@pytest.mark.parametrize("expression", BROKEN)
def test_enrolment_and_cycles_refuse_a_saved_rule_that_cannot_run(
    expression: str, small_city: None, dinsos_manager: User, client_for: Any
) -> None:
    rule = services.save_rule(actor=None, name="BLT lama", expression="size >= 1", benefit=300_000)
    programme = make_programme(rule, start=dt.date(2026, 12, 1))
    cycle = programmes.create_cycle(programme=programme, period="2026-12", actor=dinsos_manager)
    EligibilityRule.objects.filter(pk=rule.pk).update(expression=expression)  # a direct write
    programme.refresh_from_db()
    with pytest.raises(Refused, match="“BLT lama” cannot be used"):
        programmes.enrol(programme=programme, actor=dinsos_manager)
    with pytest.raises(Refused, match="“BLT lama” cannot be used"):
        programmes.prepare(cycle=cycle, actor=dinsos_manager)
    client = client_for(dinsos_manager)
    page = client.post(reverse("programs:detail", args=[programme.pk]), {"enrol": "1"}, follow=True)
    assert page.status_code == 200 and "Aturan tersimpan “BLT lama” tidak dapat dipakai" in page.content.decode()
    api = client.post(f"/api/v1/programmes/{programme.pk}/enrol")
    assert api.status_code == 400 and "“BLT lama”" in api.json()["message"]
    assert not programme.enrolments.exists()
