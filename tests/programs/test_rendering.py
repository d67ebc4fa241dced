"""Payment files and cash lists rendered from plain rows (issue #14): no database. The pain.001 output
is checked against the official XSD; the database side (files.py) is covered by test_cycles.py."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import pytest
from lxml import etree

from entas.core.errors import Refused
from entas.programs import rendering
from entas.programs.rendering import CashRow, Envelope, Transfer
from tests.helpers import pdf_text

ENVELOPE = Envelope(
    message_id="ENTAS-C7-20261201090000",
    payment_id="ENTAS-C7",
    created=dt.datetime(2026, 12, 1, 9, 0, 0, 123456, tzinfo=dt.UTC),
    execution_date=dt.date(2026, 12, 1),
    debtor_name="Pemerintah Kota Balikpapan",
    debtor_account="9876543210",
    remittance="BLT uji 2026-12",
)


def transfer(n: int, **values: object) -> Transfer:
    row: Transfer = {
        "reference": f"ENTAS-7-{n:06d}",
        "amount": 300_000 + 50_000 * n,
        "bank_code": "014",
        "bank_name": "Bank Central Asia (BCA)",
        "account_number": f"00123456{n:02d}",
        "account_holder": f"Penerima Sintetis {n}",
        "kk_number": f"64710101012000{n:02d}",
        "kelurahan": "Manggar",
    }
    return {**row, **values}  # type: ignore[typeddict-item]


def find(xml: bytes, path: str) -> list[str]:
    ns = {"p": rendering.NS}
    return [node.text for node in etree.fromstring(xml).iterfind(path, ns)]


def test_a_pain001_is_rendered_from_plain_rows_and_valid_against_the_official_schema() -> None:
    rows = [transfer(1), transfer(2), transfer(3, account_holder="Budi & <Siti>")]
    xml = rendering.pain001(ENVELOPE, rows)
    rendering.validate_pain001(xml)
    assert find(xml, "p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs") == ["3"]
    assert find(xml, "p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum") == [str(sum(r["amount"] for r in rows))]
    assert find(xml, "p:CstmrCdtTrfInitn/p:PmtInf/p:CtrlSum") == [str(sum(r["amount"] for r in rows))]
    assert find(xml, "p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId") == ["ENTAS-C7-20261201090000"]
    assert find(xml, "p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm") == ["2026-12-01T09:00:00+00:00"]
    assert find(xml, ".//p:EndToEndId") == [r["reference"] for r in rows]
    assert find(xml, ".//p:Cdtr/p:Nm") == ["Penerima Sintetis 1", "Penerima Sintetis 2", "Budi & <Siti>"]
    assert find(xml, ".//p:RmtInf/p:Ustrd") == ["BLT uji 2026-12"] * 3
    # Each payee's bank by its sandi bank (a multi-bank file says where each transfer goes); the
    # paying bank is not known to this envelope: NOTPROVIDED.
    assert find(xml, ".//p:CdtrAgt/p:FinInstnId/p:Othr/p:Id") == ["014"] * 3
    assert find(xml, ".//p:CdtrAgt/p:FinInstnId/p:Othr/p:Issr") == ["BI"] * 3
    assert find(xml, ".//p:CdtrAgt/p:FinInstnId/p:Nm") == ["Bank Central Asia (BCA)"] * 3
    assert find(xml, ".//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id") == ["NOTPROVIDED"]


def test_the_paying_bank_and_each_payees_bank_are_named_when_known() -> None:
    envelope = dataclasses.replace(ENVELOPE, debtor_bank_code="124", debtor_bank_name="Bank Kaltimtara")
    xml = rendering.pain001(envelope, [transfer(1), transfer(2, bank_code="002", bank_name="BRI")])
    rendering.validate_pain001(xml)
    assert find(xml, ".//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id") == ["124"]
    assert find(xml, ".//p:DbtrAgt/p:FinInstnId/p:Nm") == ["Bank Kaltimtara"]
    assert find(xml, ".//p:CdtrAgt/p:FinInstnId/p:Othr/p:Id") == ["014", "002"]


def test_a_payee_name_is_made_text_the_file_can_carry() -> None:
    """A NUL or another control character in a stored name must not make the file impossible to write;
    names are cut at 140 characters (Max140Text); a name of nothing but those falls back to the KK."""
    rows = [
        transfer(1, account_holder="Budi\x00Sintetis\x1f  Kedua"),
        transfer(2, account_holder="A" * 200),
        transfer(3, account_holder="\x00\x01"),
    ]
    xml = rendering.pain001(ENVELOPE, rows)
    assert find(xml, ".//p:Cdtr/p:Nm") == ["Budi Sintetis Kedua", "A" * 140, "KK 6471010101200003"]


def test_a_file_without_a_payment_is_refused() -> None:
    with pytest.raises(Refused, match="No payment"):
        rendering.pain001(ENVELOPE, [])


def test_a_file_the_schema_rejects_is_refused() -> None:
    with pytest.raises(Refused, match="schema"):
        rendering.pain001(ENVELOPE, [transfer(1, account_number="")])  # an account Id may not be empty


def test_the_bank_csv_has_the_chosen_columns_and_inert_text() -> None:
    rows = [transfer(1), transfer(2, account_holder='=HYPERLINK("http://evil.example")')]
    content = rendering.bank_csv(rows, description="BLT uji 2026-12", columns=["reference", "amount", "account_holder"])
    parsed = list(csv.reader(io.StringIO(content.decode())))
    assert parsed == [
        ["reference", "amount", "account_holder"],
        ["ENTAS-7-000001", "350000", "Penerima Sintetis 1"],
        ["ENTAS-7-000002", "400000", '\'=HYPERLINK("http://evil.example")'],
    ]
    default = list(
        csv.DictReader(io.StringIO(rendering.bank_csv(rows, description="BLT", delimiter=";").decode()), delimiter=";")
    )
    assert default[0] == {**{k: str(v) for k, v in rows[0].items()}, "currency": "IDR", "description": "BLT"}
    with pytest.raises(Refused, match="Unknown CSV column"):
        rendering.bank_csv(rows, description="BLT", columns=["reference", "password"])


def cash_row(n: int, kelurahan: str) -> CashRow:
    return {
        "reference": f"ENTAS-7-{n:06d}",
        "amount": 300_000,
        "household": n,
        "kk_number": f"64710101012000{n:02d}",
        "kelurahan": kelurahan,
        "rt": "001",
        "address": "Jl. Uji Coba",
        "recipient": f"Penerima Sintetis {n}",
    }


def test_the_cash_lists_render_from_plain_rows() -> None:
    from python_calamine import CalamineWorkbook

    rows = [cash_row(1, "Manggar"), cash_row(2, "Manggar"), cash_row(3, "Damai")]
    out = io.BytesIO()
    assert rendering.cash_list_xlsx(rows, out, programme="BLT uji", period="2026-12") == 3
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0).to_python()
    assert sheet[0][0] == "BLT uji - 2026-12" and "Tanda tangan" in sheet[2] and len(sheet) == 3 + len(rows)
    assert sheet[3][:3] == ["Manggar", 1, "ENTAS-7-000001"] and sheet[3][7] == 300_000  # amounts stay numbers

    pdf = io.BytesIO()
    assert rendering.cash_list_pdf(rows, pdf, programme="BLT uji", period="2026-12", footer="entas - siklus 7") == 3
    text = pdf_text(pdf.getvalue())
    assert "(Kelurahan Manggar)" in text and "(Kelurahan Damai)" in text
    assert "(Jumlah penerima: 2 KK - Total: Rp 600.000)" in text and "(Lurah Damai)" in text


def test_rupiah_uses_the_indonesian_thousands_separator() -> None:
    assert rendering.rupiah(1_234_567) == "1.234.567"
    assert rendering.rupiah(300_000) == "300.000"
