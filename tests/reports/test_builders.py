"""The pure builders and renderers: hand-made inputs, no database."""

from __future__ import annotations

import io
from typing import Any

import pytest

from entas.reports import builders, render
from entas.reports.document import changes, format_cell, from_dict


def est(value: float, se: float) -> dict[str, float]:
    return {"value": value, "se": se, "ci_low": value - 1.96 * se, "ci_high": value + 1.96 * se}


def lp2kd_inputs(**extra: Any) -> dict[str, Any]:
    return {
        "city": "Kota Balikpapan",
        "year": 2026,
        "snapshot": "2026-12-31",
        "profile": {
            "survey": "Susenas 2025",
            "line": 812345.0,
            "total": {
                "households": 400,
                "people": 10000.0,
                "p0": est(0.0321, 0.004),
                "p1": est(0.0052, 0.001),
                "p2": est(0.0013, 0.0003),
                "poor": 321.4,
                "gini": est(0.331, 0.01),
                "extreme_p0": est(0.0041, 0.001),
            },
        },
        "official": [
            {
                "code": "p0-bps",
                "indicator": "P0 BPS",
                "area": "Kota Balikpapan",
                "area_level": 2,
                "period": "2024",
                "value": 2.23,
                "se": None,
                "source": "BPS",
                "confirmed": True,
                "direction": "down",
            },
        ],
        "sae": None,
        "budget": {
            "plan": "RPKD v1",
            "as_of": "2026-12-31",
            "money": {"budget": 3_000_000, "realised": 1_500_000, "percent": 50.0},
            "funding": {"apbd": 2_000_000, "csr": 1_000_000},
            "by_opd": {"DINSOS": {"budget": 3_000_000, "realised": 1_500_000, "percent": 50.0}},
            "opd_names": {"DINSOS": "Dinas Sosial"},
            "programmes": [
                {
                    "code": "P1",
                    "name": "BLT",
                    "lead_opd": "DINSOS",
                    "budget": 3_000_000,
                    "realised": 1_500_000,
                    "percent": 50.0,
                    "activities": [],
                }
            ],
        },
        "indicators": [{"code": "p0", "name": "P0", "period": "2026", "value": 3.1, "target": 3.0, "light": "red"}],
        "evaluations": [],
        "sources": ["Susenas 2025"],
        **extra,
    }


def test_the_lp2kd_has_the_skeleton_and_its_figures() -> None:
    doc = builders.lp2kd(lp2kd_inputs())
    assert [s.key for s in doc.sections] == list(builders.LP2KD_SECTIONS)
    figures = doc.figures()
    assert figures["Poverty profile of the city / P0: poor population (%) / Value"] == pytest.approx(3.21)
    assert figures["Budget and realisation by OPD / Total / Realised (Rp)"] == 1_500_000
    assert set(doc.narrative_keys()) == {"introduction", "evaluation", "problems", "recommendations"}


def test_the_kelurahan_estimates_carry_their_reliability() -> None:
    rows = [
        {"name": "Manggar", "direct": 4.1, "benchmarked": 3.9, "rmse": 0.5, "cv": 0.128, "unreliable": False},
        {"name": "Damai", "direct": None, "benchmarked": 2.2, "rmse": 0.9, "cv": 0.409, "unreliable": True},
    ]
    doc = builders.lp2kd(lp2kd_inputs(sae={"year": 2025, "kelurahan": rows}), ["profile"])
    figures = doc.figures()
    title = "Kelurahan poverty estimates (Fay–Herriot, 2025)"
    assert figures[f"{title} / Damai / Reliable"] == "no"
    assert figures[f"{title} / Manggar / CV (%)"] == pytest.approx(12.8)
    assert any(b.kind == "figure" and b.key == "kelurahan_chart" for b in doc.sections[0].blocks)


def test_the_lp2kd_sections_are_configurable() -> None:
    doc = builders.lp2kd(lp2kd_inputs(), ["profile", "recommendations"])
    assert [s.key for s in doc.sections] == ["profile", "recommendations"]


def test_a_document_survives_json_and_changes_list_what_moved() -> None:
    before = builders.lp2kd(lp2kd_inputs())
    again = from_dict(before.as_dict())
    assert again.as_dict() == before.as_dict() and changes(before, again) == []
    inputs = lp2kd_inputs()
    inputs["budget"]["by_opd"]["DINSOS"]["realised"] = 2_000_000
    moved = changes(before, builders.lp2kd(inputs))
    assert [(c.key, c.before, c.after) for c in moved] == [
        ("Budget and realisation by OPD / DINSOS Dinas Sosial / Realised (Rp)", 1_500_000, 2_000_000)
    ]


def test_cells_print_the_indonesian_way() -> None:
    assert format_cell(1234567, "rupiah") == "Rp1.234.567"
    assert format_cell(3.2149, "pct") == "3,21%"
    assert format_cell(None, "int") == "–"


def test_extreme_poverty_counts_convergence_and_change() -> None:
    doc = builders.extreme_poverty(
        {
            "city": "Kota Balikpapan",
            "year": 2026,
            "quarter": 2,
            "snapshot": "2026-06-30",
            "model": "PMT v1",
            "line": 400000.0,
            "kelurahan": [
                {"name": "Manggar", "households": 5, "people": 20, "none": 2},
                {"name": "Damai", "households": 3, "people": 9, "none": 0},
            ],
            "convergence": {"0": 2, "1": 4, "2+": 2},
            "programmes": [{"name": "BLT", "households": 6}],
            "previous": {"Manggar": 7, "Damai": 3},
            "previous_label": "Q1",
        }
    )
    figures = doc.figures()
    assert figures["Households in extreme poverty by kelurahan / Manggar / Change"] == -2
    assert figures["Households in extreme poverty by kelurahan / Total / Households"] == 8
    assert figures["Households in extreme poverty by the number of programmes reaching them / none / Share (%)"] == 25.0


def test_the_xlsx_has_one_sheet_per_table_and_reads_back() -> None:
    from python_calamine import CalamineWorkbook

    doc = builders.lp2kd(lp2kd_inputs())
    book = CalamineWorkbook.from_filelike(io.BytesIO(render.xlsx(doc, {}, charts=False)))
    assert book.sheet_names[1:] == render.sheet_names(doc) and len(doc.tables()) == len(book.sheet_names) - 1
    rows = book.get_sheet_by_name("budget_by_opd").to_python()
    assert rows[3][:3] == ["DINSOS Dinas Sosial", 3_000_000, 1_500_000]


def test_the_docx_holds_the_narrative_and_the_tables() -> None:
    from docx import Document as Docx

    doc = builders.lp2kd(lp2kd_inputs())
    out = Docx(io.BytesIO(render.docx(doc, {"problems": "Data OPD terlambat."}, charts=False)))
    text = "\n".join(p.text for p in out.paragraphs)
    assert "KOTA BALIKPAPAN" in text and "Data OPD terlambat." in text
    assert len(out.tables) == len(doc.tables())


def test_hostile_text_is_escaped_in_the_pdf_html() -> None:
    doc = builders.lp2kd(lp2kd_inputs())
    html = render.html(doc, {"problems": "<script>alert(1)</script>"}, charts=False)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
