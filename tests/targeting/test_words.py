"""Rules in words (entas.targeting.words) and the positions the editor marks: pure, no database."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from entas.targeting.rules import RuleError, compile_rule
from entas.targeting.words import describe


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("desil <= 4", "desil ≤ 4"),
        (
            "any(members, head and female) and desil <= 4",
            "at least one member: (head of the family AND female) AND desil ≤ 4",
        ),
        (
            "dtsen_desil in [1, 2] or (size >= 5 and not has_car)",
            "DTSEN desil (city) is one of 1, 2 OR (family size ≥ 5 AND NOT owns a car)",
        ),
        ("count(members, age < 18) >= 2", "number of members: age < 18 ≥ 2"),
        ("not (has_car or has_ac)", "NOT (owns a car OR owns an air conditioner)"),
        ('kecamatan != "64.71.01"', "kecamatan ≠ “64.71.01”"),
        ("status not in ['ditolak']", "verification status is none of “ditolak”"),
        ("(size - 1) * 2 > 4", "(family size − 1) × 2 > 4"),
    ],
)
def test_a_rule_reads_as_words(rule: str, words: str) -> None:
    assert describe(rule) == words


def test_a_rule_reads_in_indonesian() -> None:
    with translation.override("id"):
        assert describe("any(members, disabled) and desil <= 4 and not has_car") == (
            "setidaknya satu anggota: penyandang disabilitas DAN desil ≤ 4 DAN BUKAN memiliki mobil"
        )


def test_a_rule_that_does_not_compile_is_shown_as_written() -> None:
    assert describe("  desil <=  ") == "desil <="


def test_the_template_filter_and_tag_show_the_words_and_escape_the_code() -> None:
    page = Template("{% load targeting_rules %}{{ e|rule_words }}|{% rule_shown e %}").render(
        Context({"e": 'kecamatan == "<b>"'})
    )
    assert "kecamatan = “&lt;b&gt;”|" in page
    assert '<code class="rule-code">kecamatan == &quot;&lt;b&gt;&quot;</code>' in page


@pytest.mark.parametrize(
    ("typed", "column"),
    [
        ("desil <= 4 and", 15),  # incomplete: the end of the rule
        ("desil <= 4 and\nfoo", 16),  # a line break counts as one character, as in the editor's one-line view
        ("desil <= 4 and age < 3", 16),  # a member field outside an aggregate: at the field
        ("ukuran_rumah >= 2", 1),
        ("  size >= 2 and has_car > 1", 25),  # at the number compared with a condition; leading spaces not counted
    ],
)
def test_the_error_column_points_where_the_editor_marks_it(typed: str, column: int) -> None:
    with pytest.raises(RuleError) as caught:
        compile_rule(typed)
    assert caught.value.column == column, caught.value.message
