"""Per-user limits on actions whose repetition is itself the harm: each answer is harmless, a
thousand of them are an enumeration (which NIKs the registry holds outside one's own kelurahan).

A limit is "at most ``count`` times in ``seconds``", per user and action, configured in
``settings.ENTAS_RATE_LIMITS`` (``{"registry.lookup_outside_area": "20/hour"}``). What a limit
counts is the user's *audit events* of that action: the thing limited is the thing audited, so the
counter cannot drift from the trail, survives restarts and is shared by every process, and no
table of its own is needed. The window slides (the last ``seconds`` before now).

A caller checks with :func:`ensure_allowed` *before* it looks anything up, so that the refusal never
depends on the answer, and records each counted action with ``audit.record(action=...)``. A refusal
is itself audited (``ratelimit.refused``); a service that refuses should return the refusal from its
transaction, and raise it after the commit, so that neither event is rolled back with the refusal.

Two concurrent requests may both pass a check at ``count - 1`` (the check and the record are not one
statement): a limit may be exceeded by the number of a user's simultaneous requests, not more.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .errors import Refused
from .models import AuditEvent

if TYPE_CHECKING:
    from entas.accounts.models import User

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
SPEC = re.compile(r"^\s*(\d+)\s*/\s*(?:(\d+)|(second|minute|hour|day))s?\s*$")


@dataclass(frozen=True)
class Limit:
    """At most ``count`` times within ``seconds``."""

    count: int
    seconds: int

    @property
    def minutes(self) -> int:
        return max(1, round(self.seconds / 60))


def parse(spec: str) -> Limit:
    """``"20/hour"``, ``"5/minute"``, ``"100/86400"`` (seconds) → a :class:`Limit`."""
    match = SPEC.match(spec)
    if match is None:
        raise ImproperlyConfigured(
            f"A rate limit is written COUNT/UNIT (UNIT: second, minute, hour, day or a number of seconds), not {spec!r}"
        )
    count, seconds, unit = match.groups()
    window = int(seconds) if seconds else UNITS[unit]
    if window <= 0:
        raise ImproperlyConfigured(f"The window of rate limit {spec!r} must be positive")
    return Limit(int(count), window)


def limit_for(action: str) -> Limit | None:
    """The configured limit of ``action``, or None when it is not limited."""
    spec = getattr(settings, "ENTAS_RATE_LIMITS", {}).get(action)
    if not spec:
        return None
    return spec if isinstance(spec, Limit) else parse(str(spec))


def used(user: User, action: str, limit: Limit, *, now: dt.datetime | None = None) -> int:
    """How often ``user`` did ``action`` within the limit's window (their audit events of it)."""
    since = (now or timezone.now()) - dt.timedelta(seconds=limit.seconds)
    return AuditEvent.objects.filter(actor=user, action=action, at__gte=since).count()


def remaining(user: User | None, action: str) -> int | None:
    """How many more times ``user`` may do ``action`` now; None when unlimited."""
    limit = limit_for(action)
    if limit is None or user is None or not user.is_authenticated:
        return None
    return max(0, limit.count - used(user, action, limit))


def ensure_allowed(user: User | None, action: str, *, message: str = "", region_code: str = "") -> None:
    """Refuse (code ``too_many``) when ``user`` has done ``action`` as often as its limit allows.

    ``message`` may use ``%(count)d`` and ``%(minutes)d``. The refusal is audited as
    ``ratelimit.refused``; the caller decides whether that event commits (see the module's note).
    """
    limit = limit_for(action)
    if limit is None or user is None or not user.is_authenticated:
        return
    if used(user, action, limit) < limit.count:
        return
    raise refusal(user, action, message=message, region_code=region_code)


def refusal(user: User, action: str, *, message: str = "", region_code: str = "") -> Refused:
    """The (audited) refusal of one more ``action`` by ``user``, for a caller that has found the limit
    exceeded itself (an import that met more numbers than the user has left)."""
    limit = limit_for(action) or Limit(0, 60)
    values: dict[str, Any] = {"count": limit.count, "minutes": limit.minutes}
    audit.record(
        actor=user,
        action="ratelimit.refused",
        object_type="ratelimit",
        object_repr=action,
        region_code=region_code,
        after={"action": action, "limit": limit.count, "seconds": limit.seconds},
    )
    text = message or _("You did this too often: at most %(count)d times in %(minutes)d minutes. Try again later.")
    return Refused(text % values, code="too_many")
