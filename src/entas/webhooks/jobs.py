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
