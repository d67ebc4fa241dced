"""Background jobs of cash programmes: payment files and cash lists of a cycle."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

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


def export_cycle(cycle: Cycle, fmt: str, out: Path) -> dict[str, Any]:
    """Write one of a cycle's files; the counts and totals it holds (shared by the command and the job)."""
    if fmt in {"xlsx", "pdf"}:  # cash lists: every sent payment, no account number needed
        writer = files.cash_list_xlsx if fmt == "xlsx" else files.cash_list_pdf
        writer(cycle, out)
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
    ctx.set_total(1)
    # The job holds the cycle's lock key from submission to its end (see the job kind's locks): no
    # reconciliation or retry changes the payments the file is made of, and a second file waits.
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"cycle.{EXPORTS[fmt]}"
        result = export_cycle(cycle, fmt, out)
        name = f"siklus-{cycle.programme.pk}-{cycle.number}-{fmt}.{EXPORTS[fmt]}"
        ctx.save_result_file(name, out.read_bytes())
    ctx.advance()
    ctx.log(_("%(n)d payments, %(total)s.") % {"n": result["payments"], "total": format_rupiah(result["total"])})
    result.pop("file")
    return result
