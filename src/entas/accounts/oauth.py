"""OAuth 2.0 client credentials for system-to-system calls (RFC 6749 §4.4), with signed JWTs.

A **client** belongs to a service account. At ``POST /api/v1/oauth/token`` it proves who it is

- with its **secret** (``client_secret_basic``: HTTP Basic; ``client_secret_post``: form fields).
  The secret (``ecs_…``, 256 random bits) is shown once; only its SHA-256 is kept, as for API tokens;
- or with a **signed assertion** (``private_key_jwt``, RFC 7523 §2.2): a JWT it signs with a key of
  its registered public JWKS, ``iss`` = ``sub`` = its client id, ``aud`` the token endpoint's URL (or
  the issuer), an ``exp`` at most :data:`MAX_ASSERTION_SECONDS` ahead and a ``jti`` that is never
  accepted twice (each used ``jti`` is kept until the assertion expires: a replay is refused).

It receives an **access token**: a JWT (``typ`` ``at+jwt``, RFC 9068) signed with entas's own key,
the one published in the JWKS at ``/dci/.well-known/jwks.json``, valid :func:`lifetime` seconds
(never past the client's expiry), carrying ``client_id`` and the granted ``scope`` (the client's
scopes, or fewer when it asks for fewer). Every API call with it looks the client up: a revoked or
expired client, or a deactivated account, stops its tokens at once.

This app sits below the key machinery (:mod:`entas.interop.keys`), so the signing and the public
keys are plugged in by the API app (:func:`use_keys`, from ``entas.api.apps``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import secrets
import string
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from entas.core import audit
from entas.core.errors import Problem, Refused
from entas.core.services import service

from . import scopes as scope_rules
from .models import OAuthAssertion, OAuthClient, User
from .roles import Capability

GRANT_TYPE = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 (a JWT type, RFC 9068)
# What a client may sign its assertion with: asymmetric only (no "none", no HMAC).
ASSERTION_ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"]
MAX_ASSERTION_SECONDS = 300
LEEWAY = 30
MAX_DAYS = 3650
_ALPHABET = string.ascii_lowercase + string.digits


# -- the keys (plugged in by the API app) ---------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    """How access tokens are signed (``sign(claims, typ=…)`` → compact JWT) and checked
    (``public_key(kid)`` → a joserfc key, or None)."""

    sign: Callable[..., str]
    public_key: Callable[[str], Any]


_keys: Keys | None = None


def use_keys(sign: Callable[..., str], public_key: Callable[[str], Any]) -> None:
    global _keys
    _keys = Keys(sign, public_key)


def _installed_keys() -> Keys:
    if _keys is None:
        raise RuntimeError("No signing keys: entas.api plugs them in (entas.accounts.oauth.use_keys).")
    return _keys


def issuer() -> str:
    """Who issues the access tokens: the installation's identifier (``ENTAS_DCI_ID``)."""
    return str(settings.ENTAS_DCI_ID)


def audience() -> str:
    """The audience of API access tokens: not the DCI interface's (a DCI token is no API token)."""
    return f"{issuer()}/api"


def lifetime() -> int:
    """Seconds an access token lives (``ENTAS_OAUTH_TOKEN_SECONDS``, 60 to 3600; default 600)."""
    return max(60, min(3600, int(getattr(settings, "ENTAS_OAUTH_TOKEN_SECONDS", 600))))


# -- managing clients -----------------------------------------------------------------------------


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewClient:
    """A client just created: the row and, this once, its secret (None for a key-only client)."""

    client: OAuthClient
    secret: str | None


def status(client: OAuthClient, *, now: dt.datetime | None = None) -> str:
    if client.revoked_at is not None:
        return "revoked"
    if client.expires_at is not None and client.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def auth_methods(client: OAuthClient) -> list[str]:
    methods = []
    if client.secret_hash:
        methods += ["client_secret_basic", "client_secret_post"]
    if client.jwks.get("keys"):
        methods.append("private_key_jwt")
    return methods


def snapshot(client: OAuthClient) -> dict[str, Any]:
    """What may be shown of a client (never its secret or hash)."""
    return {
        "id": client.pk,
        "client_id": client.client_id,
        "user": client.user.username,
        "name": client.name,
        "scopes": list(client.scopes),
        "auth_methods": auth_methods(client),
        "key_ids": [str(k.get("kid", "")) for k in client.jwks.get("keys", [])],
        "rate_limit": client.rate_limit,
        "created_at": _iso(client.created_at),
        "expires_at": _iso(client.expires_at),
        "revoked_at": _iso(client.revoked_at),
        "last_used_at": _iso(client.last_used_at),
        "status": status(client),
    }


