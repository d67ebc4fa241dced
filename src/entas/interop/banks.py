"""Bank statements (ISO 20022 camt.053.001.02, and SWIFT MT940 through :mod:`.mt940_statements`) for
the reconciliation of a payment cycle.

The statement of the city's paying account lists each transfer the bank booked, with the
end-to-end reference entas put in the payment file (pain.001). Each debit entry of the statement is
a result for the payment with that reference: booked is paid; a reversal (``RvslInd``) or a return
(``RtrInf``) is failed with its reason; a pending entry leaves the payment waiting. An entry whose
amount differs from the payment's is not taken as paid (reported). The results go through the same
reconciliation as the bank's pain.002 or CSV results (:func:`entas.programs.services.reconcile`).

The file is validated before it is read: no DTD, then the official ISO 20022 schema
``camt.053.001.02.xsd`` (``data/``, as redistributed by the ``camt053`` package; docs/interop.md says
where it comes from), or the file ``ENTAS_CAMT053_XSD`` names.

An MT940 statement gives the same entries (:func:`.mt940_statements.read`); both go through
:func:`reconcile_entries`, one reconciliation whatever the format (:func:`read_statement` detects it).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xmlschema
from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

from entas.core import uploads
from entas.core.errors import Refused
from entas.programs.models import Cycle, Payment
from entas.programs.services import reconcile

from . import mt940_statements
from .models import Exchange

if TYPE_CHECKING:
    from entas.accounts.models import User

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
OFFICIAL_SCHEMA = Path(__file__).parent / "data" / "camt.053.001.02.xsd"
FORMATS = ("auto", "camt053", "mt940")
_schemas: dict[str, Any] = {}


def _schema(path: Path) -> Any:
    key = str(path)
    if key not in _schemas:
        _schemas[key] = xmlschema.XMLSchema10(str(path))
    return _schemas[key]


def validate(path: Path, name: str) -> Any:
    """The parsed statement, validated; Refused with the first schema error."""
    uploads.refuse_doctype(uploads.file_chunks(path), name)
    try:
        tree = etree.parse(str(path), uploads.xml_parser())
    except etree.XMLSyntaxError as exc:
        raise Refused(_("The bank statement is not readable XML: %(error)s") % {"error": exc}, code="invalid") from exc
    root = tree.getroot()
    if root.tag != f"{{{NS}}}Document":
        raise Refused(_("The file is not a camt.053.001.02 bank statement."), code="invalid")
    schema_path = Path(getattr(settings, "ENTAS_CAMT053_XSD", "") or OFFICIAL_SCHEMA)
    error = next(_schema(schema_path).iter_errors(tree), None)
    if error is not None:
        where = f" (line {error.sourceline})" if getattr(error, "sourceline", None) else ""
        raise Refused(
            _("The bank statement does not match the camt.053 schema%(where)s: %(reason)s")
            % {"where": where, "reason": error.reason or error.message},
            code="invalid",
        )
    return root


def _text(node: Any, path: str) -> str:
    found = node.find(path, {"c": NS})
    return (found.text or "").strip() if found is not None and found.text else ""


def read_entries(root: Any) -> list[dict[str, Any]]:
    """The debit entries of the statement, one per transaction detail: line, reference, amount
    (whole rupiah), status (paid|failed|pending) and reason."""
    rows = []
    for entry in root.iterfind(".//c:Stmt/c:Ntry", {"c": NS}):
        if _text(entry, "c:CdtDbtInd") != "DBIT" and _text(entry, "c:RvslInd") != "true":
            continue  # money coming in, not a transfer the city made
        booked = _text(entry, "c:Sts")
        reversed_ = _text(entry, "c:RvslInd") == "true"
        details = entry.findall("c:NtryDtls/c:TxDtls", {"c": NS}) or [entry]
        for detail in details:
            amount_text = _text(detail, "c:AmtDtls/c:TxAmt/c:Amt") or _text(detail, "c:AmtDtls/c:InstdAmt/c:Amt")
            if not amount_text or len(details) == 1:
                amount_text = amount_text or _text(entry, "c:Amt")
            try:
                amount = Decimal(amount_text)
            except InvalidOperation:
                amount = Decimal(-1)
            returned = detail.find("c:RtrInf", {"c": NS}) is not None
            reason = " ".join(
                filter(
                    None,
                    [
                        _text(detail, "c:RtrInf/c:Rsn/c:Cd") or _text(detail, "c:RtrInf/c:Rsn/c:Prtry"),
                        _text(detail, "c:RtrInf/c:AddtlInf"),
                    ],
                )
            )
            status = "failed" if reversed_ or returned else "paid" if booked == "BOOK" else "pending"
            rows.append(
                {
                    "line": detail.sourceline,
                    "reference": _text(detail, "c:Refs/c:EndToEndId"),
                    "amount": amount,
                    "status": status,
                    "reason": (reason or ("reversed" if reversed_ else ""))[:200],
                }
            )
    return rows


def detect_format(path: Path) -> str:
    """camt053 or mt940, from the start of the file."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.lstrip(b"\xef\xbb\xbf\r\n \t").startswith(b"<"):
        return "camt053"
    if mt940_statements.looks_like_mt940(head):
        return "mt940"
    raise Refused(_("The file is neither a camt.053 (XML) nor an MT940 bank statement."), code="invalid")


