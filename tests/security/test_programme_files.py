"""Hostile programme files (YAML): each is refused at once with a positioned message, before it can
expand, recurse, run code or echo itself back. Pure: no database (entas.programs.definition)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from entas.core.errors import Refused
from entas.programs import definition
from entas.programs.definition import parse_programme

BLT = (Path(__file__).resolve().parents[2] / "docs" / "examples" / "blt.yaml").read_text(encoding="utf-8")

# The classic "billion laughs": nine levels of nine aliases, 9^9 (387 million) "lol"s once expanded.
LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)


def refusal(data: bytes, **options: int) -> Refused:
    with pytest.raises(Refused) as caught:
        parse_programme(data, source="hostile.yaml", **options)
    refused = caught.value
    assert refused.code == "invalid" and refused.issues
    assert all(len(i.message) < 400 for i in refused.issues)  # no message echoes the file
    return refused


def only(data: bytes, **options: int) -> str:
    """The one message of a refusal with one problem."""
    refused = refusal(data, **options)
    assert len(refused.issues) == 1, refused.message
    return refused.issues[0].message


# --- expansion --------------------------------------------------------------------------------------


def test_it_refuses_a_billion_laughs_file_at_its_first_alias() -> None:
    messages = refusal(LAUGHS.encode()).problems
    # Composition stopped at the first alias (line 2): the anchors of lines 3 to 9 were never read.
    assert messages == [
        "line 1, column 4: anchors (&a) are not allowed in a programme file",
        "line 2, column 4: anchors (&b) are not allowed in a programme file",
        "line 2, column 8: aliases (*a) are not allowed in a programme file: write the value out in full",
    ]


def test_it_refuses_an_alias_inside_an_otherwise_valid_programme() -> None:
    text = BLT.replace("  per_elderly: 50000", "  per_elderly: &amount 50000").replace(
        "  per_disabled: 100000", "  per_disabled: *amount"
    )
    assert refusal(text.encode()).problems[-1] == (
        "line 15, column 17: aliases (*amount) are not allowed in a programme file: write the value out in full"
    )


def test_it_refuses_an_alias_to_nothing_as_an_alias() -> None:
    assert only(b"name: *nowhere\n") == (
        "line 1, column 7: aliases (*nowhere) are not allowed in a programme file: write the value out in full"
    )


def test_it_refuses_a_quadratic_blowup_of_one_long_text_and_many_aliases() -> None:
    text = "a: &a " + "x" * 30_000 + "\nb: [" + ", ".join(["*a"] * 5_000) + "]\n"
    assert "line 2, column 5: aliases (*a)" in refusal(text.encode()).problems[-1]


def test_it_refuses_merge_keys() -> None:
    messages = refusal(b"<<: {name: BLT, agency: Dinas Sosial}\n").problems
    assert messages[0] == "line 1, column 1: merge keys (<<) are not allowed in a programme file: write the keys out"
    merged = refusal(b"base: &base {name: BLT}\nprogramme:\n  <<: *base\n").problems
    assert merged[-1].startswith("line 3, column 7: aliases (*base) are not allowed")


# --- size and nesting ------------------------------------------------------------------------------


def test_it_refuses_a_file_larger_than_the_bound_before_reading_it() -> None:
    assert only(b"#" * (10 * 2**20)) == "the file is 10,485,760 bytes; a programme file holds at most 65,536"
    assert "a programme file holds at most" in only(BLT.encode() + b"#" * definition.MAX_BYTES)


def test_a_file_of_exactly_the_bound_is_read() -> None:
    data = BLT.encode()
    data += b"#" * (definition.MAX_BYTES - len(data) - 1) + b"\n"
    assert len(data) == definition.MAX_BYTES
    assert parse_programme(data).name == "BLT Kota Balikpapan 2026"


def test_the_bound_can_be_set_by_the_caller() -> None:
    assert "holds at most 100" in only(BLT.encode(), max_bytes=100)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"[" * 60_000, "line 1, column 6: the file is nested more than 5 levels deep"),
        (b"{a: " * 15_000, "line 1, column 18: the file is nested more than 5 levels deep"),
        (b"- " * 30_000, "line 1, column 11: the file is nested more than 5 levels deep"),
        ("".join(f"{'  ' * i}k:\n" for i in range(100)).encode(), "line 5, column 9: the file is nested more than"),
    ],
)
def test_it_refuses_deep_nesting_without_recursing(data: bytes, expected: str) -> None:
    assert only(data).startswith(expected)


def test_it_refuses_deep_nesting_even_when_the_size_bound_is_lifted() -> None:
    message = only(b"[" * 2_000_000, max_bytes=4_000_000)  # far beyond Python's recursion limit
    assert message.startswith("line 1, column 6: the file is nested more than 5 levels deep")


def test_the_list_of_problems_of_a_file_full_of_mistakes_is_bounded() -> None:
    data = b"".join(b"k%d: &a%d 1\n" % (i, i) for i in range(3_000))
    refused = refusal(data)
    assert len(refused.issues) == definition.MAX_PROBLEMS + 1
    assert refused.issues[-1].message.startswith("… and ")


def test_a_huge_key_or_value_is_not_echoed() -> None:
    data = b"x" * 1_000 + b": 1\nname: " + b"y" * 30_000 + b"\n"  # YAML allows a plain key of 1,024
    refused = refusal(data)
    assert any("unknown key 'xxxxxxx" in p and "…" in p for p in refused.problems)
    assert any(p.startswith("line 2, column 7: name: is 30000 characters long; at most 120") for p in refused.problems)


# --- not a programme at all ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"just a string\n", "line 1, column 1: the file must hold the programme's fields (name: …, agency: …), not "),
        (b"- name: BLT\n- name: BLT 2\n", "line 1, column 1: the file must hold the programme's fields"),
        (b"42\n", "not the single value '42'"),
        (b"~\n", "not the single value '~'"),
        (b"", "the file is empty"),
        (b"# only a comment\n", "the file is empty"),
        (b"name: a\n---\nname: b\n", "line 2, column 1: this is not valid YAML: expected a single document"),
        (b"name: [a\nagency: b\n", "line 2, column 7: this is not valid YAML"),
        (b"\tname: a\n", "line 1, column 1: this is not valid YAML"),
        (b'name: "\\q"\n', "line 1, column 9: this is not valid YAML"),
    ],
)
def test_it_refuses_a_file_that_is_not_a_programme(data: bytes, expected: str) -> None:
    assert expected in only(data)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (bytes(range(256)) * 4, "line 1, column 1: the file holds a NUL byte: it is a binary file, not YAML text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "line 3, column 1: the file holds a NUL byte"),
        ("name: BLT\n".encode("utf-16"), "line 1, column 1: the file is encoded as UTF-16; save it as UTF-8 text"),
        ("name: BLT\n".encode("utf-16-le"), "line 1, column 2: the file holds a NUL byte"),
        ("name: BLT\nagency: Dinas Sosial Kota Balikpapan — é\n".encode("cp1252"), "line 2, column 38: the file is"),
        (b"name: BLT\nagency: \xff\n", "line 2, column 9: the file is not UTF-8 text (byte 0xff); save it as UTF-8"),
        (b"name: BLT\x07\n", "line 1, column 10: the file holds a control character (U+0007): it is not a text file"),
        (b"name: BLT\x1b[31m\n", "line 1, column 10: the file holds a control character (U+001B)"),
    ],
)
def test_it_refuses_a_binary_or_wrongly_encoded_file_with_the_position_of_the_first_bad_byte(
    data: bytes, expected: str
) -> None:
    assert only(data).startswith(expected)


def test_random_bytes_are_refused_with_a_message() -> None:
    for seed in range(20):
        data = random.Random(seed).randbytes(2_000)
        assert refusal(data).problems[0].startswith("line ")


def test_a_utf8_file_with_a_byte_order_mark_is_read() -> None:
    assert parse_programme(b"\xef\xbb\xbf" + BLT.encode()).name == "BLT Kota Balikpapan 2026"


# --- code and spoofing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('!!python/object/apply:os.system ["echo pwned"]', "!!python/object/apply:os.system"),
        ("!!python/name:os.system", "!!python/name:os.system"),
        ("!!python/object/new:subprocess.Popen [[id]]", "!!python/object/new:subprocess.Popen"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!set {a, b}", "!!set"),
        ("!!str BLT", "!!str"),
        ("!Ref BLT", "!Ref"),
        ("! BLT", "!"),
    ],
)
def test_it_refuses_every_tag(value: str, shown: str) -> None:
    text = BLT.replace("name: BLT Kota Balikpapan 2026", f"name: {value}", 1)
    message = f"line 2, column 7: tags such as {shown} are not allowed in a programme file"
    assert message in refusal(text.encode()).problems


def test_a_python_tag_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    text = BLT.replace(
        "agency: Dinas Sosial Kota Balikpapan", f'agency: !!python/object/apply:builtins.open ["{marker}", "w"]'
    )
    refusal(text.encode())
    assert not marker.exists()


def test_it_refuses_a_tag_directive() -> None:
    text = "%TAG !p! tag:yaml.org,2002:python/object/apply:\n---\n" + BLT.replace("name: BLT", "name: !p!os.system BLT")
    assert any("tags such as !!python/object/apply:os.system" in p for p in refusal(text.encode()).problems)


@pytest.mark.parametrize("character", ["\\0", "\\e", "\\x7f", "\\u202e", "\\u2066"])
def test_it_refuses_escaped_control_and_bidi_characters_in_a_name(character: str) -> None:
    text = BLT.replace("name: BLT Kota Balikpapan 2026", f'name: "BLT {character}2026"', 1)
    problems = refusal(text.encode()).problems
    assert len(problems) == 1 and problems[0].startswith("line 2, column 7: name: holds a control character (U+")
