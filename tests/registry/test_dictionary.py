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


def test_every_correctable_field_is_a_member_column_of_the_import_and_of_the_synthetic_city() -> None:
    from entas.registry.columns import MEMBER_FIELDS
    from entas.registry.models import Member
    from entas.registry.services import CORRECTABLE_FIELDS
    from entas.synth.output import MEMBER_COLUMNS

    assert "nik" not in CORRECTABLE_FIELDS and len(set(CORRECTABLE_FIELDS)) == len(CORRECTABLE_FIELDS) == 26
    assert set(CORRECTABLE_FIELDS) <= set(MEMBER_FIELDS) & set(MEMBER_COLUMNS)
    assert {f.name for f in Member._meta.get_fields()} >= set(CORRECTABLE_FIELDS)
