"""Per-request context that services read without a request object (client address for the audit)."""

from __future__ import annotations

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("entas_client_ip", default=None)
