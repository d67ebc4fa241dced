"""The HTTP calls the DCI interface makes: fetching a caller's JWKS and posting callbacks. One place,
with timeouts, so that tests replace it and nothing else opens a connection."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT = 10


def fetch_json(url: str) -> Any:
    """GET a JSON document (a caller's JWKS)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310  (an https URL an administrator registered)
        return json.loads(response.read(1_000_000))


def post_json(url: str, body: dict[str, Any]) -> str:
    """POST a DCI message to a caller's callback; returns the HTTP status, or the error, as text."""
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return str(response.status)
    except urllib.error.HTTPError as exc:
        return str(exc.code)
    except (urllib.error.URLError, OSError) as exc:
        return f"error: {exc}"[:200]
