"""The register as an XLSX workbook, one sheet per level: plan, strategies, programmes, activities and
funding (as it stood on a date). Text cells that look like formulas are written inert (core.spreadsheet)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from entas.core.spreadsheet import Sheet, workbook

from .selectors import Register

BOLD = {"bold": True}


def register_xlsx(reg: Register) -> bytes:
    out = io.BytesIO()
    book = workbook(out)
    plan = Sheet(book, _("Plan"))
    plan.write_row(
        0,
        0,
        [
            _("Code"),
            _("Version"),
            _("Title"),
            _("Status"),
            _("Adopted on"),
            _("Legal basis"),
            _("As of"),
            _("Budget (Rp)"),
            _("Realisation (Rp)"),
        ],
        BOLD,
    )
    p = reg.plan
    plan.write_row(
        1,
        0,
        [
            p.code,
            p.version,
            p.title,
            p.get_status_display(),
            p.adopted_on,
            p.legal_basis,
            reg.day,
            reg.money.budget,
            reg.money.realised,
        ],
    )
    plan.write_row(3, 0, [_("OPD"), _("Budget (Rp)"), _("Realisation (Rp)")], BOLD)
    for i, (code, money) in enumerate(reg.by_opd.items(), start=4):
        plan.write_row(i, 0, [code, money.budget, money.realised])

    strategies = Sheet(book, _("Strategies"))
    strategies.write_row(
        0,
        0,
        [
            _("Code"),
            _("Strategy"),
            _("National strategy"),
            _("Goals"),
            _("Focus kelurahan"),
            _("Budget (Rp)"),
            _("Realisation (Rp)"),
        ],
        BOLD,
    )
    for i, s in enumerate(reg.strategies, start=1):
        focus = ", ".join(sorted(r.code for r in s.strategy.focus_kelurahan.all()))
        strategies.write_row(
            i,
            0,
            [
                s.strategy.code,
                s.strategy.name,
                s.strategy.get_national_strategy_display(),
                s.strategy.goals,
                focus,
                s.money.budget,
                s.money.realised,
            ],
        )

    programmes = Sheet(book, _("Programmes"))
    programmes.write_row(
        0,
        0,
        [
            _("Strategy"),
            _("Code"),
            _("Programme"),
            _("Kind"),
            _("Lead OPD"),
            _("Partner OPDs"),
            _("Status"),
            _("Target group"),
            _("Target beneficiaries"),
            _("Target kelurahan"),
            _("Start"),
            _("End"),
            _("Budget (Rp)"),
            _("Realisation (Rp)"),
        ],
        BOLD,
    )
    funding = Sheet(book, _("Funding"))
    funding.write_row(0, 0, [_("Programme"), _("Source"), _("Amount (Rp)")], BOLD)
    activities = Sheet(book, _("Activities"))
    activities.write_row(
        0,
        0,
        [
            _("Programme"),
            _("Kode rekening"),
            _("Level"),
            _("Activity"),
            _("OPD"),
            _("Output"),
            _("Unit"),
            _("Volume target"),
            _("Location"),
            _("Physical progress (%)"),
            _("Budget (Rp)"),
            _("Realisation (Rp)"),
        ],
        BOLD,
    )
    row = frow = arow = 1
    for s in reg.strategies:
        for pr in s.programmes:
            r, f = pr.record, pr.fields
            programmes.write_row(
                row,
                0,
                [
                    s.strategy.code,
                    r.code,
                    r.programme.name,
                    r.programme.get_kind_display(),
                    f["lead_opd"],
                    ", ".join(sorted(o.code for o in r.partner_opds.all())),
                    f["status"],
                    f["target_group"],
                    f["target_beneficiaries"],
                    ", ".join(f["target_kelurahan"]),
                    r.programme.start,
                    f["end"],
                    pr.money.budget,
                    pr.money.realised,
                ],
            )
            row += 1
            for source, amount in sorted(pr.funding.items()):
                funding.write_row(frow, 0, [r.code, source, amount])
                frow += 1
            for a in pr.activities:
                act = a.activity
                activities.write_row(
                    arow,
                    0,
                    [
                        r.code,
                        act.code,
                        act.get_level_display(),
                        act.name,
                        act.opd.code,
                        a.fields["output"],
                        a.fields["unit"],
                        a.fields["volume_target"],
                        a.fields["location"],
                        a.physical,
                        a.money.budget,
                        a.money.realised,
                    ],
                )
                arow += 1
    book.close()
    return out.getvalue()
