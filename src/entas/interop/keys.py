"""This registry's signing keys and the JOSE operations of the DCI interface (joserfc).

- Our keys: EC P-256 pairs (ES256). The private half is a PEM file in ``ENTAS_DCI_KEY_DIR`` (mode
  0600), encrypted with ``ENTAS_DCI_KEY_PASSPHRASE`` (else the installation's secret key): never in
  the database, never in git. The database keeps the public JWK, published as our JWKS.
- Message signatures: the ``signature`` of a DCI message is a compact JWS with a **detached
  payload** (RFC 7515 appendix F) over the canonical JSON of ``{"header": …, "message": …}`` (keys
  sorted, no spaces, UTF-8). Its protected header names the key (``kid``) in the sender's JWKS.
  A JWS carrying the payload is accepted too when that payload is the same header and message.
- Access tokens: JWTs we sign (``/dci/oauth2/client/token``) and check on every call.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from .models import SigningKey

# What callers may sign with (no "none", no HMAC: a shared secret is not a signature of the sender).
ALLOWED_ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"]
TOKEN_LIFETIME = 3600


class SignatureError(Exception):
    """A message's signature is missing a key, malformed, or does not match."""


def canonical(header: Any, message: Any) -> bytes:
    """The bytes a DCI message signature covers."""
    return json.dumps(
        {"header": header, "message": message}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def _passphrase() -> bytes:
    return (settings.ENTAS_DCI_KEY_PASSPHRASE or settings.SECRET_KEY).encode()


def _key_dir() -> Path:
    path = Path(settings.ENTAS_DCI_KEY_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def create_key() -> SigningKey:
    """A new key pair: the private half written encrypted to the key folder, the public half
    recorded. The caller (a service) retires the previous one."""
    key = ECKey.generate_key("P-256", auto_kid=True)
    kid = key.kid
    assert kid is not None
    name = f"{kid}.pem"
    path = _key_dir() / name
    pem = key.as_pem(private=True, password=_passphrase().decode())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = {**key.as_dict(private=False), "kid": kid, "use": "sig", "alg": "ES256"}
    return SigningKey.objects.create(kid=kid, alg="ES256", public_jwk=public, private_file=name)


def active_key() -> SigningKey:
    """The key we sign with now; made on first use when there is none."""
    key = SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).order_by("-created_at", "-id").first()
    return key if key is not None else create_key()


def _private(key: SigningKey) -> ECKey:
    pem = (_key_dir() / key.private_file).read_bytes()
    return ECKey.import_key(pem, {"kid": key.kid}, password=_passphrase().decode())


def published_jwks() -> dict[str, Any]:
    """Our JWKS: the active key and the retired ones (what they signed can still be checked)."""
    return {"keys": [k.public_jwk for k in SigningKey.objects.order_by("-created_at", "-id")]}


def _our_keyset() -> KeySet:
    return KeySet.import_key_set(published_jwks())  # type: ignore[arg-type]


def sign(header: Any, message: Any) -> str:
    """Our signature of a message we send (a compact JWS with a detached payload)."""
    key = active_key()
    value = jws.serialize_compact({"alg": key.alg, "kid": key.kid}, canonical(header, message), _private(key))
    return jws.detach_content(value)


def verify(signature: str, header: Any, message: Any, keyset: dict[str, Any]) -> str:
    """Check a caller's signature against its JWKS; returns the key id used. Raises SignatureError."""
    if not isinstance(signature, str) or signature.count(".") != 2:
        raise SignatureError("the signature is not a compact JWS")
    try:
        keys = KeySet.import_key_set(keyset)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise SignatureError("the caller's keys cannot be read") from exc
    payload = canonical(header, message)
    attached = signature.split(".")[1]
    try:
        if attached:
            result = jws.deserialize_compact(signature, keys, algorithms=ALLOWED_ALGORITHMS)
            if json.loads(result.payload) != {"header": header, "message": message}:
                raise SignatureError("the signed payload is not this header and message")
        else:
            result = jws.deserialize_compact(signature, keys, algorithms=ALLOWED_ALGORITHMS, payload=payload)
    except SignatureError:
        raise
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise SignatureError(str(exc) or exc.__class__.__name__) from exc
    return str(result.headers().get("kid", ""))


def issue_token(*, client_id: str, scope: str) -> tuple[str, int]:
    """An access token for a caller system: a JWT we sign, valid for TOKEN_LIFETIME seconds."""
    key = active_key()
    now = int(time.time())
    claims = {
        "iss": settings.ENTAS_DCI_ID,
        "aud": settings.ENTAS_DCI_ID,
        "sub": client_id,
        "iat": now,
        "exp": now + TOKEN_LIFETIME,
        "scope": scope,
    }
    token = jwt.encode({"alg": key.alg, "kid": key.kid, "typ": "JWT"}, claims, _private(key))
    return token, TOKEN_LIFETIME


def check_token(token: str) -> dict[str, Any] | None:
    """The claims of one of our valid, unexpired access tokens, or None."""
    try:
        decoded = jwt.decode(token, _our_keyset(), algorithms=["ES256"])
        claims = dict(decoded.claims)
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": settings.ENTAS_DCI_ID},
            aud={"essential": True, "value": settings.ENTAS_DCI_ID},
            sub={"essential": True},
            exp={"essential": True},
        ).validate(claims)
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    return claims


def sign_jwt(claims: dict[str, Any], *, typ: str = "JWT") -> str:
    """A JWT of ``claims`` signed with our active key (its ``kid`` in the header): the API's OAuth
    access tokens (``typ`` ``at+jwt``, RFC 9068) use it through :mod:`entas.accounts.oauth`."""
    key = active_key()
    return jwt.encode({"alg": key.alg, "kid": key.kid, "typ": typ}, claims, _private(key))


# Our public keys by kid, per process: a key never changes once made (rotation adds one), so only an
# unknown kid costs a query (a forged token naming no key of ours costs as much as a wrong token).
_PUBLIC: dict[str, Any] = {}


def public_key(kid: str) -> Any:
    """Our public key ``kid`` (active or retired) as a joserfc key, or None."""
    if kid not in _PUBLIC:
        row = SigningKey.objects.filter(kid=kid).values_list("public_jwk", flat=True).first()
        if row is None or row.get("use", "sig") != "sig":  # never a key for encrypting messages to us
            return None
        _PUBLIC[kid] = ECKey.import_key(row)
    return _PUBLIC[kid]


def retire(key: SigningKey) -> None:
    key.status = SigningKey.Status.RETIRED
    key.retired_at = timezone.now()
    key.save(update_fields=["status", "retired_at"])
