"""Pure builders: the inputs of a report (plain dictionaries gathered by :mod:`.selectors`) in, a
:class:`~.document.Document` out. No database, no request: ``tests/reports/test_builders.py`` calls
them with hand-made inputs.

The sections follow DOMAIN §7: the LP2KD skeleton (derived, the official template unconfirmed — so its
section list is configurable per report), the RPKD data chapters, the quarterly extreme-poverty
report (Inpres 4/2022) and a programme's report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from . import charts
from .document import Document, Figure, Narrative, Paragraph, Section, Table

KINDS = ("lp2kd", "rpkd_profile", "extreme_poverty", "programme")

LP2KD_SECTIONS = ("introduction", "profile", "programmes", "indicators", "evaluation", "problems", "recommendations")


def lp2kd_section_titles() -> dict[str, str]:
    return {
        "introduction": _("Introduction"),
        "profile": _("Conditions and poverty profile of the region"),
        "programmes": _("Programmes and budget by OPD"),
        "indicators": _("Indicator achievement"),
        "evaluation": _("Evaluation findings"),
        "problems": _("Problems"),
        "recommendations": _("Recommendations"),
    }


def _est(e: dict[str, Any] | None, factor: float = 100.0) -> tuple[float | None, float | None]:
    if not e:
        return None, None
    return e["value"] * factor, e["se"] * factor


def _profile_blocks(inputs: dict[str, Any]) -> list[Any]:
    blocks: list[Any] = []
    profile = inputs.get("profile")
    if profile:
        t = profile["total"]
        p0, p0_se = _est(t["p0"])
        p1, p1_se = _est(t["p1"])
        p2, p2_se = _est(t["p2"])
        gini, gini_se = _est(t.get("gini"), 1.0)
        ext, ext_se = _est(t.get("extreme_p0"))
        blocks.append(
            Paragraph(
                _(
                    "From the survey %(survey)s (%(households)s sampled households), against the poverty line of "
                    "Rp%(line)s per capita per month. Standard errors are linearised (design-based)."
                )
                % {
                    "survey": profile["survey"],
                    "households": f"{t['households']:,}".replace(",", "."),
                    "line": f"{round(profile['line']):,}".replace(",", "."),
                }
            )
        )
        blocks.append(
            Table(
                key="profile_city",
                title=_("Poverty profile of the city"),
                columns=[_("Measure"), _("Value"), _("Standard error")],
                formats=["text", "num4", "num4"],
                rows=[
                    [_("P0: poor population (%)"), p0, p0_se],
                    [_("Number of poor people"), round(t["poor"]), None],
                    [_("P1: poverty depth index"), p1, p1_se],
                    [_("P2: poverty severity index"), p2, p2_se],
                    [_("Poverty line (Rp/capita/month)"), profile["line"], None],
                    [_("Gini ratio"), gini, gini_se],
                    [_("Extreme poverty (%)"), ext, ext_se],
                ],
            )
        )
    else:
        blocks.append(Paragraph(_("No survey round is loaded for this year: the poverty profile cannot be shown.")))
    official = inputs.get("official") or []
    if official:
        blocks.append(
            Table(
                key="official_series",
                title=_("Official series (with their sources)"),
                columns=[_("Indicator"), _("Value"), _("Standard error"), _("Source"), _("Confirmed")],
                formats=["text", "num", "num", "text", "text"],
                rows=[
                    [
                        f"{o['indicator']} · {o['area']} · {o['period']}",
                        o["value"],
                        o.get("se"),
                        o["source"],
                        _("yes") if o["confirmed"] else _("NOT CONFIRMED"),
                    ]
                    for o in official
                ],
            )
        )
        trend = charts.official_trend(official)
        if trend:
            blocks.append(Figure(key="official_trend", title=_("Official series over time"), spec=trend))
    sae = inputs.get("sae")
    if sae:
        rows = sae["kelurahan"]
        blocks.append(
            Table(
                key="kelurahan_estimates",
                title=_("Kelurahan poverty estimates (Fay–Herriot, %(year)s)") % {"year": sae["year"]},
                columns=[_("Kelurahan"), _("Direct P0 (%)"), _("Estimate P0 (%)"), _("CV (%)"), _("Reliable")],
                formats=["text", "num", "num", "num", "text"],
                rows=[
                    [
                        r["name"],
                        r["direct"],
                        r["benchmarked"],
                        None if r["cv"] is None else 100 * r["cv"],  # the model's CV is a fraction
                        _("no") if r["unreliable"] else _("yes"),
                    ]
                    for r in rows
                ],
                note=_("An estimate whose coefficient of variation exceeds 25 percent is not reliable and is flagged."),
            )
        )
        blocks.append(Figure(key="kelurahan_chart", title=_("Kelurahan P0 estimates"), spec=charts.kelurahan_bar(rows)))
    return blocks


def _money_blocks(inputs: dict[str, Any]) -> list[Any]:
    budget = inputs.get("budget")
    if not budget:
        return [Paragraph(_("No plan of the policy register is adopted: there is no programme budget to report."))]
    names = budget.get("opd_names", {})
    blocks: list[Any] = [
        Paragraph(
            _("Plan %(plan)s, as of %(day)s: budget Rp%(budget)s, realised Rp%(realised)s (%(percent)s%%).")
            % {
                "plan": budget["plan"],
                "day": budget["as_of"],
                "budget": f"{budget['money']['budget']:,}".replace(",", "."),
                "realised": f"{budget['money']['realised']:,}".replace(",", "."),
                "percent": str(budget["money"]["percent"]).replace(".", ","),
            }
        ),
        Table(
            key="budget_by_opd",
            title=_("Budget and realisation by OPD"),
            columns=[_("OPD"), _("Budget (Rp)"), _("Realised (Rp)"), _("Realisation (%)")],
            formats=["text", "rupiah", "rupiah", "pct"],
            rows=[
                [f"{code} {names.get(code, '')}".strip(), m["budget"], m["realised"], m["percent"]]
                for code, m in budget["by_opd"].items()
            ]
            + [[_("Total"), budget["money"]["budget"], budget["money"]["realised"], budget["money"]["percent"]]],
        ),
        Table(
            key="funding_by_source",
            title=_("Funding by source"),
            columns=[_("Source"), _("Amount (Rp)")],
            formats=["text", "rupiah"],
            rows=[[inputs.get("funding_labels", {}).get(k, k), v] for k, v in sorted(budget["funding"].items())],
        ),
        Table(
            key="programmes",
            title=_("Programmes"),
            columns=[_("Programme"), _("Lead OPD"), _("Budget (Rp)"), _("Realised (Rp)"), _("Realisation (%)")],
            formats=["text", "text", "rupiah", "rupiah", "pct"],
            rows=[
                [f"{p['code']} {p['name']}", p["lead_opd"], p["budget"], p["realised"], p["percent"]]
                for p in budget["programmes"]
            ],
        ),
    ]
    if budget["by_opd"]:
        blocks.append(Figure(key="opd_chart", title=_("Realisation by OPD"), spec=charts.opd_bars(budget["by_opd"])))
    return blocks


def _indicator_blocks(inputs: dict[str, Any]) -> list[Any]:
    rows = inputs.get("indicators") or []
    if not rows:
        return [Paragraph(_("No indicator has a value for this year."))]
    labels = {"green": _("met"), "amber": _("nearly met"), "red": _("not met"), "grey": _("no target")}
    return [
        Table(
            key="indicators",
            title=_("Indicator achievement against targets"),
            columns=[_("Indicator"), _("Period"), _("Value"), _("Target"), _("Status")],
            formats=["text", "text", "num", "num", "text"],
            rows=[[r["name"], r["period"], r["value"], r["target"], labels[r["light"]]] for r in rows],
        )
    ]


def _evaluation_blocks(inputs: dict[str, Any]) -> list[Any]:
    rows = inputs.get("evaluations") or []
    if not rows:
        return [Paragraph(_("No evaluation was saved in this year."))]
    return [
        Table(
            key="evaluations",
            title=_("Saved impact evaluations"),
            columns=[_("Evaluation"), _("Method"), _("Effect"), _("95 percent interval"), _("Causal"), _("Data as of")],
            formats=["text", "text", "num4", "text", "text", "text"],
            rows=[
                [
                    e["title"],
                    e["method"],
                    e["effect"],
                    f"{e['ci_low']:.4f} – {e['ci_high']:.4f}" if e["ci_low"] is not None else "",
                    _("yes") if e["causal"] else _("no"),
                    e["snapshot"],
                ]
                for e in rows
            ],
        )
    ]


def _narrative(key: str, hint: str) -> list[Any]:
    return [Narrative(key=key, hint=hint)]


def lp2kd(inputs: dict[str, Any], sections: list[str] | None = None) -> Document:
    """The annual LP2KD of the TKPKD (DOMAIN §7.3), with the chosen sections in their order."""
    titles = lp2kd_section_titles()
    parts: dict[str, Callable[[], list[Any]]] = {
        "introduction": lambda: _narrative(
            "introduction", _("The legal basis, the purpose of the report and the TKPKD's work in the year.")
        ),
        "profile": lambda: _profile_blocks(inputs),
        "programmes": lambda: _money_blocks(inputs),
        "indicators": lambda: _indicator_blocks(inputs),
        "evaluation": lambda: _evaluation_blocks(inputs) + _narrative("evaluation", _("What the evaluations mean.")),
        "problems": lambda: _narrative("problems", _("The problems met in carrying out the programmes.")),
        "recommendations": lambda: _narrative("recommendations", _("Recommendations for the coming year.")),
    }
    chosen = [s for s in (sections or LP2KD_SECTIONS) if s in parts]
    return Document(
        kind="lp2kd",
        title=_("Report on the implementation of poverty alleviation (LP2KD)"),
        city=inputs["city"],
        period=str(inputs["year"]),
        snapshot=inputs["snapshot"],
        sections=[Section(key, titles[key], parts[key]()) for key in chosen],
        inputs=list(inputs.get("sources", [])),
    )


RPKD_SECTORS = ("poverty", "education", "health", "water_sanitation", "housing", "social_protection", "economy")


def rpkd_sector_titles() -> dict[str, str]:
    return {
        "poverty": _("Poverty"),
        "education": _("Education"),
        "health": _("Health"),
        "water_sanitation": _("Water and sanitation"),
        "housing": _("Housing"),
        "social_protection": _("Social protection"),
        "economy": _("Economy and employment"),
    }


def rpkd_profile(inputs: dict[str, Any]) -> Document:
    """The RPKD data chapters: the poverty profile, then each basic-service sector's indicators with
    the city's trend against the province and the nation and its relative position (SEPAKAT)."""
    titles = rpkd_sector_titles()
    sections = [Section("profile", _("Poverty profile"), _profile_blocks(inputs))]
    sections.append(
        Section("deprivation", _("Overlapping deprivations by expenditure quintile"), _overlap_blocks(inputs))
    )
    for sector in RPKD_SECTORS:
        rows = [r for r in inputs.get("sector_indicators", []) if r["sector"] == sector]
        blocks: list[Any] = []
        if rows:
            blocks.append(
                Table(
                    key=f"sector_{sector}",
                    title=_("Indicators: %(sector)s") % {"sector": titles[sector]},
                    columns=[_("Indicator"), _("Period"), _("City"), _("Province"), _("National"), _("Position")],
                    formats=["text", "text", "num", "num", "num", "text"],
                    rows=[
                        [r["name"], r["period"], r["city"], r["province"], r["national"], _position(r)] for r in rows
                    ],
                    note=_comparators_note(inputs.get("comparators")),
                )
            )
            history = [r for r in inputs.get("sector_history", []) if r["sector"] == sector]
            trend = charts.comparison_trend(history)
            if trend:
                blocks.append(Figure(key=f"trend_{sector}", title=_("Trend against province and nation"), spec=trend))
        else:
            blocks.append(Paragraph(_("No indicator of this sector has a value yet.")))
        blocks += _narrative(f"sector_{sector}", _("The analysis of this sector."))
        sections.append(Section(sector, titles[sector], blocks))
    return Document(
        kind="rpkd_profile",
        title=_("RPKD data chapters: the profile of poverty and basic services"),
        city=inputs["city"],
        period=str(inputs["year"]),
        snapshot=inputs["snapshot"],
        sections=sections,
        inputs=list(inputs.get("sources", [])),
    )


