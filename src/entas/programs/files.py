"""Payment files of a disbursed cycle: ISO 20022 pain.001.001.09 (validated against the official XSD
before it is offered), a bank bulk-upload CSV, and a cash list for PT Pos or the kelurahan (XLSX and
PDF); and the bank's result file (CSV or pain.002) read for reconciliation."""

from __future__ import annotations

import codecs
import csv
import functools
import io
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from entas.core import uploads
from entas.core.errors import Refused

from .models import Cycle, Payment

NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
CSV_COLUMNS = [
    "reference",
    "account_number",
    "account_holder",
    "amount",
    "currency",
    "kk_number",
    "kelurahan",
    "description",
]


def _schema_path() -> Path:
    import sepaxml

    return Path(sepaxml.__file__).resolve().parent / "schemas" / "pain.001.001.09.xsd"


def payable(cycle: Cycle) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(payments to send, payments left out because the payee has no account number). Two queries."""
    accounts = {
        household: (number, holder)
        for household, number, holder in cycle.programme.enrolments.values_list(
            "household_id", "account_number", "account_holder"
        )
    }
    rows = (
        Payment.objects.filter(entitlement__cycle=cycle, status=Payment.Status.SENT)
        .order_by("pk")
        .values_list(
            "reference",
            "amount",
            "entitlement__household_id",
            "entitlement__household__kk_number",
            "entitlement__household__kelurahan__name",
        )
    )
    send: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    for reference, amount, household, kk, kelurahan in rows:
        number, holder = accounts.get(household, ("", ""))
        row = {
            "reference": reference,
            "amount": amount,
            "kk_number": kk,
            "kelurahan": kelurahan,
            "account_number": number,
            "account_holder": holder or f"KK {kk}",
        }
        (send if number else missing).append(row)
    return send, missing


def pain001(cycle: Cycle) -> bytes:
    """The cycle's sent payments as one pain.001.001.09 credit-transfer initiation, XSD-validated;
    NbOfTxs and CtrlSum are those of the payments in the file."""
    if cycle.state != Cycle.State.DISBURSED:
        raise Refused(_("Payment files are produced for a disbursed cycle."))
    payer_account = getattr(settings, "ENTAS_PAYER_ACCOUNT", "")
    if not payer_account:
        raise Refused(_("Set ENTAS_PAYER_ACCOUNT (the city's paying account) to produce pain.001 files."))
    send, _missing = payable(cycle)
    if not send:
        raise Refused(_("No payment of this cycle has a payee account number."))
    count, total = len(send), sum(r["amount"] for r in send)

    def el(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
        node = etree.SubElement(parent, f"{{{NS}}}{tag}", **attrs)
        if text is not None:
            node.text = text
        return node

    document = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    root = el(document, "CstmrCdtTrfInitn")
    header = el(root, "GrpHdr")
    el(header, "MsgId", f"ENTAS-C{cycle.pk}-{timezone.now():%Y%m%d%H%M%S}")
    el(header, "CreDtTm", timezone.now().replace(microsecond=0).isoformat())
    el(header, "NbOfTxs", str(count))
    el(header, "CtrlSum", f"{total}")
    el(el(header, "InitgPty"), "Nm", settings.ENTAS_PAYER_NAME[:140])
    info = el(root, "PmtInf")
    el(info, "PmtInfId", f"ENTAS-C{cycle.pk}")
    el(info, "PmtMtd", "TRF")
    el(info, "NbOfTxs", str(count))
    el(info, "CtrlSum", f"{total}")
    el(el(info, "ReqdExctnDt"), "Dt", timezone.localdate().isoformat())
    el(el(info, "Dbtr"), "Nm", settings.ENTAS_PAYER_NAME[:140])
    el(el(el(el(info, "DbtrAcct"), "Id"), "Othr"), "Id", payer_account)
    el(el(el(el(info, "DbtrAgt"), "FinInstnId"), "Othr"), "Id", "NOTPROVIDED")
    for row in send:
        tx = el(info, "CdtTrfTxInf")
        el(el(tx, "PmtId"), "EndToEndId", row["reference"])
        el(el(tx, "Amt"), "InstdAmt", str(row["amount"]), Ccy="IDR")
        el(el(tx, "Cdtr"), "Nm", row["account_holder"][:140])
        el(el(el(el(tx, "CdtrAcct"), "Id"), "Othr"), "Id", row["account_number"])
        el(el(tx, "RmtInf"), "Ustrd", f"{cycle.programme.name} {cycle.period}"[:140])
    xml: bytes = etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate_pain001(xml)
    return xml


@functools.cache
def _schema() -> Any:
    return etree.XMLSchema(etree.parse(str(_schema_path())))


def validate_pain001(xml: bytes) -> None:
    """Refuse unless ``xml`` is valid against the official pain.001.001.09 schema (libxml2:
    streaming-fast and without element limits, so a 300,000-payment file validates in seconds)."""
    schema = _schema()
    try:
        document = etree.fromstring(xml, parser=etree.XMLParser(huge_tree=True))
    except etree.XMLSyntaxError as exc:
        raise Refused(_("The payment file does not match the pain.001 schema: %(error)s") % {"error": exc}) from exc
    if not schema.validate(document):
        error = schema.error_log.last_error
        raise Refused(_("The payment file does not match the pain.001 schema: %(error)s") % {"error": error})


def bank_csv(cycle: Cycle, columns: list[str] | None = None, delimiter: str = ",") -> bytes:
    """The sent payments as CSV for a bank's bulk-upload screen; the column layout is configurable."""
    columns = columns or CSV_COLUMNS
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        raise Refused(_("Unknown CSV column(s): %(columns)s.") % {"columns": ", ".join(unknown)}, code="invalid")
    send, _missing = payable(cycle)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for row in send:
        values = {**row, "currency": "IDR", "description": f"{cycle.programme.name} {cycle.period}"}
        writer.writerow([values[c] for c in columns])
    return out.getvalue().encode("utf-8")


