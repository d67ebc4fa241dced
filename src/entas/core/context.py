"""Per-request context that services read without a request object: where an action came from, for
the audit trail (the client's address, the channel, and the operating-system account of a command)."""

from __future__ import annotations

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("entas_client_ip", default=None)
# "web" (a page), "api", "cli" (an entas command), "job" (the background worker); "" when unknown.
channel: ContextVar[str] = ContextVar("entas_channel", default="")
# The operating-system account that ran a command (shell access is administrator access).
os_user: ContextVar[str] = ContextVar("entas_os_user", default="")
