"""This registry's signing keys and the JOSE operations of the DCI interface (joserfc).

- Our keys: EC P-256 pairs (ES256). The private half is a PEM file in ``ENTAS_DCI_KEY_DIR`` (mode
  0600), encrypted with ``ENTAS_DCI_KEY_PASSPHRASE`` (else the installation's secret key): never in
  the database, never in git. The database keeps the public JWK, published as our JWKS.
- Message signatures: the ``signature`` of a DCI message is a compact JWS with a **detached
  payload** (RFC 7515 appendix F) over the canonical JSON of ``{"header": …, "message": …}`` (keys
  sorted, no spaces, UTF-8). Its protected header names the key (``kid``) in the sender's JWKS.
  A JWS carrying the payload is accepted too when that payload is the same header and message.
- Access tokens: JWTs we sign (``/dci/oauth2/client/token``) and check on every call.
- Encrypted messages (``is_msg_encrypted``): the DCI ``EncryptedMessage`` is a JWE (RFC 7516) whose
  parts are given apart: ``header`` (the protected header: ``alg``, ``enc``, ``kid``, and ``epk`` for
  ECDH-ES), ``encrypted_key``, ``iv``, ``ciphertext``, ``tag``; we add ``protected``, the header exactly
  as encoded (the JWE's additional authenticated data), and accept a message without it when its
  header, encoded compactly, is what was authenticated. Messages to us are encrypted to our
  encryption key (``use: enc`` in our JWKS, EC P-256, ``ECDH-ES+A256KW``); our answers to a caller's
  encryption key in its JWKS (EC or OKP: ``ECDH-ES+A256KW``; RSA: ``RSA-OAEP-256``), content ``A256GCM``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from joserfc import jwe, jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from .models import SigningKey

# What callers may sign with (no "none", no HMAC: a shared secret is not a signature of the sender).
ALLOWED_ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"]
TOKEN_LIFETIME = 3600
ENCRYPTION_ALG = "ECDH-ES+A256KW"
CONTENT_ENC = "A256GCM"
# What callers may encrypt to us with: ECDH-ES key wrapping to our EC key, any standard content encryption.
JWE_ALGORITHMS = [
    "ECDH-ES+A128KW",
    "ECDH-ES+A192KW",
    "ECDH-ES+A256KW",
    "A128GCM",
    "A192GCM",
    "A256GCM",
    "A128CBC-HS256",
    "A192CBC-HS384",
    "A256CBC-HS512",
]
JWE_PARTS = ("encrypted_key", "iv", "ciphertext", "tag")


class EncryptionError(Exception):
    """An encrypted message that cannot be decrypted, or a caller with no key to encrypt to."""


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


def create_key(use: str = SigningKey.Use.SIGNATURE) -> SigningKey:
    """A new key pair (for signing, or for the messages encrypted to us): the private half written
    encrypted to the key folder, the public half recorded. The caller (a service) retires the previous one."""
    key = ECKey.generate_key("P-256", auto_kid=True)
    kid = key.kid
    assert kid is not None
    name = f"{kid}.pem"
    path = _key_dir() / name
    pem = key.as_pem(private=True, password=_passphrase().decode())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    alg = "ES256" if use == SigningKey.Use.SIGNATURE else ENCRYPTION_ALG
    public = {**key.as_dict(private=False), "kid": kid, "use": str(use), "alg": alg}
    return SigningKey.objects.create(kid=kid, alg=alg, use=use, public_jwk=public, private_file=name)


def active_key(use: str = SigningKey.Use.SIGNATURE) -> SigningKey:
    """The key we sign (or are encrypted to) with now; made on first use when there is none."""
    key = SigningKey.objects.filter(status=SigningKey.Status.ACTIVE, use=use).order_by("-created_at", "-id").first()
    return key if key is not None else create_key(use)


def _private(key: SigningKey) -> ECKey:
    pem = (_key_dir() / key.private_file).read_bytes()
    return ECKey.import_key(pem, {"kid": key.kid}, password=_passphrase().decode())


def published_jwks() -> dict[str, Any]:
    """Our JWKS: the active keys and the retired ones (what they signed can still be checked), the
    encryption key (``use: enc``) made on first publication so that callers may encrypt to us."""
    active_key(SigningKey.Use.ENCRYPTION)
    return {"keys": [k.public_jwk for k in SigningKey.objects.order_by("-created_at", "-id")]}


def _our_keyset() -> KeySet:
    signing = SigningKey.objects.filter(use=SigningKey.Use.SIGNATURE).order_by("-created_at", "-id")
    return KeySet.import_key_set({"keys": [k.public_jwk for k in signing]})


def _b64(data: dict[str, Any]) -> str:
    import base64

    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(part: str) -> dict[str, Any]:
    import base64

    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def is_encrypted_message(value: Any) -> bool:
    """Whether a value has the shape of a DCI EncryptedMessage."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("header"), dict)
        and all(isinstance(value["header"].get(k), str) for k in ("alg", "enc", "kid"))
        and all(isinstance(value.get(k), str) for k in JWE_PARTS)
    )