CASH_COLUMNS = ["No", "Referensi", "Nomor KK", "Penerima", "RT", "Alamat", "Jumlah (Rp)", "Tanda tangan", "Tanggal"]


def cash_rows(cycle: Cycle) -> list[dict[str, Any]]:
    """The cycle's sent payments for cash pay-out (PT Pos or the kelurahan), by kelurahan, RT and
    household: the recipient is the membership's named payee, else the head of the family. Three queries."""
    from entas.registry.choices import Relationship
    from entas.registry.models import Member

    rows: list[dict[str, Any]] = [
        dict(row)
        for row in Payment.objects.filter(entitlement__cycle=cycle, status=Payment.Status.SENT)
        .order_by("entitlement__household__kelurahan__code", "entitlement__household__rt", "pk")
        .values(
            "reference",
            "amount",
            household=F("entitlement__household_id"),
            kk_number=F("entitlement__household__kk_number"),
            kelurahan=F("entitlement__household__kelurahan__name"),
            rt=F("entitlement__household__rt"),
            address=F("entitlement__household__address"),
        )
    ]
    payees = dict(cycle.programme.enrolments.exclude(account_holder="").values_list("household_id", "account_holder"))
    heads = dict(
        Member.objects.filter(
            household__entitlements__cycle=cycle, relationship=Relationship.HEAD, exited_on__isnull=True
        ).values_list("household_id", "name")
    )
    for row in rows:
        row["recipient"] = payees.get(row["household"]) or heads.get(row["household"], "")
    return rows


