"""Background jobs of cash programmes: payment files and cash lists of a cycle."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO, Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.core.errors import Refused
from entas.core.jobqueue import JobContext, job_kind
from entas.core.money import format_rupiah

from . import files
from .models import Cycle

# format → (file suffix, what it is)
EXPORTS = {"pain001": "xml", "csv": "csv", "xlsx": "xlsx", "pdf": "pdf"}


def export_cycle(cycle: Cycle, fmt: str, out: Path, ctx: JobContext | None = None) -> dict[str, Any]:
    """Write one of a cycle's files; the counts and totals it holds (shared by the command and the job,
    whose progress bar follows the PDF's rows as they are drawn).
    Refused, with everything that is missing, before anything is written when the file cannot be right
    (no payment, no paying account, households without a valid account: :mod:`.readiness`)."""
    files.ensure_ready(cycle, fmt)
    if fmt == "pdf":
        files.cash_list_pdf(cycle, out, on_total=ctx.set_total if ctx else None, progress=ctx.advance if ctx else None)
    if fmt == "xlsx":
        files.cash_list_xlsx(cycle, out)
    if fmt in {"xlsx", "pdf"}:  # cash lists: every sent payment, no account number needed
        rows = files.cash_rows(cycle)
        return {"cycle": cycle.pk, "file": str(out), "payments": len(rows), "total": sum(r["amount"] for r in rows)}
    content = files.pain001(cycle) if fmt == "pain001" else files.bank_csv(cycle)
    out.write_bytes(content)
    send, missing = files.payable(cycle)
    return {
        "cycle": cycle.pk,
        "file": str(out),
        "payments": len(send),
        "total": sum(r["amount"] for r in send),
        "left_out_no_account": len(missing),
    }


def _cycle_lock(params: dict[str, Any], actor: Any) -> list[str]:
    return [f"programs.cycle.{int(params.get('cycle') or 0)}"]


def _cycle_subject(params: dict[str, Any]) -> tuple[str, str] | None:
    cycle = Cycle.objects.select_related("programme").filter(pk=int(params.get("cycle") or 0)).first()
    if cycle is None:
        return None
    fmt = str(params.get("format", "")).upper()
    return reverse("programs:cycle", args=[cycle.pk]), f"{cycle} · {fmt}" if fmt else str(cycle)


@job_kind(
    "programs.export",
    gettext_lazy("Payment file or cash list of a cycle"),
    locks=_cycle_lock,
    subject=_cycle_subject,
)
def export_job(ctx: JobContext) -> dict[str, Any]:
    actor = ctx.actor
    if actor is None or not actor.can(Capability.MANAGE_PROGRAMMES):
        raise Refused(_("Your role does not allow this step."), code="forbidden")
    fmt = ctx.params.get("format", "")
    if fmt not in EXPORTS:
        raise Refused(_("Unknown format %(fmt)r: use pain001, csv, xlsx or pdf.") % {"fmt": fmt}, code="invalid")
    cycle = Cycle.objects.select_related("programme").filter(pk=int(ctx.params.get("cycle") or 0)).first()
    if cycle is None:
        raise Refused(_("No such cycle."))
    if fmt != "pdf":  # a PDF counts its rows as it draws them
        ctx.set_total(1)
    # The job holds the cycle's lock key from submission to its end (see the job kind's locks): no
    # reconciliation or retry changes the payments the file is made of, and a second file waits.
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"cycle.{EXPORTS[fmt]}"
        result = export_cycle(cycle, fmt, out, ctx)
        name = f"siklus-{cycle.programme.pk}-{cycle.number}-{fmt}.{EXPORTS[fmt]}"
        ctx.save_result_file(name, out.read_bytes())
    if fmt != "pdf":
        ctx.advance()
    ctx.log(_("%(n)d payments, %(total)s.") % {"n": result["payments"], "total": format_rupiah(result["total"])})
    result.pop("file")
    return result


PAYEE_COLUMNS = (
    gettext_lazy("Kelurahan"),
    gettext_lazy("RT"),
    gettext_lazy("KK number"),
    gettext_lazy("Head of the family"),
    gettext_lazy("Amount (Rp)"),
    gettext_lazy("Account"),
    gettext_lazy("Payment"),
    gettext_lazy("Flags"),
)
PAYEE_CHUNK = 2000


def payees_xlsx(
    actor: Any, cycle: Cycle, out: Path | IO[bytes], *, query: str = "", kelurahan: str = "", progress: Any = None
) -> dict[str, Any]:
    """Write the approver's list of ``cycle`` as XLSX: every payee of the actor's areas (the page's
    search and kelurahan filter applied), in chunks (``progress(n)`` after each); no cell becomes a
    formula (entas.core.spreadsheet) and account numbers stay masked. The count and the total."""
    from entas.core.spreadsheet import Sheet, workbook

    from . import selectors
    from .models import Payment

    rows = selectors.payees(actor, cycle, query=query, kelurahan=kelurahan)
    total = rows.count()
    labels = dict(Payment.Status.choices)
    amount = 0
    book = workbook(out)
    sheet = Sheet(book, "Penerima")
    sheet.write(0, 0, f"{cycle.programme.name} {cycle.period}", {"bold": True})
    sheet.write_row(2, 0, [str(c) for c in PAYEE_COLUMNS], {"bold": True})
    sheet.set_column(0, 0, 22)
    sheet.set_column(2, 3, 24)
    line = 3
    for start in range(0, total, PAYEE_CHUNK):
        chunk = list(rows[start : start + PAYEE_CHUNK])
        accounts = selectors.payee_accounts(cycle.programme, [e.household_id for e in chunk])
        for e in chunk:
            sheet.write_row(
                line,
                0,
                [
                    e.household.kelurahan.name,
                    e.household.rt,
                    e.household.kk_number,
                    getattr(e, "head_name", None) or "",
                    e.amount,
                    selectors.mask_account(accounts.get(e.household_id, ("", ""))[0]),
                    str(labels.get(getattr(e, "payment_status", None) or "", "")),
                    e.flags,
                ],
            )
            amount += e.amount
            line += 1
        if progress is not None:
            progress(len(chunk))
    sheet.write_row(line + 1, 3, [_("Total"), amount], {"bold": True})
    book.close()
    return {"cycle": cycle.pk, "payees": total, "total": amount}


@job_kind("programs.payees", gettext_lazy("Payee list of a cycle (XLSX)"))
def payees_job(ctx: JobContext) -> dict[str, Any]:
    """The approver's list as XLSX (:func:`payees_xlsx`), with progress."""
    from . import selectors

    actor = ctx.actor
    if actor is None:
        raise Refused(_("Your role does not allow this step."), code="forbidden")
    try:
        cycle = selectors.cycle_for(actor, int(ctx.params.get("cycle") or 0))
    except Cycle.DoesNotExist:
        raise Refused(_("No such cycle."), code="not_found") from None
    query, kelurahan = str(ctx.params.get("q") or ""), str(ctx.params.get("kelurahan") or "")
    ctx.set_total(selectors.payees(actor, cycle, query=query, kelurahan=kelurahan).count())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "payees.xlsx"
        result = payees_xlsx(actor, cycle, out, query=query, kelurahan=kelurahan, progress=ctx.advance)
        ctx.save_result_file(f"penerima-{cycle.programme.pk}-{cycle.number}.xlsx", out.read_bytes())
    ctx.log(_("%(n)d payees, %(total)s.") % {"n": result["payees"], "total": format_rupiah(result["total"])})
    return result
