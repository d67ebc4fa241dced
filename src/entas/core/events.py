"""Domain events: one small publish/subscribe point so that an app can say "this happened" without
knowing who listens (the webhooks, docs/webhooks.md).

An app calls :func:`emit` (or :func:`emit_many`) where the change is made, inside its transaction,
naming the event, the changed row (``app_label.Model`` and its primary key, so that a listener can
check who may read it through the row's own area scope) and a small payload of identifiers. A
listener registers with :func:`subscribe` in its ``AppConfig.ready``. Listeners run at once, inside
the caller's transaction (an outbox: what they record is rolled back with the change), each in a
savepoint: a failing listener is logged and never undoes or refuses the change itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

# The events an app may emit, with what each means (the webhook pages and docs list them).
HOUSEHOLD_CHANGED = "household.changed"
CYCLE_APPROVED = "cycle.approved"
PAYMENT_FAILED = "payment.failed"
COMPLAINT_ESCALATED = "complaint.escalated"
NAMES = (HOUSEHOLD_CHANGED, CYCLE_APPROVED, PAYMENT_FAILED, COMPLAINT_ESCALATED)


@dataclass(frozen=True)
class Event:
    """Something that happened to one row: ``model`` is ``app_label.ModelName``, ``pk`` its key."""

    name: str
    model: str
    pk: int
    payload: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[list[Event]], None]
_LISTENERS: list[Listener] = []


def subscribe(listener: Listener) -> Listener:
    """Register ``listener`` (called with each batch of events); usable as a decorator."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def unsubscribe(listener: Listener) -> None:
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def emit(name: str, *, model: str, pk: int, payload: dict[str, Any] | None = None) -> None:
    """Tell the listeners that ``name`` happened to row ``pk`` of ``model``."""
    emit_many([Event(name, model, pk, payload or {})])


def emit_many(events: Iterable[Event]) -> None:
    """Tell the listeners about several events at once (one batch: a reconciliation's failures)."""
    batch = list(events)
    unknown = {e.name for e in batch} - set(NAMES)
    if unknown:
        raise ValueError(f"unknown event(s): {sorted(unknown)}")
    if not batch:
        return
    for listener in list(_LISTENERS):
        try:
            with transaction.atomic():
                listener(batch)
        except Exception:  # a listener never undoes the change it hears about
            logger.exception("event listener %r failed on %d %s event(s)", listener, len(batch), batch[0].name)
