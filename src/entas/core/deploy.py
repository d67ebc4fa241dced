"""Is a configuration safe to serve? The rule ``entas serve`` applies before it starts (pure: no Django).

Refused, each with its reason: debug on (an error would show code, settings and the request to
whoever caused it); the development secret key, or one short enough to guess (sessions and
password-reset links would be forgeable); no allowed host names, ``*``, or only this machine's
names while listening on the network (Host-header attacks; a server nobody can reach by name).
"""

from __future__ import annotations

import ipaddress

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1", "testserver"}
MINIMUM_SECRET_LENGTH = 32


def _loopback(bind: str) -> bool:
    if bind.startswith("unix:"):
        return True  # a socket file: only a local reverse proxy reaches it
    host = bind.rsplit(":", 1)[0].strip("[]") if ":" in bind else bind
    if host in {"localhost", ""}:
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unsafe_reasons(*, debug: bool, secret_key: str, allowed_hosts: list[str], bind: str) -> list[str]:
    """Why serving with these settings would be unsafe (empty: safe)."""
    reasons = []
    if debug:
        reasons.append(
            "debug is on (ENTAS_DEBUG=1): an error would show code and settings to the visitor; unset ENTAS_DEBUG"
        )
    if secret_key.startswith("django-insecure") or len(secret_key) < MINIMUM_SECRET_LENGTH:
        reasons.append(
            "the secret key is the development key or shorter than 32 characters: unset ENTAS_SECRET_KEY "
            "(entas then generates var/secret_key) or set a long random one"
        )
    if not allowed_hosts or "*" in allowed_hosts:
        reasons.append("no allowed host names (ENTAS_ALLOWED_HOSTS is empty or '*'): name the server's host names")
    elif set(allowed_hosts) <= LOCAL_HOSTS and not _loopback(bind):
        reasons.append(
            f"listening on {bind} but ENTAS_ALLOWED_HOSTS names only this machine: set it to the host names "
            "people use (e.g. entas.balikpapan.go.id)"
        )
    return reasons