def clients_for(actor: User) -> QuerySet[OAuthClient]:
    """The clients ``actor`` sees: an administrator sees every one; others none (clients are for
    service accounts, which administrators manage)."""
    qs = OAuthClient.objects.select_related("user")
    return qs if actor.is_active and actor.can(Capability.MANAGE_USERS) else qs.none()


def _public_jwks(data: Any) -> dict[str, Any]:
    """A JWK or a JWKS of public signing keys, as a JWKS; raises ValueError saying what is wrong."""
    if not isinstance(data, dict):
        raise ValueError(_("The public key must be a JWK or a JWKS (a JSON object)."))
    listed = data.get("keys") if "keys" in data else [data]
    if not isinstance(listed, list) or not listed:
        raise ValueError(_("The JWKS holds no key."))
    for key in listed:
        if not isinstance(key, dict) or key.get("kty") not in {"EC", "RSA", "OKP"}:
            raise ValueError(_("Only EC, RSA or OKP public keys can sign assertions."))
        if any(part in key for part in ("d", "p", "q", "dp", "dq", "qi", "k")):
            raise ValueError(_("This is a private key: register the public half only."))
    try:
        KeySet.import_key_set({"keys": listed})
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(_("The public key cannot be read: %(error)s") % {"error": exc}) from None
    return {"keys": listed}


def _new_client_id() -> str:
    return "ecl_" + "".join(secrets.choice(_ALPHABET) for _ in range(20))


@service
def create_client(
    *,
    actor: User,
    user: User,
    name: str,
    scopes: list[str] | str,
    expires_days: int | None = None,
    jwks: Any = None,
    with_secret: bool = True,
    rate_limit: int | None = None,
) -> NewClient:
    """A new OAuth client of the service account ``user``: with a secret (returned this once) and/or
    the public keys it signs assertions with."""
    if not (actor.is_active and actor.can(Capability.MANAGE_USERS)):
        raise Refused(_("Only an administrator manages OAuth clients."), code="forbidden")
    issues: list[Problem] = []
    if not user.is_service_account:
        issues.append(Problem("user", _("OAuth clients belong to service accounts.")))
    elif not user.is_active:
        issues.append(Problem("user", _("This account is deactivated.")))
    try:
        granted = scope_rules.parse(scopes)
    except ValueError as exc:
        issues.append(Problem("scopes", _("Unknown scopes: %(scopes)s.") % {"scopes": exc}))
        granted = []
    else:
        if not granted:
            issues.append(Problem("scopes", _("Choose at least one scope.")))
    name = (name or "").strip()
    if not name:
        issues.append(Problem("name", _("Give the client a name.")))
    if expires_days is not None and not 1 <= expires_days <= MAX_DAYS:
        issues.append(Problem("expires_days", _("A client expires after 1 to %(max)d days.") % {"max": MAX_DAYS}))
    if rate_limit is not None and rate_limit < 1:
        issues.append(Problem("rate_limit", _("At least one request per minute.")))
    keyset: dict[str, Any] = {}
    if jwks:
        try:
            keyset = _public_jwks(jwks)
        except ValueError as exc:
            issues.append(Problem("jwks", str(exc)))
    if not with_secret and not jwks:
        issues.append(Problem("jwks", _("A client without a secret needs a public key.")))
    if issues:
        raise Refused(issues[0].message, code="invalid", issues=issues)
    secret = "ecs_" + secrets.token_urlsafe(32) if with_secret else None
    client = OAuthClient.objects.create(
        user=user,
        name=name[:100],
        client_id=_new_client_id(),
        secret_hash=digest(secret) if secret else "",
        jwks=keyset,
        scopes=granted,
        rate_limit=rate_limit,
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=expires_days) if expires_days else None,
    )
    audit.record(actor=actor, action="oauth_client.create", obj=client, after=snapshot(client))
    return NewClient(client, secret)


@service
def revoke_client(*, actor: User, client: OAuthClient) -> OAuthClient:
    """Stop ``client`` for good, and with it every access token it was given."""
    if not (actor.is_active and actor.can(Capability.MANAGE_USERS)):
        raise Refused(_("Only an administrator manages OAuth clients."), code="forbidden")
    if client.revoked_at is not None:
        return client
    client.revoked_at = timezone.now()
    client.revoked_by = actor
    client.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(actor=actor, action="oauth_client.revoke", obj=client, after={"revoked_at": _iso(client.revoked_at)})
    return client


