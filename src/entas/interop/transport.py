"""The HTTP calls the DCI interface makes: fetching a caller's JWKS and posting callbacks. One place,
with timeouts, so that tests replace it and nothing else opens a connection."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT = 10


def _checked(url: str) -> str:
    """Only http(s): a registered URL never opens a local file."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url


def fetch_json(url: str) -> Any:
    """GET a JSON document (a caller's JWKS)."""
    request = urllib.request.Request(_checked(url), headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
        return json.loads(response.read(1_000_000))


def post_json(url: str, body: dict[str, Any]) -> str:
    """POST a DCI message to a caller's callback; returns the HTTP status, or the error, as text."""
    data = json.dumps(body, ensure_ascii=False).encode()
    try:
        request = urllib.request.Request(  # noqa: S310
            _checked(url), data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return str(response.status)
    except urllib.error.HTTPError as exc:
        return str(exc.code)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"error: {exc}"[:200]
