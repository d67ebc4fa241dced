"""The shape every write takes: :func:`service`.

A service is one function with keyword-only arguments and an explicit ``actor``; it checks, writes
and appends its :class:`~entas.core.models.AuditEvent` in one transaction. Called from a view, an
endpoint, a command or a job, that transaction is *durable* (``transaction.atomic(durable=True)``):
it must be the outermost one, so when the function returns the change and its audit row are
committed together, and a caller cannot wrap it in a transaction it later rolls back. A service
called by another service joins its caller's transaction instead (one change, one commit).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")

_depth: ContextVar[int] = ContextVar("entas_service_depth", default=0)


def service(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` in a durable transaction, or in its caller's when a service calls it."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        depth = _depth.get()
        token = _depth.set(depth + 1)
        try:
            with transaction.atomic(durable=depth == 0):
                return function(*args, **kwargs)
        finally:
            _depth.reset(token)

    return wrapper