def _comparators_note(comparators: dict[str, Any] | None) -> str:
    """Says which comparison series are not entered (their column then stays empty)."""
    if not comparators:
        return ""
    missing = [
        _("province %(code)s") % {"code": comparators["province"]} if not comparators.get("province_entered") else "",
        _("nation %(code)s") % {"code": comparators["national"]} if not comparators.get("national_entered") else "",
    ]
    missing = [m for m in missing if m]
    if not missing:
        return ""
    return _("Official series not entered for: %(areas)s.") % {"areas": ", ".join(missing)}


def deprivation_titles() -> dict[str, str]:
    return {
        "education": _("Education"),
        "health": _("Health"),
        "water_sanitation": _("Water and sanitation"),
        "housing": _("Housing"),
        "social_protection": _("Social protection"),
        "economy": _("Economy and employment"),
    }


def _overlap_blocks(inputs: dict[str, Any]) -> list[Any]:
    """SEPAKAT's overlap of deprivations by expenditure quintile: the share of households deprived in
    0, 1, 2, 3+ dimensions per quintile, each dimension's rate per quintile, and the most common
    combinations as an UpSet-style table (one column per dimension, ● where it is part of the
    combination)."""
    from .deprivation import DIMENSIONS

    data = inputs.get("deprivation")
    if not data or not data.get("households"):
        return [
            Paragraph(
                _(
                    "No PMT model has scored the registry yet: the overlap of deprivations needs each "
                    "household's predicted consumption."
                )
            )
        ]
    titles = deprivation_titles()
    blocks: list[Any] = [
        Paragraph(
            _(
                "%(n)s registered households ranked by their predicted consumption (%(model)s) into five "
                "quintiles (1 = the poorest fifth); deprivations read from the registry as defined in the "
                "documentation (docs/reports.md)."
            )
            % {"n": data["households"], "model": data.get("model", "")}
        ),
        Table(
            key="deprivation_count",
            title=_("Households by number of deprivations, per quintile (%)"),
            columns=[_("Quintile"), _("Households"), "0", "1", "2", "3+"],
            formats=["text", "int", "pct", "pct", "pct", "pct"],
            rows=[
                [str(q["quintile"]), q["households"], *(q["shares"][c] for c in ("0", "1", "2", "3"))]
                for q in data["quintiles"]
            ],
        ),
        Figure(
            key="deprivation_chart",
            title=_("Number of deprivations by quintile"),
            spec=charts.deprivation_bars(data["quintiles"]),
        ),
        Table(
            key="deprivation_dimension",
            title=_("Households deprived in each dimension, per quintile (%)"),
            columns=[_("Quintile"), *(titles[d] for d in DIMENSIONS)],
            formats=["text", *("pct" for _d in DIMENSIONS)],
            rows=[[str(q["quintile"]), *(q["dimensions"][d] for d in DIMENSIONS)] for q in data["quintiles"]],
        ),
    ]
    if data["combinations"]:
        blocks.append(
            Table(
                key="deprivation_combination",
                title=_("Most common combinations of deprivations"),
                columns=[
                    *(titles[d] for d in DIMENSIONS),
                    _("Households"),
                    _("Share (%)"),
                    *(_("Q%(q)s") % {"q": q} for q in range(1, 6)),
                ],
                formats=[*("text" for _d in DIMENSIONS), "int", "pct", "int", "int", "int", "int", "int"],
                rows=[
                    [
                        *("●" if d in c["dimensions"] else "" for d in DIMENSIONS),
                        c["households"],
                        c["share"],
                        *(c["by_quintile"][str(q)] for q in range(1, 6)),
                    ]
                    for c in data["combinations"]
                ],
            )
        )
    blocks += _narrative("deprivation", _("What the overlap of deprivations says about the programmes' targeting."))
    return blocks