def cash_list_xlsx(cycle: Cycle, out: Path) -> int:
    """The cash list as XLSX with signature columns, one sheet for the city, by kelurahan and RT."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(out))
    bold = workbook.add_format({"bold": True})
    sheet = workbook.add_worksheet("daftar bayar")
    sheet.write(0, 0, f"{cycle.programme.name} - {cycle.period}", bold)
    sheet.write_row(2, 0, ["Kelurahan", *CASH_COLUMNS], bold)
    rows = cash_rows(cycle)
    for number, r in enumerate(rows, start=1):
        sheet.write_row(
            2 + number,
            0,
            [
                r["kelurahan"],
                number,
                r["reference"],
                r["kk_number"],
                r["recipient"],
                r["rt"],
                r["address"],
                r["amount"],
            ],
        )
    sheet.set_column(0, 6, 20)
    sheet.set_column(8, 8, 28)
    workbook.close()
    return len(rows)


def cash_list_pdf(cycle: Cycle, out: Path) -> int:
    """The cash list as PDF to print and sign: one section per kelurahan starting on a new page, a
    signature and a date column per recipient, the kelurahan's count and total, and signature blocks
    for the paying officer and the lurah. Always in Indonesian: it is a document for the kelurahan."""
    from itertools import groupby

    from entas.core.documents import Section, table_pdf

    rows = cash_rows(cycle)
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
        title=f"Daftar Pembayaran Tunai - {cycle.programme.name} - {cycle.period}",
        columns=CASH_COLUMNS,
        widths_mm=[10, 42, 38, 50, 10, 55, 25, 35, 20],
        sections=sections,
        empty="Tidak ada pembayaran siklus ini yang menunggu pembayaran tunai.",
        right_aligned=[6],
        row_height_mm=9,
        footer=f"entas - siklus {cycle.pk}",
    )
    return len(rows)


def rupiah(value: int) -> str:
    """1234567 -> 1.234.567 (Indonesian thousands separator)."""
    return f"{value:,}".replace(",", ".")


# pain.002 transaction statuses (ISO 20022 ExternalPaymentTransactionStatus1Code): settled is paid,
# rejected is failed; every other code (received, accepted for processing, pending…) is not final and
# leaves the payment as sent.
PAID_CODES = {"ACSC", "ACCC"}
FAILED_CODES = {"RJCT"}


def read_results(path: Path, cycle: Cycle, name: str | None = None) -> list[dict[str, Any]]:
    """The bank's result file as rows (line, reference, status paid|failed|pending, reason): a pain.002
    customer payment status report (any version; read by element name) or a CSV with the columns
    reference,status,reason. A file that is neither, a CSV without those columns, or a status report
    for another cycle's payment file is refused with the reason, and nothing is marked.

    The file comes from outside (the bank, through a user), so it is read as hostile: within the size
    and row limits of :mod:`entas.core.uploads`, a CSV in whatever encoding it has (or a clear
    refusal), XML without a DTD, entities or network access and streamed (a transaction's elements
    are dropped once read, so memory does not grow with the file)."""
    name = name or path.name
    if not path.is_file():
        raise Refused(_("The result file %(path)s does not exist.") % {"path": name})
    uploads.check_size(path.stat().st_size, name)
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _pain002(path, cycle, name)
    with uploads.csv_dict_rows(path, name=name) as (header, rows):
        missing = {"reference", "status"} - set(header)
        if missing:
            raise Refused(
                _("The result file lacks the column(s) %(columns)s (expected reference,status,reason).")
                % {"columns": ", ".join(sorted(missing))}
            )
        return [{"line": line, **row} for line, row in rows]


def _local(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _pain002(path: Path, cycle: Cycle, name: str) -> list[dict[str, Any]]:
    uploads.refuse_doctype(uploads.file_chunks(path), name)

    def find(node: Any, tag: str) -> Any:
        return node.find(f".//{{*}}{tag}")

    def text(node: Any, tag: str) -> str:
        found = find(node, tag)
        return (found.text or "").strip() if found is not None else ""

    def reason(node: Any) -> str:
        info = find(node, "StsRsnInf")
        if info is None:
            return ""
        return " ".join(filter(None, [text(info, "Cd") or text(info, "Prtry"), text(info, "AddtlInf")]))[:200]

    rows: list[dict[str, Any]] = []
    report = None
    events = etree.iterparse(
        str(path), events=("end",), resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False
    )
    try:
        for _event, element in events:
            local = _local(element)
            if local == "TxInfAndSts":
                if any(_local(a) == "CstmrPmtStsRpt" for a in element.iterancestors()):
                    code = text(element, "TxSts")
                    status = "paid" if code in PAID_CODES else "failed" if code in FAILED_CODES else "pending"
                    rows.append(
                        {
                            "line": element.sourceline,
                            "reference": text(element, "OrgnlEndToEndId"),
                            "status": status,
                            "reason": reason(element) or ("" if status != "pending" else code),
                        }
                    )
                # Read: drop it, so the tree holds no more than one transaction at a time.
                parent = element.getparent()
                element.clear()
                if parent is not None:
                    parent.remove(element)
            elif local == "CstmrPmtStsRpt" and report is None:
                report = element
    except etree.XMLSyntaxError as exc:
        raise Refused(_("The result file is not readable XML: %(error)s") % {"error": exc}) from exc
    if report is None:
        raise Refused(_("The XML file is not a pain.002 payment status report."))
    original = text(report, "OrgnlMsgId")
    if original.startswith("ENTAS-C") and not original.startswith(f"ENTAS-C{cycle.pk}-"):
        raise Refused(
            _("This status report answers payment file %(msg)s, which is not a file of cycle %(cycle)s.")
            % {"msg": original, "cycle": cycle.pk}
        )
    if not rows:
        status = text(report, "GrpSts") or text(report, "PmtInfSts")
        if status in FAILED_CODES:
            raise Refused(
                _(
                    "The bank rejected the whole payment file (%(reason)s); no payment was made. Correct the "
                    "cause and send the file again."
                )
                % {"reason": reason(report) or status}
            )
        raise Refused(_("The status report lists no payment (group status %(status)s).") % {"status": status or "-"})
    return rows
