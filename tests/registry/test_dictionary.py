from pathlib import Path

from entas.registry.dictionary import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"


def test_the_data_dictionary_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run: entas data_dictionary --out docs/data-dictionary.md"


def test_it_lists_every_field_with_its_codes() -> None:
    text = render()
    assert "| `water_source` | `water_source` | code |" in text
    assert "`3` Piped water (PDAM) / *Leding (PDAM)*" in text
    assert "| `nik` | `nik` | text (16) |" in text