def _position(row: dict[str, Any]) -> str:
    """The city's position against the province (SEPAKAT's relative position): better, worse or equal,
    given the indicator's direction."""
    city, province = row.get("city"), row.get("province")
    if city is None or province is None:
        return ""
    if abs(city - province) < 1e-9:
        return _("equal to the province")
    better = city > province if row.get("direction", "up") == "up" else city < province
    return _("better than the province") if better else _("worse than the province")


def extreme_poverty(inputs: dict[str, Any]) -> Document:
    """The quarterly extreme-poverty report (Inpres 4/2022): households in extreme poverty by
    kelurahan, the programmes that reach them, and the change since the previous quarter."""
    rows = inputs["kelurahan"]
    previous = inputs.get("previous") or {}
    total = sum(r["households"] for r in rows)
    by_count = inputs["convergence"]
    table_rows: list[list[Any]] = []
    for r in rows:
        before = previous.get(r["name"])
        table_rows.append(
            [
                r["name"],
                r["households"],
                r["people"],
                r["none"],
                before,
                None if before is None else r["households"] - before,
            ]
        )
    table_rows.append(
        [
            _("Total"),
            total,
            sum(r["people"] for r in rows),
            sum(r["none"] for r in rows),
            sum(previous.values()) if previous else None,
            total - sum(previous.values()) if previous else None,
        ]
    )
    sections = [
        Section(
            "summary",
            _("Summary"),
            [
                Paragraph(
                    _(
                        "Households whose predicted consumption per capita (%(model)s) is below the "
                        "extreme-poverty line of Rp%(line)s per capita per month, as of %(day)s: %(total)s."
                    )
                    % {
                        "model": inputs.get("model", "–"),
                        "line": f"{round(inputs['line']):,}".replace(",", "."),
                        "day": inputs["snapshot"],
                        "total": f"{total:,}".replace(",", "."),
                    }
                ),
                Paragraph(
                    _("Previous quarter: %(previous)s.") % {"previous": inputs["previous_label"]}
                    if previous
                    else _("There is no final report of the previous quarter to compare with.")
                ),
            ],
        ),
        Section(
            "kelurahan",
            _("Households in extreme poverty by kelurahan"),
            [
                Table(
                    key="extreme_by_kelurahan",
                    title=_("Households in extreme poverty by kelurahan"),
                    columns=[
                        _("Kelurahan"),
                        _("Households"),
                        _("People"),
                        _("Reached by no programme"),
                        _("Previous quarter"),
                        _("Change"),
                    ],
                    formats=["text", "int", "int", "int", "int", "int"],
                    rows=table_rows,
                ),
                Figure(
                    key="extreme_chart",
                    title=_("Households in extreme poverty by kelurahan"),
                    spec=charts.count_bars(rows, field="households", title=_("Households")),
                ),
            ],
        ),
        Section(
            "convergence",
            _("Convergence of programmes"),
            [
                Table(
                    key="convergence",
                    title=_("Households in extreme poverty by the number of programmes reaching them"),
                    columns=[_("Programmes"), _("Households"), _("Share (%)")],
                    formats=["text", "int", "pct"],
                    rows=[
                        [label, n, round(100 * n / total, 2) if total else None]
                        for label, n in (
                            (_("none"), by_count.get("0", 0)),
                            (_("one"), by_count.get("1", 0)),
                            (_("two or more"), by_count.get("2+", 0)),
                        )
                    ],
                ),
                Table(
                    key="programme_reach",
                    title=_("Programmes reaching households in extreme poverty"),
                    columns=[_("Programme"), _("Households")],
                    formats=["text", "int"],
                    rows=[[p["name"], p["households"]] for p in inputs.get("programmes", [])],
                ),
                *_narrative(
                    "follow_up", _("Follow-up: what the OPDs will do for the households no programme reaches.")
                ),
            ],
        ),
    ]
    quarter = inputs["quarter"]
    return Document(
        kind="extreme_poverty",
        title=_("Quarterly report on the eradication of extreme poverty"),
        city=inputs["city"],
        period=_("%(year)s quarter %(quarter)s") % {"year": inputs["year"], "quarter": quarter},
        snapshot=inputs["snapshot"],
        sections=sections,
        inputs=list(inputs.get("sources", [])),
    )


