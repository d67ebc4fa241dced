"""The pure rules of webhook deliveries: the signature and the retry schedule (no database)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

SIGNATURE_HEADER = "X-Entas-Signature"
# Attempts in all (the first and its retries), and the wait before retry n: 1, 2, 4, 8… minutes.
MAX_ATTEMPTS = 8
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
# A receiver refuses a signature older than this (the replay window the docs recommend).
TOLERANCE_SECONDS = 300
# How long, after a rotation, the previous secret still signs beside the new one (hours).
DEFAULT_OVERLAP_HOURS = 24
MAX_OVERLAP_HOURS = 24 * 14


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes, *, previous: str = "") -> str:
    """The signature header's value: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``. While a
    rotated secret's overlap lasts (``previous``), a second ``v1`` under the previous secret follows
    the current one: a receiver accepts the message when any ``v1`` matches its secret."""
    value = f"t={timestamp},v1={_mac(secret, timestamp, body)}"
    return value + (f",v1={_mac(previous, timestamp, body)}" if previous else "")


def signatures(header: str) -> tuple[int | None, list[str]]:
    """The timestamp and every ``v1`` signature of a signature header."""
    pairs = [p.strip().split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in pairs if k == "t"]
    try:
        timestamp = int(stamps[0]) if stamps else None
    except ValueError:
        timestamp = None
    return timestamp, [v for k, v in pairs if k == "v1"]


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does (docs/webhooks.md has the same in a few lines): the timestamp is recent and the
    HMAC of one of its ``v1`` signatures matches, compared in constant time."""
    timestamp, macs = signatures(header)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    return any(hmac.compare_digest(expected, mac) for mac in macs)


def previous_signs(previous: str, until: datetime | None, now: datetime) -> bool:
    """Whether a rotated-out secret still signs at ``now`` (its overlap window is open)."""
    return bool(previous) and until is not None and now < until


def retry_delay(attempts: int) -> timedelta | None:
    """After ``attempts`` failed attempts, how long to wait before the next; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return min(FIRST_DELAY * 2 ** (attempts - 1), MAX_DELAY)


def succeeded(status: int | None) -> bool:
    return status is not None and 200 <= status < 300