# -- the token endpoint ---------------------------------------------------------------------------


class OAuthError(Exception):
    """An RFC 6749 §5.2 error: ``error`` code, a description, and the HTTP status (400, or 401 for
    ``invalid_client``)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = 401 if error == "invalid_client" else 400

    def as_dict(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def _basic(authorization: str) -> tuple[str, str] | None:
    """client_id and secret of an HTTP Basic header (each form-urlencoded, RFC 6749 §2.3.1)."""
    if not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "The Basic credentials cannot be read.") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "The Basic credentials cannot be read.")
    return unquote_plus(client_id), unquote_plus(secret)


def _live_client(client_id: str) -> OAuthClient:
    client = OAuthClient.objects.select_related("user").filter(client_id=client_id).first()
    if client is None or status(client) != "active" or not client.user.is_active:
        raise OAuthError("invalid_client", "Unknown, expired or revoked client.")
    return client


def _by_secret(client_id: str, secret: str) -> OAuthClient:
    client = _live_client(client_id)
    if not client.secret_hash or not hmac.compare_digest(client.secret_hash, digest(secret)):
        raise OAuthError("invalid_client", "The client's credentials are not valid.")
    return client


def _assertion_key(client: OAuthClient) -> Callable[[Any], Any]:
    keys = KeySet.import_key_set(client.jwks)

    def resolve(obj: Any) -> Any:
        kid = obj.headers().get("kid")
        if kid:
            return keys.get_by_kid(kid)
        if len(keys.keys) == 1:
            return keys.keys[0]
        raise OAuthError("invalid_client", "The assertion names no key (kid).")

    return resolve


def _by_assertion(assertion: str, client_id: str | None, token_url: str, now: int) -> tuple[OAuthClient, str, int]:
    """The client a ``private_key_jwt`` assertion proves, its jti and expiry (not yet recorded)."""
    try:
        claimed = json.loads(jws.extract_compact(assertion.encode()).payload)
    except (JoseError, ValueError, TypeError):
        raise OAuthError("invalid_client", "The client assertion is not a JWT.") from None
    if not isinstance(claimed, dict) or not isinstance(claimed.get("iss"), str):
        raise OAuthError("invalid_client", "The client assertion names no issuer.")
    if client_id is not None and client_id != claimed["iss"]:
        raise OAuthError("invalid_client", "client_id is not the assertion's issuer.")
    client = _live_client(claimed["iss"])
    if not client.jwks.get("keys"):
        raise OAuthError("invalid_client", "This client has no registered public key.")
    try:
        token = jwt.decode(assertion, _assertion_key(client), algorithms=ASSERTION_ALGORITHMS)
        claims = dict(token.claims)
        jwt.JWTClaimsRegistry(
            now=now,
            leeway=LEEWAY,
            iss={"essential": True, "value": client.client_id},
            sub={"essential": True, "value": client.client_id},
            aud={"essential": True, "values": [token_url, issuer()]},
            exp={"essential": True},
            jti={"essential": True},
        ).validate(claims)
    except OAuthError:
        raise
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise OAuthError("invalid_client", f"The client assertion is not valid: {exc}"[:200]) from None
    expires = int(claims["exp"])
    if expires > now + MAX_ASSERTION_SECONDS + LEEWAY:
        raise OAuthError("invalid_client", f"The assertion must expire within {MAX_ASSERTION_SECONDS} seconds.")
    jti = str(claims["jti"])
    if not jti or len(jti) > 200:
        raise OAuthError("invalid_client", "The assertion's jti is empty or too long.")
    return client, jti, expires


def _requested_scopes(client: OAuthClient, text: str | None) -> list[str]:
    """The scopes to grant: the client's own, or the narrower set it asks for (space-separated)."""
    if text is None or not text.strip():
        return list(client.scopes)
    items = text.split()
    unknown = [s for s in items if s not in scope_rules.ALL]
    if unknown:
        raise OAuthError("invalid_scope", f"Unknown scopes: {' '.join(unknown)}.")
    beyond = [s for s in items if not scope_rules.allows(client.scopes, s.split(":")[0], write=s.endswith(":write"))]
    if beyond:
        raise OAuthError("invalid_scope", f"Scopes beyond this client's: {' '.join(beyond)}.")
    return scope_rules.parse(items)


