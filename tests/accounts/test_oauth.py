"""OAuth 2.0 client credentials (issue #26): a service account's client gets a short-lived JWT at
/api/v1/oauth/token (secret or private_key_jwt), and the API takes it beside the opaque tokens with
the same scopes, areas, rate limit and audit; a revoked client's tokens stop at once; errors are
RFC 6749 §5.2's."""

from __future__ import annotations

import base64
import io
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from joserfc import jwt
from joserfc.jwk import ECKey

from entas.accounts import oauth, tokens
from entas.accounts.models import OAuthClient, User
from entas.accounts.roles import Role
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.interop import keys
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db

TOKEN_URL = "http://testserver/api/v1/oauth/token"


@pytest.fixture(autouse=True)
def key_dir(settings: Any, tmp_path: Path) -> Path:
    settings.ENTAS_DCI_KEY_DIR = tmp_path / "dci-keys"
    cache.clear()
    return settings.ENTAS_DCI_KEY_DIR


@pytest.fixture
def service(admin_user: User, regions: Any) -> User:
    """A service account of Kelurahan Manggar that reads and changes the registry there."""
    return tokens.create_service_account(
        actor=admin_user, username="svc.bank", role=Role.OPERATOR, areas=[regions[MANGGAR]]
    )


@pytest.fixture
def client_key() -> ECKey:
    return ECKey.generate_key("P-256", auto_kid=True)


def basic(client_id: str, secret: str) -> dict[str, str]:
    value = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {value}"}


def token_request(data: dict[str, str], **headers: str) -> Any:
    return Client().post("/api/v1/oauth/token", data, **headers)


