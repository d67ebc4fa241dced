"""Every write of the webhooks: subscriptions (audited), the deliveries recorded when an event
happens (:func:`record_events`, the listener of :mod:`entas.core.events`), and their sending."""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core import audit, events, jobqueue
from entas.core.errors import Problem, Refused
from entas.core.services import service

from . import rules, transport
from .models import Delivery, Subscription

if TYPE_CHECKING:
    from entas.accounts.models import User

logger = logging.getLogger(__name__)
DELIVER_KIND = "webhooks.deliver"
PURGE_KIND = "webhooks.purge"
BATCH = 200
VISIBLE_CHUNK = 5000


def _require_admin(actor: User) -> None:
    if not actor.can(Capability.MANAGE_USERS):
        raise Refused(_("Only an administrator manages webhook subscriptions."), code="forbidden")


def snapshot(subscription: Subscription) -> dict[str, Any]:
    """A subscription as the command line and the audit trail show it (never its secret)."""
    return {
        "id": subscription.pk,
        "name": subscription.name,
        "owner": subscription.owner.username,
        "url": subscription.url,
        "events": list(subscription.events),
        "active": subscription.active,
        "created_at": subscription.created_at.isoformat(),
        "disabled_at": subscription.disabled_at.isoformat() if subscription.disabled_at else None,
    }


@service
def create_subscription(
    *, actor: User, owner: User, name: str, url: str, event_names: list[str]
) -> tuple[Subscription, str]:
    """A new subscription of ``owner`` (whose role and areas bound what it hears) and its signing
    secret, returned once."""
    _require_admin(actor)
    issues: list[Problem] = []
    unknown = sorted(set(event_names) - set(events.NAMES))
    if unknown or not event_names:
        issues.append(Problem("events", _("Choose events among: %(names)s.") % {"names": ", ".join(events.NAMES)}))
    if not url.startswith(("https://", "http://")):
        issues.append(Problem("url", _("The URL must start with https:// or http://.")))
    if not owner.is_active:
        issues.append(Problem("owner", _("The owner's account is deactivated.")))
    if not name.strip():
        issues.append(Problem("name", _("Name the subscription.")))
    if issues:
        raise Refused(issues[0].message, code="invalid", issues=issues)
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = Subscription.objects.create(
        name=name.strip()[:100],
        owner=owner,
        url=url,
        events=[e for e in events.NAMES if e in event_names],
        secret=secret,
        created_by=actor,
    )
    audit.record(actor=actor, action="webhook.create", obj=subscription, after=snapshot(subscription))
    return subscription, secret


@service
def disable_subscription(*, actor: User, subscription: Subscription) -> Subscription:
    """Stop a subscription: no new deliveries, and its pending ones are not sent any more."""
    _require_admin(actor)
    if not subscription.active:
        return subscription
    subscription.active = False
    subscription.disabled_at = timezone.now()
    subscription.save(update_fields=["active", "disabled_at"])
    audit.record(
        actor=actor, action="webhook.disable", obj=subscription, before={"active": True}, after={"active": False}
    )
    return subscription


@service
def rotate_secret(
    *, actor: User, subscription: Subscription, overlap_hours: int = rules.DEFAULT_OVERLAP_HOURS
) -> tuple[Subscription, str]:
    """A new signing secret, returned once. The replaced one keeps signing beside it for
    ``overlap_hours`` (0: it stops at once), so the receiver can switch without refusing a message.
    A second rotation within the window drops the oldest secret: two secrets at most."""
    _require_admin(actor)
    if not 0 <= overlap_hours <= rules.MAX_OVERLAP_HOURS:
        message = _("The overlap is 0 to %(max)d hours.") % {"max": rules.MAX_OVERLAP_HOURS}
        raise Refused(message, code="invalid", issues=[Problem("overlap_hours", message)])
    if not subscription.active:
        raise Refused(_("This subscription is disabled."), code="invalid")
    now = timezone.now()
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription.previous_secret = subscription.secret if overlap_hours else ""
    subscription.previous_until = now + timedelta(hours=overlap_hours) if overlap_hours else None
    subscription.secret = secret
    subscription.secret_rotated_at = now
    subscription.save(update_fields=["secret", "previous_secret", "previous_until", "secret_rotated_at"])
    audit.record(
        actor=actor,
        action="webhook.rotate_secret",
        obj=subscription,
        after={
            "rotated_at": now.isoformat(),
            "previous_signs_until": subscription.previous_until.isoformat() if subscription.previous_until else None,
        },
    )
    return subscription, secret


def retention_days() -> int:
    """How long finished deliveries stay in the log (``ENTAS_WEBHOOK_RETENTION_DAYS``, default 90)."""
    return max(1, int(getattr(settings, "ENTAS_WEBHOOK_RETENTION_DAYS", 90)))


PURGE_CHUNK = 5000


