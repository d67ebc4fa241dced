"""Payment files of a disbursed cycle: ISO 20022 pain.001.001.09 (validated against the official XSD
before it is offered), a bank bulk-upload CSV, and a cash list for PT Pos or the kelurahan (XLSX and
PDF); and the bank's result file (CSV or pain.002) read for reconciliation.

The functions here read a cycle's rows from the database (two or three queries) and hand them to the
pure renderers of :mod:`entas.programs.rendering`, which query nothing."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from entas.core import uploads
from entas.core.errors import Refused
from entas.payees import banks
from entas.payees import rules as payee_rules
from entas.payees import selectors as payees
from entas.payees.models import Payee

from . import readiness, rendering
from .models import Cycle, Payment
from .rendering import CASH_COLUMNS, CSV_COLUMNS, CashRow, Envelope, Transfer, rupiah, validate_pain001

__all__ = [
    "CASH_COLUMNS",
    "CSV_COLUMNS",
    "bank_csv",
    "cash_list_pdf",
    "cash_list_xlsx",
    "cash_rows",
    "ensure_ready",
    "envelope",
    "missing_for",
    "pain001",
    "payable",
    "read_results",
    "rupiah",
    "split_payable",
    "validate_pain001",
]


@dataclass
class Payable:
    """A cycle's payments to send, split by the state of the household's bank account."""

    send: list[Transfer] = field(default_factory=list)  # a valid account: in the bank file
    missing: list[Transfer] = field(default_factory=list)  # no account
    invalid: list[Transfer] = field(default_factory=list)  # an account the bank's rules refuse


def _account_ok(payee: Payee) -> bool:
    verdict = payee_rules.check_account(
        payee_rules.AccountFacts(
            bank_code=payee.bank_code,
            bank=banks.bank(payee.bank_code),
            account_number=payee.account_number,
            account_holder=payee.account_holder,
        )
    )
    return verdict.ok


def split_payable(cycle: Cycle) -> Payable:
    """The cycle's sent payments, split by their households' accounts (two queries)."""
    rows = list(
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
    accounts = payees.accounts_of({row[2] for row in rows})
    out = Payable()
    for reference, amount, household, kk, kelurahan in rows:
        payee = accounts.get(household)
        bank = banks.bank(payee.bank_code) if payee else None
        row: Transfer = {
            "reference": reference,
            "amount": amount,
            "bank_code": payee.bank_code if payee else "",
            "bank_name": bank.name if bank else "",
            "kk_number": kk,
            "kelurahan": kelurahan,
            "account_number": payee.account_number if payee else "",
            "account_holder": (payee.account_holder if payee else "") or f"KK {kk}",
        }
        if payee is None:
            out.missing.append(row)
        elif not _account_ok(payee):
            out.invalid.append(row)
        else:
            out.send.append(row)
    return out


def payable(cycle: Cycle) -> tuple[list[Transfer], list[Transfer]]:
    """(payments to send, payments that cannot be sent: no account, or one the bank's rules refuse)."""
    split = split_payable(cycle)
    return split.send, split.missing + split.invalid


def export_facts(cycle: Cycle, fmt: str) -> readiness.ExportFacts:
    split = split_payable(cycle)
    return readiness.ExportFacts(
        fmt=fmt,
        payments=len(split.send) + len(split.missing) + len(split.invalid),
        payer_account=payees.paying_account().account_number,
        without_account=len(split.missing),
        invalid_accounts=len(split.invalid),
    )


def missing_for(cycle: Cycle, formats: list[str]) -> dict[str, list[readiness.Missing]]:
    """What stops each of ``formats`` (an empty list: the file can be made); the accounts are read once."""
    split = split_payable(cycle)
    payer = payees.paying_account().account_number
    total = len(split.send) + len(split.missing) + len(split.invalid)
    return {
        fmt: readiness.missing(readiness.ExportFacts(fmt, total, payer, len(split.missing), len(split.invalid)))
        for fmt in formats
    }


def ensure_ready(cycle: Cycle, fmt: str) -> None:
    """Refuse, saying everything that is missing, before a file is written that could not be right."""
    if cycle.state not in {Cycle.State.DISBURSED, Cycle.State.RECONCILED, Cycle.State.CLOSED}:
        raise Refused(_("Payment files are produced for a disbursed cycle."))
    reasons = readiness.missing(export_facts(cycle, fmt))
    if reasons:
        raise Refused.listing([r.message for r in reasons], code="refused")


def _description(cycle: Cycle) -> str:
    return f"{cycle.programme.name} {cycle.period}"


def envelope(cycle: Cycle) -> Envelope:
    """The pain.001 envelope of the cycle's file written now, the payer from the settings."""
    now = timezone.now()
    payer = payees.paying_account()
    payer_bank = banks.bank(payer.bank_code) if payer.bank_code else None
    return Envelope(
        message_id=f"ENTAS-C{cycle.pk}-{now:%Y%m%d%H%M%S}",
        payment_id=f"ENTAS-C{cycle.pk}",
        created=now,
        execution_date=timezone.localdate(),
        debtor_name=payer.name,
        debtor_account=payer.account_number,
        remittance=_description(cycle),
        debtor_bank_code=payer.bank_code,
        debtor_bank_name=payer_bank.name if payer_bank else "",
    )


def pain001(cycle: Cycle) -> bytes:
    """The cycle's sent payments as one pain.001.001.09 credit-transfer initiation, XSD-validated;
    NbOfTxs and CtrlSum are those of the payments in the file."""
    ensure_ready(cycle, "pain001")
    head = envelope(cycle)
    send, _missing = payable(cycle)
    return rendering.pain001(head, send)


def bank_csv(cycle: Cycle, columns: list[str] | None = None, delimiter: str = ",") -> bytes:
    """The sent payments as CSV for a bank's bulk-upload screen; the column layout is configurable."""
    rendering.check_csv_columns(columns or CSV_COLUMNS)
    ensure_ready(cycle, "csv")
    send, _missing = payable(cycle)
    return rendering.bank_csv(send, description=_description(cycle), columns=columns, delimiter=delimiter)


def cash_rows(cycle: Cycle) -> list[CashRow]:
    """The cycle's sent payments for cash pay-out (PT Pos or the kelurahan), by kelurahan, RT and
    household: the recipient is the named payee (a member, else the account's holder), else the head of
    the family. Four queries."""
    from entas.registry.choices import Relationship
    from entas.registry.models import Member

    payments = list(
        Payment.objects.filter(entitlement__cycle=cycle, status=Payment.Status.SENT)
        .order_by("entitlement__household__kelurahan__code", "entitlement__household__rt", "pk")
        .values_list(
            "reference",
            "amount",
            "entitlement__household_id",
            "entitlement__household__kk_number",
            "entitlement__household__kelurahan__name",
            "entitlement__household__rt",
            "entitlement__household__address",
        )
    )
    accounts = payees.accounts_of({row[2] for row in payments})
    named = dict(
        Member.objects.filter(pk__in=[p.member_id for p in accounts.values() if p.member_id]).values_list("pk", "name")
    )
    recipients = {
        household: named.get(payee.member_id or 0) or payee.account_holder for household, payee in accounts.items()
    }
    heads = dict(
        Member.objects.filter(
            household__entitlements__cycle=cycle, relationship=Relationship.HEAD, exited_on__isnull=True
        ).values_list("household_id", "name")
    )
    return [
        {
            "reference": reference,
            "amount": amount,
            "household": household,
            "kk_number": kk,
            "kelurahan": kelurahan,
            "rt": rt,
            "address": address,
            "recipient": recipients.get(household) or heads.get(household, ""),
        }
        for reference, amount, household, kk, kelurahan, rt, address in payments
    ]


def cash_list_xlsx(cycle: Cycle, out: Path | IO[bytes]) -> int:
    """The cash list as XLSX with signature columns, one sheet for the city, by kelurahan and RT."""
    return rendering.cash_list_xlsx(cash_rows(cycle), out, programme=cycle.programme.name, period=cycle.period)


def cash_list_pdf(
    cycle: Cycle,
    out: Path | IO[bytes],
    *,
    on_total: Callable[[int], object] | None = None,
    progress: Callable[[int], object] | None = None,
) -> int:
    """The cash list as PDF to print and sign, a section per kelurahan (always in Indonesian);
    ``on_total(rows)`` once the rows are read, ``progress(n)`` as they are drawn."""
    rows = cash_rows(cycle)
    if on_total is not None:
        on_total(len(rows))
    return rendering.cash_list_pdf(
        rows,
        out,
        programme=cycle.programme.name,
        period=cycle.period,
        footer=f"entas - siklus {cycle.pk}",
        progress=progress,
    )


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