def access_token(client_id: str, secret: str, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    answer = token_request(data, **basic(client_id, secret))
    assert answer.status_code == 200, answer.content
    return str(answer.json()["access_token"])


def assertion(key: ECKey, client_id: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": client_id, "sub": client_id, "aud": TOKEN_URL, "iat": now, "exp": now + 120, "jti": uuid.uuid4().hex}
    body.update(claims)
    return jwt.encode({"alg": "ES256", "kid": key.kid}, {k: v for k, v in body.items() if v is not None}, key)


def bearer(value: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {value}"}


# -- the grant --------------------------------------------------------------------------------------


def test_valid_grant_answers_rfc6749_json_and_the_token_reads_within_areas(
    admin_user: User, service: User, regions: Any
) -> None:
    mine = make_household(regions[MANGGAR], "6471010101200001")
    other = make_household(regions[DAMAI], "6471060101200002")
    new = oauth.create_client(actor=admin_user, user=service, name="Bank", scopes="registry:read", expires_days=30)
    assert new.secret and new.secret not in json.dumps(oauth.snapshot(new.client))
    assert new.client.secret_hash == oauth.digest(new.secret)
    answer = token_request({"grant_type": "client_credentials"}, **basic(new.client.client_id, new.secret))
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "registry:read"
    assert 0 < body["expires_in"] <= 600
    claims = jwt.decode(body["access_token"], keys._our_keyset()).claims
    assert claims["client_id"] == new.client.client_id and claims["aud"] == oauth.audience()
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    # The verification key is the installation's, published in its JWKS.
    header = jwt.decode(body["access_token"], keys._our_keyset()).header
    assert header["typ"] == "at+jwt"
    assert header["kid"] in [k["kid"] for k in Client().get("/dci/.well-known/jwks.json").json()["keys"]]

    api = Client()
    listed = api.get("/api/v1/households", **bearer(body["access_token"]))
    assert listed.status_code == 200
    assert [h["id"] for h in listed.json()["results"]] == [mine.pk]  # the account's areas only
    assert api.get(f"/api/v1/households/{other.pk}", **bearer(body["access_token"])).status_code == 404
    read = AuditEvent.objects.filter(action="api.read").first()
    assert read is not None and read.actor == service and read.note == f"oauth {new.client.client_id}"
    assert AuditEvent.objects.filter(action="oauth.token", actor=service).count() == 1
    # client_secret_post works too
    posted = token_request(
        {"grant_type": "client_credentials", "client_id": new.client.client_id, "client_secret": new.secret}
    )
    assert posted.status_code == 200


def test_errors_are_rfc6749(admin_user: User, service: User) -> None:
    new = oauth.create_client(actor=admin_user, user=service, name="Bank", scopes="registry:read")
    wrong = token_request({"grant_type": "client_credentials"}, **basic(new.client.client_id, "ecs_wrong"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong["WWW-Authenticate"].startswith("Basic")
    unknown = token_request({"grant_type": "client_credentials"}, **basic("ecl_nobody", new.secret or ""))
    assert unknown.json()["error"] == "invalid_client"
    grant = token_request({"grant_type": "password"}, **basic(new.client.client_id, new.secret or ""))
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    missing = token_request({}, **basic(new.client.client_id, new.secret or ""))
    assert missing.json()["error"] == "invalid_request"
    none = token_request({"grant_type": "client_credentials"})
    assert none.status_code == 401 and none.json()["error"] == "invalid_client"
    assert Client().get("/api/v1/oauth/token").status_code == 405


def test_scope_narrowing_and_refusal(admin_user: User, service: User, regions: Any) -> None:
    new = oauth.create_client(actor=admin_user, user=service, name="Bank", scopes="registry:write,regions:read")
    cid, secret = new.client.client_id, new.secret or ""
    narrowed = token_request(
        {"grant_type": "client_credentials", "scope": "registry:read"}, **basic(cid, secret)
    ).json()
    assert narrowed["scope"] == "registry:read"
    beyond = token_request({"grant_type": "client_credentials", "scope": "programmes:read"}, **basic(cid, secret))
    assert beyond.status_code == 400 and beyond.json()["error"] == "invalid_scope"
    bad = token_request({"grant_type": "client_credentials", "scope": "registry:delete"}, **basic(cid, secret))
    assert bad.json()["error"] == "invalid_scope"
    # The narrowed token reads but cannot write, though its client could.
    household = make_household(regions[MANGGAR], "6471010101200001")
    api = Client()
    assert api.get("/api/v1/households", **bearer(narrowed["access_token"])).status_code == 200
    patch = api.patch(
        f"/api/v1/households/{household.pk}",
        data=json.dumps({"version": household.version, "values": {"rt": "004"}}),
        content_type="application/json",
        **bearer(narrowed["access_token"]),
    )
    assert patch.status_code == 403 and patch.json()["field"] == "scope"
    assert api.get("/api/v1/regions", **bearer(narrowed["access_token"])).status_code == 403
    full = access_token(cid, secret)
    assert set(jwt.decode(full, keys._our_keyset()).claims["scope"].split()) == {"registry:write", "regions:read"}


# -- tokens refused ---------------------------------------------------------------------------------


def test_expired_forged_and_wrong_audience_tokens_are_refused(admin_user: User, service: User) -> None:
    new = oauth.create_client(actor=admin_user, user=service, name="Bank", scopes="regions:read")
    good = access_token(new.client.client_id, new.secret or "")
    api = Client()
    assert api.get("/api/v1/regions", **bearer(good)).status_code == 200
    ours = keys.active_key()
    now = int(time.time())
    claims = {
        "iss": oauth.issuer(),
        "aud": oauth.audience(),
        "sub": new.client.client_id,
        "client_id": new.client.client_id,
        "scope": "regions:read",
        "iat": now - 1200,
        "exp": now - 600,
        "jti": "x",
    }
    expired = jwt.encode({"alg": "ES256", "kid": ours.kid, "typ": "at+jwt"}, claims, keys._private(ours))
    assert oauth.check_access_token(expired) is None
    assert api.get("/api/v1/regions", **bearer(expired)).status_code == 401
    # Forged: the right kid and claims, signed by another key.
    other = ECKey.generate_key("P-256")
    live = {**claims, "iat": now, "exp": now + 300}
    forged = jwt.encode({"alg": "ES256", "kid": ours.kid, "typ": "at+jwt"}, live, other)
    assert api.get("/api/v1/regions", **bearer(forged)).status_code == 401
    # Tampered payload of a good token
    head, _, sig = good.split(".")
    tampered_claims = {**jwt.decode(good, keys._our_keyset()).claims, "scope": "registry:write"}
    payload = base64.urlsafe_b64encode(json.dumps(tampered_claims).encode()).rstrip(b"=").decode()
    assert api.get("/api/v1/regions", **bearer(f"{head}.{payload}.{sig}")).status_code == 401
    # Our key, but another audience: a DCI access token is no API token.
    dci_token, _ = keys.issue_token(client_id=new.client.client_id, scope="regions:read")
    assert api.get("/api/v1/regions", **bearer(dci_token)).status_code == 401
    wrong_aud = jwt.encode(
        {"alg": "ES256", "kid": ours.kid, "typ": "at+jwt"}, {**live, "aud": "someone-else"}, keys._private(ours)
    )
    assert api.get("/api/v1/regions", **bearer(wrong_aud)).status_code == 401
    # alg none is never accepted
    none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt"}').rstrip(b"=").decode()
    assert api.get("/api/v1/regions", **bearer(f"{none}.{good.split('.')[1]}.")).status_code == 401


def test_revocation_stops_the_clients_tokens_at_once(admin_user: User, service: User) -> None:
    new = oauth.create_client(actor=admin_user, user=service, name="Bank", scopes="regions:read")
    token = access_token(new.client.client_id, new.secret or "")
    api = Client()
    assert api.get("/api/v1/regions", **bearer(token)).status_code == 200
    oauth.revoke_client(actor=admin_user, client=new.client)
    assert api.get("/api/v1/regions", **bearer(token)).status_code == 401
    again = token_request({"grant_type": "client_credentials"}, **basic(new.client.client_id, new.secret or ""))
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"
    assert AuditEvent.objects.filter(action="oauth_client.revoke").count() == 1
    # A deactivated account stops its clients' tokens too.
    second = oauth.create_client(actor=admin_user, user=service, name="Bank 2", scopes="regions:read")
    token2 = access_token(second.client.client_id, second.secret or "")
    User.objects.filter(pk=service.pk).update(is_active=False)
    assert api.get("/api/v1/regions", **bearer(token2)).status_code == 401


def test_oauth_tokens_share_the_rate_limit_of_their_client(admin_user: User, service: User) -> None:
    new = oauth.create_client(actor=admin_user, user=service, name="Bank", scopes="regions:read", rate_limit=2)
    first = access_token(new.client.client_id, new.secret or "")
    second = access_token(new.client.client_id, new.secret or "")
    api = Client()
    assert api.get("/api/v1/regions", **bearer(first)).status_code == 200
    assert api.get("/api/v1/regions", **bearer(second)).status_code == 200
    limited = api.get("/api/v1/regions", **bearer(first))
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1


# -- private_key_jwt ----------------------------------------------------------------------------------


def test_private_key_jwt_grant_and_replay_refused(admin_user: User, service: User, client_key: ECKey) -> None:
    new = oauth.create_client(
        actor=admin_user,
        user=service,
        name="Bank",
        scopes="regions:read",
        jwks={"keys": [client_key.as_dict(private=False)]},
        with_secret=False,
    )
    assert new.secret is None and oauth.auth_methods(new.client) == ["private_key_jwt"]
    cid = new.client.client_id
    signed = assertion(client_key, cid)
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": oauth.ASSERTION_TYPE,
        "client_assertion": signed,
    }
    answer = token_request(data)
    assert answer.status_code == 200, answer.content
    assert Client().get("/api/v1/regions", **bearer(answer.json()["access_token"])).status_code == 200
    replay = token_request(data)
    assert replay.status_code == 401 and "already used" in replay.json()["error_description"]
    # Another key, no jti, a long-lived assertion, the wrong audience: each refused.
    stranger = ECKey.generate_key("P-256", auto_kid=True)
    for bad in (
        assertion(stranger, cid).replace(stranger.kid or "", client_key.kid or ""),
        jwt.encode(
            {"alg": "ES256", "kid": client_key.kid},
            {"iss": cid, "sub": cid, "aud": TOKEN_URL, "exp": int(time.time()) + 60},
            client_key,
        ),
        assertion(client_key, cid, exp=int(time.time()) + 3600),
        assertion(client_key, cid, aud="https://elsewhere.example/token"),
        assertion(client_key, cid, sub="ecl_other"),
    ):
        refused = token_request({**data, "client_assertion": bad})
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client", bad
    forged = assertion(stranger, cid)
    forged_kid = forged.split(".")
    assert token_request({**data, "client_assertion": ".".join(forged_kid)}).status_code == 401
    # A key-only client has no secret to guess.
    assert token_request({"grant_type": "client_credentials"}, **basic(cid, "")).status_code == 401
    assert token_request({**data, "client_assertion_type": "x"}).status_code == 401


def test_who_may_create_clients_and_what(admin_user: User, service: User, operator_manggar: User) -> None:
    with pytest.raises(Refused):
        oauth.create_client(actor=operator_manggar, user=service, name="x", scopes="regions:read")
    with pytest.raises(Refused) as person:
        oauth.create_client(actor=admin_user, user=operator_manggar, name="x", scopes="regions:read")
    assert person.value.issues[0].field == "user"
    with pytest.raises(Refused) as private:
        key = ECKey.generate_key("P-256")
        oauth.create_client(
            actor=admin_user, user=service, name="x", scopes="regions:read", jwks=key.as_dict(private=True)
        )
    assert private.value.issues[0].field == "jwks"
    with pytest.raises(Refused):
        oauth.create_client(actor=admin_user, user=service, name="x", scopes="regions:read", with_secret=False)
    with pytest.raises(Refused):
        oauth.revoke_client(
            actor=operator_manggar,
            client=oauth.create_client(actor=admin_user, user=service, name="x", scopes="regions:read").client,
        )


def test_an_expired_client_gets_no_token(admin_user: User, service: User) -> None:
    new = oauth.create_client(actor=admin_user, user=service, name="Bank", scopes="regions:read", expires_days=1)
    token = access_token(new.client.client_id, new.secret or "")
    OAuthClient.objects.filter(pk=new.client.pk).update(expires_at="2020-01-01T00:00:00Z")
    assert Client().get("/api/v1/regions", **bearer(token)).status_code == 401
    answer = token_request({"grant_type": "client_credentials"}, **basic(new.client.client_id, new.secret or ""))
    assert answer.json()["error"] == "invalid_client"


# -- command line and page -------------------------------------------------------------------------------


def test_command_creates_lists_and_revokes(admin_user: User, service: User, tmp_path: Path, client_key: ECKey) -> None:
    out = io.StringIO()
    call_command(
        "oauth", "client", "create", "svc.bank", "--scopes", "registry:read", "--expires", "30", "--json", stdout=out
    )
    made = json.loads(out.getvalue())
    assert (
        made["status"] == "active" and made["client_secret"].startswith("ecs_") and made["scopes"] == ["registry:read"]
    )
    assert access_token(made["client_id"], made["client_secret"])
    jwk_file = tmp_path / "key.json"
    jwk_file.write_text(json.dumps(client_key.as_dict(private=False)))
    out = io.StringIO()
    call_command(
        "oauth",
        "client",
        "create",
        "svc.bank",
        "--scopes",
        "regions",
        "--jwk",
        str(jwk_file),
        "--no-secret",
        "--json",
        stdout=out,
    )
    keyed = json.loads(out.getvalue())
    assert keyed["client_secret"] is None and keyed["auth_methods"] == ["private_key_jwt"]
    out = io.StringIO()
    call_command("oauth", "client", "list", "--json", stdout=out)
    assert {r["client_id"] for r in json.loads(out.getvalue())} == {made["client_id"], keyed["client_id"]}
    out = io.StringIO()
    call_command("oauth", "client", "revoke", made["client_id"], "--json", stdout=out)
    assert json.loads(out.getvalue())["status"] == "revoked"


def test_page_creates_shows_secret_once_and_revokes(admin_user: User, service: User, operator_manggar: User) -> None:
    browser = Client()
    browser.force_login(admin_user)
    page = browser.post(
        "/accounts/tokens/oauth-clients/",
        {"owner": service.pk, "name": "Bank", "scopes": ["registry:read"], "expires_days": 30, "with_secret": "on"},
    )
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    made = OAuthClient.objects.get()
    assert made.client_id in page.content.decode() and "ecs_" in page.content.decode()
    assert "ecs_" not in browser.get("/accounts/tokens/oauth-clients/").content.decode()
    browser.post(f"/accounts/tokens/oauth-clients/{made.pk}/revoke/")
    made.refresh_from_db()
    assert oauth.status(made) == "revoked"
    other = Client()
    other.force_login(operator_manggar)
    assert other.get("/accounts/tokens/oauth-clients/").status_code == 403


def test_only_our_signing_keys_verify_access_tokens() -> None:
    from entas.interop.models import SigningKey

    signing = keys.active_key()
    encryption = keys.active_key(SigningKey.Use.ENCRYPTION)
    assert keys.public_key(signing.kid) is not None
    assert keys.public_key(encryption.kid) is None and keys.public_key("no-such-kid") is None