def decrypt(encrypted: Any) -> Any:
    """The JSON message inside a DCI EncryptedMessage encrypted to one of our keys. Raises EncryptionError."""
    if not is_encrypted_message(encrypted):
        raise EncryptionError(
            "the message is not an EncryptedMessage (header alg/enc/kid, encrypted_key, iv, ciphertext, tag)"
        )
    kid = encrypted["header"]["kid"]
    ours = SigningKey.objects.filter(kid=kid, use=SigningKey.Use.ENCRYPTION).first()
    if ours is None:
        raise EncryptionError(f"no encryption key of ours has the kid {kid!r}")
    private = _private(ours)
    candidates = [encrypted["protected"]] if isinstance(encrypted.get("protected"), str) else []
    candidates += [_b64(encrypted["header"]), _b64(dict(sorted(encrypted["header"].items())))]
    rest = ".".join(encrypted[k] for k in JWE_PARTS)
    for protected in candidates:
        try:
            result = jwe.decrypt_compact(f"{protected}.{rest}", private, algorithms=JWE_ALGORITHMS)
        except (JoseError, ValueError, TypeError, KeyError):
            continue
        try:
            return json.loads(result.plaintext or b"")
        except ValueError as exc:
            raise EncryptionError("the decrypted message is not JSON") from exc
    raise EncryptionError("the message does not decrypt with our key (wrong key, algorithm or tampered parts)")


def encryption_jwk(keyset: dict[str, Any]) -> dict[str, Any] | None:
    """A caller's public key to encrypt to: the first of its JWKS with ``use: enc``."""
    for jwk in keyset.get("keys", []) if isinstance(keyset, dict) else []:
        if isinstance(jwk, dict) and jwk.get("use") == "enc" and jwk.get("kty") in ("EC", "RSA", "OKP"):
            return jwk
    return None


def encrypt(message: Any, keyset: dict[str, Any]) -> dict[str, Any]:
    """A DCI EncryptedMessage of ``message`` to the caller's encryption key. Raises EncryptionError."""
    from joserfc.jwk import JWKRegistry

    jwk = encryption_jwk(keyset)
    if jwk is None:
        raise EncryptionError("the caller publishes no encryption key (use: enc) in its JWKS")
    try:
        key = JWKRegistry.import_key(jwk)
        alg = "RSA-OAEP-256" if jwk["kty"] == "RSA" else ENCRYPTION_ALG
        header = {"alg": alg, "enc": CONTENT_ENC, "kid": jwk.get("kid") or key.thumbprint()}
        plaintext = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
        value = jwe.encrypt_compact(header, plaintext, key, algorithms=[alg, CONTENT_ENC])
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise EncryptionError(f"the caller's encryption key cannot be used: {exc}") from exc
    protected, *parts = value.split(".")
    return {"header": _unb64(protected), "protected": protected, **dict(zip(JWE_PARTS, parts, strict=True))}


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