def programme(inputs: dict[str, Any]) -> Document:
    """A programme's report: beneficiaries by kelurahan, money, outputs, outcomes, complaints."""
    p = inputs["programme"]
    beneficiaries = inputs["beneficiaries"]
    sections = [
        Section(
            "beneficiaries",
            _("Beneficiaries by kelurahan"),
            [
                Table(
                    key="beneficiaries",
                    title=_("Beneficiary households by kelurahan"),
                    columns=[_("Kelurahan"), _("Households")],
                    formats=["text", "int"],
                    rows=[[r["name"], r["households"]] for r in beneficiaries]
                    + [[_("Total"), sum(r["households"] for r in beneficiaries)]],
                ),
            ]
            + (
                [
                    Figure(
                        key="beneficiaries_chart",
                        title=_("Beneficiary households by kelurahan"),
                        spec=charts.count_bars(beneficiaries, field="households", title=_("Households")),
                    )
                ]
                if beneficiaries
                else []
            ),
        ),
        Section(
            "money",
            _("Money"),
            [
                Table(
                    key="money",
                    title=_("Budget, realisation and payments"),
                    columns=[_("Item"), _("Amount (Rp)")],
                    formats=["text", "rupiah"],
                    rows=[
                        [_("Budget (pagu in force)"), p.get("budget")],
                        [_("Realised"), p.get("realised")],
                        [_("Paid to households"), inputs.get("paid", 0)],
                    ],
                )
            ],
        ),
        Section(
            "outputs",
            _("Outputs"),
            [
                Table(
                    key="outputs",
                    title=_("Activities and their outputs"),
                    columns=[_("Activity"), _("Output"), _("Target volume"), _("Physical progress (%)")],
                    formats=["text", "text", "int", "int"],
                    rows=[[a["name"], a["output"], a["volume_target"], a["physical"]] for a in inputs["activities"]],
                )
            ]
            if inputs["activities"]
            else [Paragraph(_("The programme is not in the policy register: no activity is recorded."))],
        ),
        Section(
            "outcomes",
            _("Outcomes"),
            [
                Table(
                    key="outcomes",
                    title=_("Indicators of the programme's results"),
                    columns=[_("Indicator"), _("Period"), _("Value"), _("Target"), _("Status")],
                    formats=["text", "text", "num", "num", "text"],
                    rows=[[r["name"], r["period"], r["value"], r["target"], r["light"]] for r in inputs["outcomes"]],
                )
            ]
            if inputs["outcomes"]
            else [Paragraph(_("No result of the framework names this programme."))],
        ),
        Section(
            "complaints",
            _("Complaints"),
            [
                Table(
                    key="complaints",
                    title=_("Complaints about the programme by status"),
                    columns=[_("Status"), _("Cases")],
                    formats=["text", "int"],
                    rows=[[c["status"], c["cases"]] for c in inputs["complaints"]]
                    + [[_("Total"), sum(c["cases"] for c in inputs["complaints"])]],
                ),
                *_narrative("assessment", _("The programme manager's assessment.")),
            ],
        ),
    ]
    return Document(
        kind="programme",
        title=_("Programme report: %(name)s") % {"name": p["name"]},
        city=inputs["city"],
        period=str(inputs["year"]),
        snapshot=inputs["snapshot"],
        sections=sections,
        inputs=list(inputs.get("sources", [])),
    )


BUILDERS: dict[str, Callable[..., Document]] = {
    "lp2kd": lp2kd,
    "rpkd_profile": rpkd_profile,
    "extreme_poverty": extreme_poverty,
    "programme": programme,
}


def build(kind: str, inputs: dict[str, Any], sections: list[str] | None = None) -> Document:
    if kind == "lp2kd":
        return lp2kd(inputs, sections)
    return BUILDERS[kind](inputs)
