"""The pure rules of webhook deliveries: the signature and the retry schedule (no database)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

SIGNATURE_HEADER = "X-Entas-Signature"
# Attempts in all (the first and its retries), and the wait before retry n: 1, 2, 4, 8… minutes.
MAX_ATTEMPTS = 8
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
# A receiver refuses a signature older than this (the replay window the docs recommend).
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does (docs/webhooks.md has the same in a few lines): the timestamp is recent and the
    HMAC matches, compared in constant time."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def retry_delay(attempts: int) -> timedelta | None:
    """After ``attempts`` failed attempts, how long to wait before the next; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return min(FIRST_DELAY * 2 ** (attempts - 1), MAX_DELAY)


def succeeded(status: int | None) -> bool:
    return status is not None and 200 <= status < 300
