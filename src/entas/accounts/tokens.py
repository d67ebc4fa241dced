"""API tokens: creating, revoking and checking them, and their rate limit.

A token reads ``entas_<prefix>_<secret>``: the prefix (10 characters) finds its row, the secret (43
characters, 256 random bits) proves it. Only the SHA-256 of the whole token is stored: with 256 bits
of randomness a slow password hash adds nothing, and a fast one keeps every API call cheap. The
token is shown once, by :func:`create_token`'s caller; nobody can read it back.

Who may do what: everybody may create and revoke their own tokens; an administrator
(``users.manage``) creates and revokes the tokens of service accounts and revokes anybody's. A
token's scopes narrow its user's rights, never widen them (see :mod:`entas.accounts.scopes`).
Every creation and revocation is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.core import audit
from entas.core.errors import Problem, Refused

from . import scopes as scope_rules
from .models import ApiToken, User
from .roles import Capability, Role

PREFIX_LENGTH = 10
MAX_DAYS = 3650
_ALPHABET = string.ascii_lowercase + string.digits


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_secret() -> tuple[str, str]:
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(PREFIX_LENGTH))
    return prefix, f"entas_{prefix}_{secrets.token_urlsafe(32)}"


def split(token: str) -> str | None:
    """The prefix of a well-formed token, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "entas" or len(parts[1]) != PREFIX_LENGTH or not parts[2]:
        return None
    return parts[1]


@dataclass(frozen=True)
class NewToken:
    """A token just created: the row and, this once, the secret."""

    token: ApiToken
    secret: str


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def snapshot(token: ApiToken) -> dict[str, Any]:
    """What may be shown of a token (never its secret or hash); times as ISO 8601."""
    return {
        "id": token.pk,
        "user": token.user.username,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": list(token.scopes),
        "rate_limit": token.rate_limit,
        "created_at": _iso(token.created_at),
        "expires_at": _iso(token.expires_at),
        "revoked_at": _iso(token.revoked_at),
        "last_used_at": _iso(token.last_used_at),
        "status": status(token),
    }


def status(token: ApiToken, *, now: dt.datetime | None = None) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


def may_manage(actor: User, owner: User) -> bool:
    """Whether ``actor`` may create and revoke tokens of ``owner``."""
    if not actor.is_active:
        return False
    if actor.pk == owner.pk:
        return not owner.is_service_account
    return owner.is_service_account and actor.can(Capability.MANAGE_USERS)


def tokens_for(actor: User) -> QuerySet[ApiToken]:
    """The tokens ``actor`` sees: their own, and an administrator's view of every service account's."""
    qs = ApiToken.objects.select_related("user")
    if actor.can(Capability.MANAGE_USERS):
        return qs.filter(user__is_service_account=True) | qs.filter(user=actor)
    return qs.filter(user=actor)


def service_accounts() -> QuerySet[User]:
    return User.objects.filter(is_service_account=True).order_by("username")


def create_token(
    *,
    actor: User,
    user: User,
    name: str,
    scopes: list[str] | str,
    expires_days: int | None = None,
    rate_limit: int | None = None,
) -> NewToken:
    """A new token of ``user``; the returned secret is the only copy."""
    if not may_manage(actor, user):
        raise Refused(_("You may not create tokens for this account."), code="forbidden")
    if not user.is_active:
        raise Refused(_("This account is deactivated."), code="invalid", issues=[Problem("user", _("Deactivated."))])
    try:
        granted = scope_rules.parse(scopes)
    except ValueError as exc:
        message = _("Unknown scopes: %(scopes)s.") % {"scopes": exc}
        raise Refused(message, code="invalid", issues=[Problem("scopes", message)]) from None
    if not granted:
        message = _("Choose at least one scope.")
        raise Refused(message, code="invalid", issues=[Problem("scopes", message)])
    name = (name or "").strip()
    if not name:
        message = _("Give the token a name.")
        raise Refused(message, code="invalid", issues=[Problem("name", message)])
    if expires_days is not None and not 1 <= expires_days <= MAX_DAYS:
        message = _("A token expires after 1 to %(max)d days.") % {"max": MAX_DAYS}
        raise Refused(message, code="invalid", issues=[Problem("expires_days", message)])
    if rate_limit is not None and rate_limit < 1:
        message = _("At least one request per minute.")
        raise Refused(message, code="invalid", issues=[Problem("rate_limit", message)])
    prefix, secret = _new_secret()
    expires_at = timezone.now() + dt.timedelta(days=expires_days) if expires_days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            prefix=prefix,
            secret_hash=digest(secret),
            scopes=granted,
            rate_limit=rate_limit,
            created_by=actor,
            expires_at=expires_at,
        )
        audit.record(actor=actor, action="api_token.create", obj=token, after=snapshot(token))
    return NewToken(token, secret)


