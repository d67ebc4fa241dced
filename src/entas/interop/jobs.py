"""The interoperability jobs: answering an asynchronous DCI message and sending its callback, the
notifications of subscriptions, and the national exchanges' uploads."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from entas.core.errors import Refused
from entas.core.jobqueue import JobContext, job_kind
from entas.registry.jobs import import_locks

from . import dci
from .models import Subscription


@job_kind("interop.dci_process", gettext_lazy("Answer a DCI request and send the callback"))
def dci_process(ctx: JobContext) -> dict[str, Any]:
    txn = dci.process(int(ctx.params["transaction"]))
    ctx.log(f"{txn.action} {txn.transaction_id}: callback {txn.callback_status}")
    return {"transaction": txn.pk, "callback": txn.callback_status}


@job_kind(
    "interop.dci_callbacks",
    gettext_lazy("Send the DCI callbacks that failed again (back-off)"),
    locks=lambda params, actor: ["interop.dci_callbacks"],
)
def dci_callbacks(ctx: JobContext) -> dict[str, Any]:
    ctx.set_total(min(dci.due_callbacks().count(), 200))
    counts = dci.deliver_due()
    ctx.advance(sum(counts.values()))
    ctx.log(f"delivered {counts['delivered']}, to retry {counts['retry']}, given up {counts['failed']}")
    return counts


@job_kind(
    "interop.dci_notify",
    gettext_lazy("Notify DCI subscribers of registry changes"),
    locks=lambda params, actor: ["interop.dci_notify"],
)
def dci_notify(ctx: JobContext) -> dict[str, Any]:
    subscriptions = list(
        Subscription.objects.filter(status=Subscription.Status.SUBSCRIBED, caller__active=True).select_related(
            "caller__service_user"
        )
    )
    ctx.set_total(len(subscriptions))
    sent = 0
    for subscription in subscriptions:
        sent += dci.notify(subscription)
        ctx.advance()
    ctx.log(f"{len(subscriptions)} subscriptions, {sent} records sent")
    return {"subscriptions": len(subscriptions), "records": sent}


def _exchange_subject(params: dict[str, Any]) -> tuple[str, str] | None:
    from django.urls import reverse

    return reverse("interop:index"), str(params.get("name") or params.get("period") or "")


@job_kind(
    "interop.dtsen_import",
    gettext_lazy("Import a DTSEN file (national desil and status)"),
    locks=import_locks,  # the registry import's: no two imports into the same areas at once
    subject=_exchange_subject,
)
def dtsen_import(ctx: JobContext) -> dict[str, Any]:
    from entas.core.fileimport import run_uploaded_import

    from .exchange import import_dtsen

    return run_uploaded_import(ctx, import_dtsen, stem="dtsen")


@job_kind(
    "interop.siks_export",
    gettext_lazy("SIKS-NG export (BNBA) of a period"),
    locks=lambda params, actor: [f"interop.siks.{params.get('period', '')}"],
    subject=_exchange_subject,
)
def siks_export(ctx: JobContext) -> dict[str, Any]:
    from .exchange import export_siks

    if ctx.actor is None:
        raise Refused("An export is made by a person.", code="forbidden")
    exchange, content = export_siks(
        actor=ctx.actor, period=ctx.params["period"], berita_acara=ctx.params["berita_acara"]
    )
    ctx.save_result_file(exchange.file_name, content)
    type(exchange).objects.filter(pk=exchange.pk).update(job=ctx.job)
    ctx.log(f"{exchange.counts['households']} families, {exchange.counts['people']} people")
    return {"exchange": exchange.pk, **exchange.counts, "file": ctx.job.result_file.name}


@job_kind(
    "interop.camt053",
    gettext_lazy("Reconcile a cycle with a bank statement (camt.053 or MT940)"),
    subject=_exchange_subject,
)
def camt053(ctx: JobContext) -> dict[str, Any]:
    from pathlib import Path

    from django.conf import settings

    from .banks import reconcile_statement

    path = Path(settings.MEDIA_ROOT) / ctx.params["file"]
    try:
        if ctx.actor is None:
            raise Refused("A statement is reconciled by a person.", code="forbidden")
        result = reconcile_statement(
            path,
            cycle_id=int(ctx.params["cycle"]),
            actor=ctx.actor,
            name=ctx.params.get("name"),
            fmt=ctx.params.get("format", "auto"),
        )
    finally:
        path.unlink(missing_ok=True)
    ctx.log(f"{result['entries']} entries: {result['paid']} paid, {result['failed']} failed")
    return {k: v for k, v in result.items() if k not in ("unknown", "bad_status", "not_final")} | {
        "unknown": len(result["unknown"])
    }


@job_kind("interop.nik_batch", gettext_lazy("Check a batch of NIKs (Dukcapil adapter)"), subject=_exchange_subject)
def nik_batch(ctx: JobContext) -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    from django.conf import settings

    from .dukcapil import run_batch

    path = Path(settings.MEDIA_ROOT) / ctx.params["file"]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "jawaban-nik.csv"
        try:
            counts = run_batch(path, out, actor=ctx.actor, job=ctx.job)  # type: ignore[arg-type]
        finally:
            path.unlink(missing_ok=True)
        ctx.save_result_file(f"jawaban-nik-{ctx.job.pk}.csv", out.read_bytes())
    return counts
