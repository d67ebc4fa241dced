"""The login lockout: two limits over django-axes' failed-login records.

Axes counts failures for each entry of ``AXES_LOCKOUT_PARAMETERS`` and locks when the largest count
reaches one limit. entas keys failures on (username, client address) with a tight limit and on the
username alone with a softer one: behind a reverse proxy every client used to share the proxy's
address, and five wrong passwords from anyone locked any named account (the administrator's too) for
everyone; keyed on the real client address, one guesser locks only themselves, and a guesser spread
over many addresses still meets the per-account limit.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


class LoginLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter.

    ``AXES_LOCKOUT_PARAMETERS`` is ``[["username", "ip_address"], "username"]``; their limits are
    ``AXES_FAILURE_LIMIT`` and ``ENTAS_LOGIN_ACCOUNT_FAILURE_LIMIT``. Axes compares one number with
    ``AXES_FAILURE_LIMIT``, so the account's count is expressed on that scale: with integers,
    ``account * pair_limit // account_limit >= pair_limit`` exactly when ``account >= account_limit``.
    """

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        pair_limit = int(settings.AXES_FAILURE_LIMIT)
        limits = [pair_limit, int(settings.ENTAS_LOGIN_ACCOUNT_FAILURE_LIMIT)]
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        if len(counts) != len(limits):
            raise RuntimeError("AXES_LOCKOUT_PARAMETERS must be [['username', 'ip_address'], 'username']")
        return max(count * pair_limit // limit for count, limit in zip(counts, limits, strict=True))