def revoke_token(*, actor: User, token: ApiToken) -> ApiToken:
    """Stop ``token`` for good (revoking a revoked token changes nothing)."""
    if not (may_manage(actor, token.user) or actor.can(Capability.MANAGE_USERS)):
        raise Refused(_("You may not revoke this token."), code="forbidden")
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(actor=actor, action="api_token.revoke", obj=token, after={"revoked_at": _iso(token.revoked_at)})
    return token


def create_service_account(*, actor: User, username: str, role: str, areas: Any = (), organisation: str = "") -> User:
    """An account for another system: it cannot log in (no usable password) and works with tokens."""
    if not actor.can(Capability.MANAGE_USERS):
        raise Refused(_("Your role does not allow this."), code="forbidden")
    username = (username or "").strip()
    if not username:
        message = _("Give the account a name.")
        raise Refused(message, code="invalid", issues=[Problem("username", message)])
    if User.objects.filter(username=username).exists():
        message = _("This user name is taken.")
        raise Refused(message, code="invalid", issues=[Problem("username", message)])
    if role not in Role.values:
        message = _("Unknown role.")
        raise Refused(message, code="invalid", issues=[Problem("role", message)])
    with transaction.atomic():
        user = User(username=username, role=role, organisation=organisation, is_service_account=True)
        user.set_unusable_password()
        user.save()
        user.areas.set(areas)
        audit.record(
            actor=actor,
            action="user.create_service_account",
            obj=user,
            after={"username": username, "role": role, "areas": sorted(a.code for a in user.areas.all())},
        )
    return user


# -- checking a presented token -------------------------------------------------------------------


class Throttled(Refused):
    """Too many requests with one token: 429 with ``Retry-After`` (seconds)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            _("Too many requests with this token. Try again in %(seconds)d seconds.") % {"seconds": retry_after},
            code="too_many",
        )
        self.retry_after = retry_after


def authenticate(secret: str, *, client_ip: str | None = None, now: dt.datetime | None = None) -> ApiToken | None:
    """The live token ``secret`` names (its user loaded), or None: unknown, wrong secret, expired,
    revoked, or its user deactivated. Notes the last use (at most once a minute, to spare writes)."""
    prefix = split(secret)
    if prefix is None:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, digest(secret)):
        return None
    now = now or timezone.now()
    if status(token, now=now) != "active" or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=client_ip)
        token.last_used_at, token.last_used_ip = now, client_ip
    return token


def default_rate_limit() -> int:
    return int(getattr(settings, "ENTAS_API_TOKEN_RATE_LIMIT", 600))


def throttle(token: ApiToken, *, now: float | None = None) -> None:
    """Count one request of ``token``; raise :class:`Throttled` past its limit (see :func:`count`)."""
    count(f"api-token:{token.pk}", token.rate_limit or default_rate_limit(), now=now)


def count(subject: str, limit: int, *, now: float | None = None, store: Any = None) -> None:
    """Count one request of ``subject`` (a token, an OAuth client) in the current minute in the
    shared cache (``store``: Django's default cache, ``ENTAS_CACHE_URL``); raise :class:`Throttled`
    past ``limit``. A fixed window of 60 s: a client may send at most twice its limit across the
    turn of a minute. The cache is shared by every server process (the database cache by default,
    or Redis), so the limit holds across gunicorn's workers; a per-process cache (``locmem://``)
    would multiply it by the processes."""
    store = cache if store is None else store
    moment = timezone.now().timestamp() if now is None else now
    window = int(moment // 60)
    key = f"entas:rate:{subject}:{window}"
    try:
        seen = store.incr(key)  # the usual case: the minute's counter exists (one step in Redis)
    except ValueError:  # the minute's first request; or another process's add won the race
        seen = 1 if store.add(key, 1, timeout=120) else store.incr(key)
    if seen > limit:
        raise Throttled(max(1, int((window + 1) * 60 - moment)))
