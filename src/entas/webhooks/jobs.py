"""The deliverer job: sends the webhook deliveries whose time has come (queued when an event is
recorded, and every minute by the scheduler for the retries)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from entas.core.jobqueue import JobContext, job_kind

from . import services


@job_kind(services.DELIVER_KIND, _("Send webhook deliveries"), locks=lambda params, actor: ["webhooks.deliver"])
def deliver(context: JobContext) -> dict[str, Any]:
    pending = services.due().count()
    context.set_total(min(pending, services.BATCH))
    counts = services.deliver_due(on_each=lambda _delivery: context.advance())
    context.log(f"delivered {counts['delivered']}, to retry {counts['retry']}, failed {counts['failed']}")
    return counts


@job_kind(services.PURGE_KIND, _("Purge the old webhook delivery log"), locks=lambda params, actor: ["webhooks.purge"])
def purge(context: JobContext) -> dict[str, Any]:
    """Finished deliveries older than ENTAS_WEBHOOK_RETENTION_DAYS (``days`` overrides it), and the
    previous secrets whose overlap has ended."""
    days = context.params.get("days")
    counts = services.purge(days=int(days) if days is not None else None)
    context.log(
        f"{counts['deleted']} deliveries deleted, {counts['previous_secrets_forgotten']} previous secrets forgotten"
    )
    return counts