@service
def _record_grant(*, client: OAuthClient, jti: str | None, assertion_expires: int | None, scope: str) -> None:
    """Note the grant: the assertion's jti (refused if seen before), the client's last use, the audit."""
    moment = timezone.now()
    if jti is not None and assertion_expires is not None:
        OAuthAssertion.objects.filter(expires_at__lt=moment - dt.timedelta(seconds=LEEWAY)).delete()
        try:
            with transaction.atomic():
                OAuthAssertion.objects.create(
                    client=client,
                    jti=jti,
                    expires_at=dt.datetime.fromtimestamp(assertion_expires, tz=dt.UTC),
                )
        except IntegrityError:
            raise OAuthError("invalid_client", "This assertion was already used (jti).") from None
    OAuthClient.objects.filter(pk=client.pk).update(last_used_at=moment)
    audit.record(
        actor=client.user,
        action="oauth.token",
        obj=client,
        after={"client_id": client.client_id, "scope": scope, "method": "private_key_jwt" if jti else "secret"},
    )


def grant(form: dict[str, str], *, authorization: str = "", token_url: str) -> dict[str, Any]:
    """Answer a token request (its form fields and Authorization header) with RFC 6749 §5.1's JSON,
    or raise :class:`OAuthError` (§5.2)."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is missing.")
    if grant_type != GRANT_TYPE:
        raise OAuthError("unsupported_grant_type", "Only the client_credentials grant is supported.")
    now = int(time.time())
    basic = _basic(authorization)
    assertion = form.get("client_assertion")
    posted_secret = form.get("client_secret")
    methods = sum(1 for m in (basic, assertion, posted_secret) if m)
    if methods > 1:
        raise OAuthError("invalid_request", "Use one way of client authentication.")
    jti: str | None = None
    assertion_expires: int | None = None
    if basic is not None:
        client = _by_secret(*basic)
    elif assertion:
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise OAuthError("invalid_client", f"client_assertion_type must be {ASSERTION_TYPE}.")
        client, jti, assertion_expires = _by_assertion(assertion, form.get("client_id"), token_url, now)
    elif posted_secret and form.get("client_id"):
        client = _by_secret(form["client_id"], posted_secret)
    else:
        raise OAuthError("invalid_client", "Client authentication is missing.")
    granted = _requested_scopes(client, form.get("scope"))
    scope = " ".join(granted)
    expires_in = lifetime()
    if client.expires_at is not None:
        expires_in = max(1, min(expires_in, int(client.expires_at.timestamp()) - now))
    _record_grant(client=client, jti=jti, assertion_expires=assertion_expires, scope=scope)
    claims = {
        "iss": issuer(),
        "aud": audience(),
        "sub": client.client_id,
        "client_id": client.client_id,
        "scope": scope,
        "iat": now,
        "nbf": now,
        "exp": now + expires_in,
        "jti": uuid.uuid4().hex,
    }
    token = _installed_keys().sign(claims, typ=ACCESS_TOKEN_TYP)
    return {"access_token": token, "token_type": "Bearer", "expires_in": expires_in, "scope": scope}


# -- checking an access token on an API call ------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """A valid access token: its client (with the account) and the scopes it carries."""

    client: OAuthClient
    scopes: list[str]


def looks_like_jwt(value: str) -> bool:
    return value.count(".") == 2 and value.startswith("ey")


def check_access_token(value: str, *, now: int | None = None) -> Access | None:
    """The client and scopes of one of our valid API access tokens, or None: a bad signature, another
    key, another audience or issuer, expired, not an access token (``typ``), or a client that is no
    longer active (revoked, expired, its account deactivated)."""
    if not looks_like_jwt(value):
        return None
    keys = _installed_keys()

    def resolve(obj: Any) -> Any:
        header = obj.headers()
        if header.get("typ") != ACCESS_TOKEN_TYP:
            raise ValueError("not an access token")
        key = keys.public_key(str(header.get("kid", "")))
        if key is None:
            raise ValueError("unknown key")
        return key

    try:
        token = jwt.decode(value, resolve, algorithms=["ES256"])
        claims = dict(token.claims)
        jwt.JWTClaimsRegistry(
            now=now,
            leeway=5,
            iss={"essential": True, "value": issuer()},
            aud={"essential": True, "value": audience()},
            exp={"essential": True},
            client_id={"essential": True},
        ).validate(claims)
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    client = OAuthClient.objects.select_related("user").filter(client_id=str(claims["client_id"])).first()
    if client is None or status(client) != "active" or not client.user.is_active:
        return None
    carried = str(claims.get("scope", "")).split()
    # Only what the client may still do: write includes read, as for tokens.
    kept = [
        s
        for s in carried
        if s in scope_rules.ALL and scope_rules.allows(client.scopes, s.split(":")[0], write=s.endswith(":write"))
    ]
    return Access(client, kept)
