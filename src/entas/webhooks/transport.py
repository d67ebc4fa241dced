"""The one place webhook deliveries leave the server: a POST through urllib with a timeout, so that
tests replace :func:`post` and nothing else opens a connection."""

from __future__ import annotations

import urllib.error
import urllib.request

TIMEOUT = 10


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST ``body``; the HTTP status (None when there was no answer) and an error text, if any."""
    if not url.startswith(("https://", "http://")):
        return None, f"not an http(s) URL: {url[:100]}"
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            response.read(10_000)
            return int(response.status), ""
    except urllib.error.HTTPError as exc:
        return int(exc.code), f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]
