"""Payment files and cash lists of a cycle, rendered from plain rows: no model, no query, no settings.

:mod:`entas.programs.files` reads the rows of a cycle from the database and calls these; tests call
them with hand-made rows. Three documents:

* an ISO 20022 **pain.001.001.09** credit-transfer initiation (one payment information block, the
  envelope's control totals computed from the rows), validated against the official XSD before it
  is returned;
* a **bank CSV** for a bank's bulk-upload screen, its column layout configurable;
* the **cash list** for PT Pos or the kelurahan, as XLSX or as a PDF to print and sign.

CSV and XLSX are written through :mod:`entas.core.spreadsheet`: a payee named ``=HYPERLINK(…)`` stays
text in a spreadsheet.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import IO, Any, TypedDict

from django.utils.translation import gettext as _
from lxml import etree

from entas.core.documents import Section, table_pdf
from entas.core.errors import Refused
from entas.core.money import rupiah_digits
from entas.core.spreadsheet import CsvWriter, Sheet, workbook

NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
CSV_COLUMNS = [
    "reference",
    "bank_code",
    "bank_name",
    "account_number",
    "account_holder",
    "amount",
    "currency",
    "kk_number",
    "kelurahan",
    "description",
]
CASH_COLUMNS = ["No", "Referensi", "Nomor KK", "Penerima", "RT", "Alamat", "Jumlah (Rp)", "Tanda tangan", "Tanggal"]


class Transfer(TypedDict):
    """One payment to a bank account."""

    reference: str  # the payment's reference: EndToEndId in pain.001, matched again on reconciliation
    amount: int  # whole rupiah
    bank_code: str  # the payee's bank: its three-digit sandi bank (entas.payees.banks)
    bank_name: str
    account_number: str
    account_holder: str
    kk_number: str
    kelurahan: str  # its name


class CashRow(TypedDict):
    """One payment paid out in cash, to the named recipient of a household."""

    reference: str
    amount: int
    household: int
    kk_number: str
    kelurahan: str  # its name; rows come grouped by kelurahan
    rt: str
    address: str
    recipient: str


@dataclass(frozen=True)
class Envelope:
    """What a pain.001 file says about itself and the payer."""

    message_id: str  # GrpHdr/MsgId: unique per file; a pain.002 answer quotes it
    payment_id: str  # PmtInf/PmtInfId
    created: dt.datetime  # aware
    execution_date: dt.date  # requested execution date
    debtor_name: str  # the paying institution
    debtor_account: str
    remittance: str  # what the payee's statement shows (programme and period)
    debtor_bank_code: str = ""  # the paying account's bank (sandi bank), when set
    debtor_bank_name: str = ""


# Characters XML 1.0 cannot carry (C0 controls but tab, LF and CR; lone surrogates; U+FFFE/U+FFFF):
# a NUL in a stored name must not make the file impossible to write.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: str, limit: int = 140) -> str:
    """``value`` as ISO 20022 text: characters XML cannot carry and runs of white space made one
    space, at most ``limit`` characters (Max140Text)."""
    return " ".join(_NOT_XML.sub(" ", value).split())[:limit]


def pain001(envelope: Envelope, transfers: Sequence[Transfer]) -> bytes:
    """``transfers`` as one pain.001.001.09 credit-transfer initiation, XSD-validated; NbOfTxs and
    CtrlSum are those of the transfers in the file. Refused when there is none."""
    if not transfers:
        raise Refused(_("No payment of this cycle has a payee account number."))
    count, total = len(transfers), sum(t["amount"] for t in transfers)

    def el(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
        node = etree.SubElement(parent, f"{{{NS}}}{tag}", **attrs)
        if text is not None:
            node.text = text
        return node

    payer = _xml_text(envelope.debtor_name)
    document = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    root = el(document, "CstmrCdtTrfInitn")
    header = el(root, "GrpHdr")
    el(header, "MsgId", envelope.message_id)
    el(header, "CreDtTm", envelope.created.replace(microsecond=0).isoformat())
    el(header, "NbOfTxs", str(count))
    el(header, "CtrlSum", f"{total}")
    el(el(header, "InitgPty"), "Nm", payer)
    info = el(root, "PmtInf")
    el(info, "PmtInfId", envelope.payment_id)
    el(info, "PmtMtd", "TRF")
    el(info, "NbOfTxs", str(count))
    el(info, "CtrlSum", f"{total}")
    el(el(info, "ReqdExctnDt"), "Dt", envelope.execution_date.isoformat())
    el(el(info, "Dbtr"), "Nm", payer)
    el(el(el(el(info, "DbtrAcct"), "Id"), "Othr"), "Id", _xml_text(envelope.debtor_account, 34))
    el(info, "DbtrAgt").append(_agent(envelope.debtor_bank_code, envelope.debtor_bank_name))
    remittance = _xml_text(envelope.remittance)
    for transfer in transfers:
        tx = el(info, "CdtTrfTxInf")
        el(el(tx, "PmtId"), "EndToEndId", transfer["reference"])
        el(el(tx, "Amt"), "InstdAmt", str(transfer["amount"]), Ccy="IDR")
        el(tx, "CdtrAgt").append(_agent(transfer["bank_code"], transfer["bank_name"]))
        el(el(tx, "Cdtr"), "Nm", _xml_text(transfer["account_holder"]) or f"KK {transfer['kk_number']}")
        el(el(el(el(tx, "CdtrAcct"), "Id"), "Othr"), "Id", _xml_text(transfer["account_number"], 34))
        el(el(tx, "RmtInf"), "Ustrd", remittance)
    xml: bytes = etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate_pain001(xml)
    return xml


def _agent(bank_code: str, bank_name: str) -> Any:
    """A bank as pain.001 names it (FinInstnId): Indonesian banks have no BIC in a bulk file, so the
    bank is identified by its three-digit sandi bank from Bank Indonesia (Othr/Id, issuer "BI") with
    its name; ``NOTPROVIDED`` when the code is not known (the paying account set without a bank)."""
    institution = etree.Element(f"{{{NS}}}FinInstnId")
    if bank_name:
        etree.SubElement(institution, f"{{{NS}}}Nm").text = _xml_text(bank_name, 140)
    other = etree.SubElement(institution, f"{{{NS}}}Othr")
    etree.SubElement(other, f"{{{NS}}}Id").text = _xml_text(bank_code) or "NOTPROVIDED"
    if bank_code:
        etree.SubElement(other, f"{{{NS}}}Issr").text = "BI"
    return institution


def _schema_path() -> Path:
    import sepaxml

    return Path(sepaxml.__file__).resolve().parent / "schemas" / "pain.001.001.09.xsd"


@functools.cache
def _schema() -> Any:
    return etree.XMLSchema(etree.parse(str(_schema_path())))


def validate_pain001(xml: bytes) -> None:
    """Refuse unless ``xml`` is valid against the official pain.001.001.09 schema (libxml2:
    streaming-fast and without element limits, so a 300,000-payment file validates in seconds)."""
    schema = _schema()
    try:
        document = etree.fromstring(xml, parser=etree.XMLParser(huge_tree=True, resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise Refused(_("The payment file does not match the pain.001 schema: %(error)s") % {"error": exc}) from exc
    if not schema.validate(document):
        error = schema.error_log.last_error
        raise Refused(_("The payment file does not match the pain.001 schema: %(error)s") % {"error": error})


def check_csv_columns(columns: Sequence[str]) -> None:
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        raise Refused(_("Unknown CSV column(s): %(columns)s.") % {"columns": ", ".join(unknown)}, code="invalid")


def bank_csv(
    transfers: Sequence[Transfer], *, description: str, columns: Sequence[str] | None = None, delimiter: str = ","
) -> bytes:
    """``transfers`` as CSV for a bank's bulk-upload screen, in ``columns`` (default CSV_COLUMNS);
    ``description`` is the text of every transfer (programme and period)."""
    columns = list(columns or CSV_COLUMNS)
    check_csv_columns(columns)
    out = io.StringIO()
    writer = CsvWriter(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for transfer in transfers:
        values: dict[str, Any] = {**transfer, "currency": "IDR", "description": description}
        writer.writerow([values[c] for c in columns])
    return out.getvalue().encode("utf-8")


def cash_list_xlsx(rows: Sequence[CashRow], out: Path | IO[bytes], *, programme: str, period: str) -> int:
    """The cash list as XLSX with signature columns, one sheet for the city, by kelurahan and RT.
    Returns the number of rows."""
    bold = {"bold": True}
    book = workbook(out)
    sheet = Sheet(book, "daftar bayar")
    sheet.write(0, 0, f"{programme} - {period}", bold)
    sheet.write_row(2, 0, ["Kelurahan", *CASH_COLUMNS], bold)
    for number, r in enumerate(rows, start=1):
        cells = [r["kelurahan"], number, r["reference"], r["kk_number"], r["recipient"], r["rt"], r["address"]]
        sheet.write_row(2 + number, 0, [*cells, r["amount"]])
    sheet.set_column(0, 6, 20)
    sheet.set_column(8, 8, 28)
    book.close()
    return len(rows)


def cash_list_pdf(
    rows: Sequence[CashRow],
    out: Path | IO[bytes],
    *,
    programme: str,
    period: str,
    footer: str,
    progress: Callable[[int], object] | None = None,
) -> int:
    """The cash list as PDF to print and sign: one section per kelurahan starting on a new page, a
    signature and a date column per recipient, the kelurahan's count and total, and signature blocks
    for the paying officer and the lurah. Always in Indonesian: it is a document for the kelurahan.
    Returns the number of rows."""
    sections = []
    for kelurahan, group in groupby(rows, key=lambda r: r["kelurahan"]):
        items = list(group)
        total = sum(r["amount"] for r in items)
        sections.append(
            Section(
                heading=f"Kelurahan {kelurahan}",
                rows=[
                    [
                        n,
                        r["reference"],
                        r["kk_number"],
                        r["recipient"][:40],
                        r["rt"],
                        r["address"][:45],
                        rupiah(r["amount"]),
                        "",
                        "",
                    ]
                    for n, r in enumerate(items, start=1)
                ],
                summary=f"Jumlah penerima: {len(items)} KK - Total: Rp {rupiah(total)}",
                signatures=["Petugas bayar", "", f"Lurah {kelurahan}"],
            )
        )
    table_pdf(
        out,
        title=f"Daftar Pembayaran Tunai - {programme} - {period}",
        columns=CASH_COLUMNS,
        widths_mm=[10, 42, 38, 50, 10, 55, 25, 35, 20],
        sections=sections,
        empty="Tidak ada pembayaran siklus ini yang menunggu pembayaran tunai.",
        right_aligned=[6],
        row_height_mm=9,
        footer=footer,
        progress=progress,
    )
    return len(rows)


def rupiah(value: int) -> str:
    """1234567 -> 1.234.567: a printed cash list is an Indonesian document, whatever the screen's language."""
    return rupiah_digits(value, "id")
