"""The interoperability jobs: answering an asynchronous DCI message and sending its callback, the
notifications of subscriptions, and the national exchanges' uploads."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from entas.core.jobqueue import JobContext, job_kind

from . import dci
from .models import Subscription


@job_kind("interop.dci_process", gettext_lazy("Answer a DCI request and send the callback"))
def dci_process(ctx: JobContext) -> dict[str, Any]:
    txn = dci.process(int(ctx.params["transaction"]))
    ctx.log(f"{txn.action} {txn.transaction_id}: callback {txn.callback_status}")
    return {"transaction": txn.pk, "callback": txn.callback_status}


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