def purge(*, now: datetime | None = None, days: int | None = None) -> dict[str, int]:
    """Delete the delivered and failed deliveries older than the retention (never a pending one), a
    chunk per transaction so that a large log never holds a long lock; forget the previous secrets
    whose overlap has ended. The scheduler runs it daily (job kind ``webhooks.purge``)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=days if days is not None else retention_days())
    old = Delivery.objects.filter(
        status__in=[Delivery.Status.DELIVERED, Delivery.Status.FAILED], created_at__lt=cutoff
    ).order_by("pk")
    deleted = 0
    while True:
        chunk = list(old.values_list("pk", flat=True)[:PURGE_CHUNK])
        if not chunk:
            break
        with transaction.atomic():
            deleted += Delivery.objects.filter(pk__in=chunk).delete()[0]
    forgotten = Subscription.objects.filter(previous_until__lte=now).update(previous_secret="", previous_until=None)
    if deleted or forgotten:
        audit.record(
            actor=None,
            action="webhook.purge",
            object_type="webhooks.delivery",
            after={"deleted": deleted, "before": cutoff.isoformat(), "previous_secrets_forgotten": forgotten},
        )
    return {"deleted": deleted, "previous_secrets_forgotten": forgotten}


def _visible(owner: User, model_label: str, pks: set[int], cache: dict[tuple[int, str], set[int]]) -> set[int]:
    """The rows among ``pks`` that ``owner`` may read, through the model's own area scope."""
    key = (owner.pk, model_label)
    if key not in cache:
        rows = apps.get_model(model_label).objects.restrict(owner, "view")
        ordered = sorted(pks)
        cache[key] = set()
        for start in range(0, len(ordered), VISIBLE_CHUNK):  # a ratification or a bank report: thousands
            chunk = ordered[start : start + VISIBLE_CHUNK]
            cache[key] |= set(rows.filter(pk__in=chunk).values_list("pk", flat=True))
    return cache[key]


def _body(event: events.Event, event_id: str, at: datetime) -> dict[str, Any]:
    return {
        "id": event_id,
        "event": event.name,
        "created_at": at.isoformat(),
        "data": {"object": event.model, "id": event.pk, **event.payload},
    }


@events.subscribe
def record_events(batch: list[events.Event]) -> None:
    """The listener: a delivery for each active subscription to the event whose owner may read the
    changed row (role and areas, checked now); the deliverer job is queued when the change commits."""
    names = {e.name for e in batch}
    subscriptions = [
        s for s in Subscription.objects.filter(active=True).select_related("owner") if names & set(s.events)
    ]
    if not subscriptions:
        return
    pks_by_model: dict[str, set[int]] = defaultdict(set)
    for event in batch:
        pks_by_model[event.model].add(event.pk)
    cache: dict[tuple[int, str], set[int]] = {}
    now = timezone.now()
    rows = []
    for subscription in subscriptions:
        owner = subscription.owner
        if not owner.is_active:
            continue
        for event in batch:
            if event.name not in subscription.events:
                continue
            if event.pk not in _visible(owner, event.model, pks_by_model[event.model], cache):
                continue
            event_id = f"evt_{uuid.uuid4().hex}"
            rows.append(
                Delivery(
                    subscription=subscription,
                    event=event.name,
                    event_id=event_id,
                    body=_body(event, event_id, now),
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    if rows:
        Delivery.objects.bulk_create(rows, batch_size=500)
        transaction.on_commit(queue_delivery)


def queue_delivery() -> None:
    """Queue the deliverer job unless one is already queued or running (it takes the new ones too;
    the scheduled run every minute picks up what is left and the retries)."""
    with contextlib.suppress(Refused):
        jobqueue.submit(kind=DELIVER_KIND, params={}, actor=None)


def headers(subscription: Subscription, delivery: Delivery, body: bytes, timestamp: int) -> dict[str, str]:
    """The headers of one attempt: signed with the secret and, while a rotation's overlap lasts, with
    the previous secret too (a second ``v1``)."""
    at = datetime.fromtimestamp(timestamp, tz=UTC)
    previous = (
        subscription.previous_secret
        if rules.previous_signs(subscription.previous_secret, subscription.previous_until, at)
        else ""
    )
    return {
        "Content-Type": "application/json",
        "User-Agent": "entas-webhooks/1",
        "X-Entas-Event": delivery.event,
        "X-Entas-Delivery": delivery.event_id,
        rules.SIGNATURE_HEADER: rules.sign(subscription.secret, timestamp, body, previous=previous),
    }


def attempt(delivery: Delivery, *, now: datetime | None = None) -> Delivery:
    """Send one delivery once (signed now) and record the outcome: delivered on a 2xx answer, else
    the next attempt after the back-off, or failed after the last attempt."""
    now = now or timezone.now()
    subscription = delivery.subscription
    # Claim it: of two deliverers only one sends a given attempt.
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.Status.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        delivery.refresh_from_db()
        return delivery
    delivery.attempts += 1
    body = json.dumps(delivery.body, ensure_ascii=False, sort_keys=True).encode()
    status, error = transport.post(subscription.url, body, headers(subscription, delivery, body, int(now.timestamp())))
    fields: dict[str, Any] = {"response_status": status, "error": error[:300]}
    if rules.succeeded(status):
        fields |= {"status": Delivery.Status.DELIVERED, "delivered_at": now, "next_attempt_at": None, "error": ""}
    else:
        if not error:
            error = f"HTTP {status}"
            fields["error"] = error
        delay = rules.retry_delay(delivery.attempts)
        if delay is None:
            fields |= {"status": Delivery.Status.FAILED, "next_attempt_at": None}
        else:
            fields["next_attempt_at"] = now + delay
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)
    return delivery


def due(now: datetime | None = None) -> Any:
    now = now or timezone.now()
    return Delivery.objects.filter(
        status=Delivery.Status.PENDING, next_attempt_at__lte=now, subscription__active=True
    ).select_related("subscription")


def deliver_due(*, now: datetime | None = None, limit: int = BATCH, on_each: Any = None) -> dict[str, int]:
    """Send the deliveries whose time has come (oldest first, at most ``limit``)."""
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    for delivery in list(due(now).order_by("next_attempt_at", "pk")[:limit]):
        done = attempt(delivery, now=now)
        key = {"delivered": "delivered", "failed": "failed"}.get(done.status, "retry")
        counts[key] += 1
        if on_each is not None:
            on_each(done)
    return counts
