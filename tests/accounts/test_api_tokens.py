"""API tokens (issue #26): created and shown once, stored hashed, with scopes that narrow (never
widen) the user's rights, expiry, revocation, last use, a rate limit per token (429 with
Retry-After), audited reads of personal data, the command line and the page."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from entas.accounts import scopes, tokens
from entas.accounts.models import ApiToken, User
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def new_token(user: User, scope: str, **kwargs: Any) -> str:
    return tokens.create_token(actor=user, user=user, name="test", scopes=scope, **kwargs).secret


# -- pure rules -----------------------------------------------------------------------------------


def test_scopes_parse_write_includes_read_and_unknown_is_refused() -> None:
    assert scopes.parse("registry:read, programmes") == ["programmes:write", "registry:read"]
    assert scopes.parse(["registry:read", "registry:write"]) == ["registry:write"]
    assert scopes.allows(["registry:write"], "registry", write=False)
    assert not scopes.allows(["registry:read"], "registry", write=True)
    assert not scopes.allows(["programmes:write"], "registry", write=False)
    with pytest.raises(ValueError, match="registry:delete"):
        scopes.parse("registry:delete")


def test_every_mounted_router_has_a_scope_family() -> None:
    from entas.api.api import api

    families = scopes.registered()
    assert "/api/v1/households" in families
    schema = api.get_openapi_schema()
    unmapped = [path for path in schema["paths"] if scopes.family_of(path) is None]
    assert unmapped == []


def test_token_format_and_hash() -> None:
    prefix, secret = tokens._new_secret()
    assert tokens.split(secret) == prefix and len(secret) > 50
    assert tokens.split("entas_short_x") is None and tokens.split("Bearer") is None


# -- authentication, scopes, rights ------------------------------------------------------------------


def test_token_is_stored_hashed_and_reads_within_scope_and_areas(operator_manggar: User, regions: Any) -> None:
    mine = make_household(regions[MANGGAR], "6471010101200001")
    make_household(regions[DAMAI], "6471060101200002")
    secret = new_token(operator_manggar, "registry:read")
    row = ApiToken.objects.get()
    assert secret not in json.dumps(tokens.snapshot(row), default=str) and row.secret_hash == tokens.digest(secret)

    client = Client()  # no session, no CSRF token
    answer = client.get("/api/v1/households", **bearer(secret))
    assert answer.status_code == 200
    assert [h["id"] for h in answer.json()["results"]] == [mine.pk]  # the user's areas still apply
    assert client.get(f"/api/v1/households/{mine.pk}", **bearer(secret)).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_scope_narrows_and_role_still_decides(operator_manggar: User, dinsos_manager: User) -> None:
    client = Client()
    registry_only = new_token(dinsos_manager, "registry:read")
    refused = client.get("/api/v1/programmes", **bearer(registry_only))
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "forbidden" and body["field"] == "scope" and "programmes:read" in body["message"]
    # a read scope does not allow a write
    write = client.post("/api/v1/programmes/1/enrol", data={}, content_type="application/json", **bearer(registry_only))
    assert write.status_code == 403
    # an operator's token with every scope still cannot reach what the operator's role cannot
    everything = new_token(operator_manggar, "*")
    assert client.get("/api/v1/programmes", **bearer(everything)).status_code == 403


def test_unknown_expired_revoked_and_deactivated_tokens_are_refused(operator_manggar: User) -> None:
    client = Client()
    assert client.get("/api/v1/regions", **bearer("entas_aaaaaaaaaa_wrong")).status_code == 401
    secret = new_token(operator_manggar, "regions:read", expires_days=1)
    assert client.get("/api/v1/regions", **bearer(secret)).status_code == 200
    token = ApiToken.objects.get()
    # a secret with the right prefix and a wrong rest
    assert client.get("/api/v1/regions", **bearer(secret[:-3] + "xyz")).status_code == 401

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = client.get("/api/v1/regions", **bearer(secret))
    assert expired.status_code == 401 and expired.json()["code"] == "unauthenticated"

    ApiToken.objects.filter(pk=token.pk).update(expires_at=None)
    tokens.revoke_token(actor=operator_manggar, token=token)
    assert client.get("/api/v1/regions", **bearer(secret)).status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk)).exists()

    other = new_token(operator_manggar, "regions:read")
    operator_manggar.is_active = False
    operator_manggar.save()
    assert client.get("/api/v1/regions", **bearer(other)).status_code == 401


def test_a_bad_token_does_not_fall_back_to_the_session(client_for: Any, operator_manggar: User) -> None:
    client = client_for(operator_manggar)
    assert client.get("/api/v1/regions").status_code == 200  # the session works
    assert client.get("/api/v1/regions", **bearer("entas_aaaaaaaaaa_wrong")).status_code == 401


def test_session_writes_still_need_csrf(operator_manggar: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator_manggar)
    answer = client.post("/api/v1/households/1/account", data={}, content_type="application/json")
    assert answer.status_code == 403


def test_rate_limit_per_token_answers_429_with_retry_after(operator_manggar: User) -> None:
    client = Client()
    limited = new_token(operator_manggar, "regions:read", rate_limit=3)
    other = new_token(operator_manggar, "regions:read", rate_limit=3)
    for _ in range(3):
        assert client.get("/api/v1/regions", **bearer(limited)).status_code == 200
    answer = client.get("/api/v1/regions", **bearer(limited))
    assert answer.status_code == 429
    assert answer.json()["code"] == "too_many" and 1 <= int(answer["Retry-After"]) <= 60
    assert client.get("/api/v1/regions", **bearer(other)).status_code == 200  # per token


def test_throttle_window_turns_over() -> None:
    token = ApiToken(pk=999_999, rate_limit=1)
    tokens.throttle(token, now=120.0)
    with pytest.raises(tokens.Throttled) as exc:
        tokens.throttle(token, now=150.0)
    assert exc.value.retry_after == 30
    tokens.throttle(token, now=180.0)  # the next minute


def test_token_reads_of_personal_data_are_audited(operator_manggar: User, regions: Any) -> None:
    make_household(regions[MANGGAR], "6471010101200001")
    secret = new_token(operator_manggar, "registry:read,regions:read")
    client = Client()
    client.get("/api/v1/households?q=Warga", **bearer(secret))
    client.get("/api/v1/regions", **bearer(secret))  # not personal data
    events = AuditEvent.objects.filter(action="api.read")
    assert [e.object_repr for e in events] == ["/api/v1/households?q=Warga"]
    assert events[0].actor == operator_manggar and events[0].channel == "api"


# -- who may create and revoke -----------------------------------------------------------------------


def test_who_may_create_and_revoke(
    operator_manggar: User, operator_damai: User, admin_user: User, regions: Any
) -> None:
    with pytest.raises(Refused):
        tokens.create_token(actor=operator_manggar, user=operator_damai, name="x", scopes="registry:read")
    with pytest.raises(Refused) as bad:
        tokens.create_token(actor=operator_manggar, user=operator_manggar, name="x", scopes="nope")
    assert bad.value.issues[0].field == "scopes"
    service = tokens.create_service_account(
        actor=admin_user, username="svc.bank", role="auditor", areas=[regions[MANGGAR]]
    )
    assert not service.has_usable_password()
    with pytest.raises(Refused):
        tokens.create_service_account(actor=operator_manggar, username="svc.x", role="admin")
    with pytest.raises(Refused):  # an operator cannot mint a service account's token
        tokens.create_token(actor=operator_manggar, user=service, name="x", scopes="registry:read")
    made = tokens.create_token(actor=admin_user, user=service, name="bank", scopes="registry:read")
    with pytest.raises(Refused):
        tokens.revoke_token(actor=operator_damai, token=made.token)
    tokens.revoke_token(actor=admin_user, token=made.token)
    assert tokens.status(made.token) == "revoked"


# -- command line ----------------------------------------------------------------------------------


def test_cli_create_list_revoke(operator_manggar: User, admin_user: User) -> None:
    out = io.StringIO()
    call_command(
        "token",
        "create",
        operator_manggar.username,
        "--scopes",
        "regions:read",
        "--expires",
        "30",
        "--json",
        stdout=out,
    )
    created = json.loads(out.getvalue())
    assert created["token"].startswith("entas_") and created["scopes"] == ["regions:read"]
    assert Client().get("/api/v1/regions", **bearer(created["token"])).status_code == 200

    out = io.StringIO()
    call_command("token", "list", "--json", stdout=out)
    listed = json.loads(out.getvalue())
    assert [t["id"] for t in listed] == [created["id"]] and "token" not in listed[0]
    assert listed[0]["last_used_at"] is not None

    call_command("token", "revoke", str(created["id"]), stdout=io.StringIO())
    assert Client().get("/api/v1/regions", **bearer(created["token"])).status_code == 401


# -- the page --------------------------------------------------------------------------------------


def test_page_creates_shows_once_and_revokes(client_for: Any, operator_manggar: User) -> None:
    client = client_for(operator_manggar)
    assert client.get("/accounts/tokens/").status_code == 200
    answer = client.post("/accounts/tokens/", {"name": "my script", "scopes": ["registry:read"], "expires_days": "30"})
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    token = ApiToken.objects.get()
    secret = answer.context["new"].secret
    assert secret in answer.content.decode() and token.scopes == ["registry:read"]
    assert secret not in client.get("/accounts/tokens/").content.decode()  # shown once
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_page_admin_makes_a_service_account_and_its_token(
    client_for: Any, admin_user: User, operator_damai: User
) -> None:
    client = client_for(admin_user)
    client.post("/accounts/tokens/service-accounts/new/", {"username": "svc.dukcapil", "role": "operator"})
    service = User.objects.get(username="svc.dukcapil")
    assert service.is_service_account
    client.post("/accounts/tokens/", {"name": "sync", "scopes": ["registry:read"], "owner": str(service.pk)})
    assert ApiToken.objects.get().user == service
    # another person's token is neither listed nor revocable by the operator of Damai
    theirs = ApiToken.objects.get()
    other = client_for(operator_damai)
    assert other.post(f"/accounts/tokens/{theirs.pk}/revoke/").status_code == 404