def read_statement(path: Path, name: str, fmt: str = "auto") -> tuple[str, list[dict[str, Any]]]:
    """The format and the entries of a statement, checked (a camt.053 against its schema, an MT940's
    structure and balances)."""
    if fmt not in FORMATS:
        raise Refused(_("The statement format is auto, camt053 or mt940."), code="invalid")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "mt940":
        return fmt, mt940_statements.read(path, name)
    return fmt, read_entries(validate(path, name))


def reconcile_statement(
    path: Path, *, cycle_id: int, actor: User, name: str | None = None, fmt: str = "auto"
) -> dict[str, Any]:
    """Reconcile a cycle with a bank statement (camt.053 or MT940; ``fmt`` auto detects it)."""
    name = name or path.name
    fmt, entries = read_statement(path, name, fmt)
    return reconcile_entries(entries, cycle_id=cycle_id, actor=actor, name=name, fmt=fmt)


def reconcile_entries(
    entries: list[dict[str, Any]], *, cycle_id: int, actor: User, name: str, fmt: str
) -> dict[str, Any]:
    """Reconcile a cycle with a statement's entries (line, reference, amount, status, reason); the
    reconciliation's result, with the entries read and those whose amount differs from the payment's."""
    try:
        cycle = Cycle.objects.get(pk=cycle_id)
    except Cycle.DoesNotExist:
        raise Refused(_("No such payment cycle."), code="not_found") from None
    amounts = dict(
        Payment.objects.filter(entitlement__cycle=cycle, reference__in=[e["reference"] for e in entries]).values_list(
            "reference", "amount"
        )
    )
    results, mismatched = [], []
    for entry in entries:
        expected = amounts.get(entry["reference"])
        if expected is not None and entry["status"] == "paid" and entry["amount"] != Decimal(expected):
            mismatched.append(
                {
                    "line": entry["line"],
                    "reference": entry["reference"],
                    "amount": str(entry["amount"]),
                    "expected": expected,
                }
            )
            continue
        results.append({k: entry[k] for k in ("line", "reference", "status", "reason")})
    result = reconcile(cycle=cycle, results=results, actor=actor)
    result = {**result, "entries": len(entries), "amount_mismatch": mismatched, "format": fmt}
    Exchange.objects.create(
        kind=Exchange.Kind.BANK_STATEMENT,
        file_name=name,
        counts={k: result[k] for k in ("entries", "paid", "failed", "pending", "reconciled")}
        | {"cycle": cycle.pk, "unknown": len(result["unknown"]), "amount_mismatch": len(mismatched), "format": fmt},
        actor=actor,
    )
    return result
