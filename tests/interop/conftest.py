"""Fixtures of the interoperability tests: our keys in a temporary folder, a registered caller
system with its own key pair, and helpers that build signed DCI messages."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from joserfc import jws
from joserfc.jwk import ECKey

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.interop import keys, services
from entas.interop.models import CallerSystem

SPMIS = "spmis.kemensos.example"


@pytest.fixture(autouse=True)
def key_dir(settings: Any, tmp_path: Path) -> Path:
    settings.ENTAS_DCI_KEY_DIR = tmp_path / "dci-keys"
    return settings.ENTAS_DCI_KEY_DIR


@pytest.fixture
def caller_key() -> ECKey:
    return ECKey.generate_key("P-256", auto_kid=True)


@pytest.fixture
def callbacks(monkeypatch: Any) -> list[tuple[str, dict[str, Any]]]:
    """The callbacks the registry sends, caught instead of posted."""
    sent: list[tuple[str, dict[str, Any]]] = []

    def post(url: str, body: dict[str, Any]) -> str:
        sent.append((url, body))
        return "200"

    monkeypatch.setattr("entas.interop.transport.post_json", post)
    return sent


@pytest.fixture
def service_user(make_user: Callable[..., User]) -> User:
    """A city-wide auditor: may see the registry, not full NIKs."""
    return make_user("svc.spmis", Role.AUDITOR, ["64.71"])


@pytest.fixture
def caller(admin_user: User, service_user: User, caller_key: ECKey) -> tuple[CallerSystem, str]:
    public = {**caller_key.as_dict(private=False), "use": "sig", "alg": "ES256"}
    return services.register_caller(
        actor=admin_user,
        sender_id=SPMIS,
        name="SPMIS Kemensos (test)",
        service_user=service_user,
        jwks={"keys": [public]},
        callback_url="https://spmis.kemensos.example/dci",
    )


class Dci:
    """A DCI client for tests: gets a token, builds and signs messages, posts them."""

    def __init__(self, caller: CallerSystem, secret: str, key: ECKey) -> None:
        self.caller, self.secret, self.key = caller, secret, key
        self.client = Client()
        self._token = ""

    def token(self) -> str:
        if not self._token:
            response = self.client.post(
                "/dci/oauth2/client/token",
                {"grant_type": "client_credentials", "client_id": self.caller.client_id, "client_secret": self.secret},
            )
            assert response.status_code == 200, response.content
            self._token = response.json()["access_token"]
        return self._token

    def header(self, action: str, total: int = 1, **extra: Any) -> dict[str, Any]:
        return {
            "version": "1.0.0",
            "message_id": uuid.uuid4().hex,
            "message_ts": timezone.now().isoformat(),
            "action": action,
            "sender_id": self.caller.sender_id,
            "receiver_id": "entas.balikpapan.go.id",
            "total_count": total,
            "is_msg_encrypted": False,
            **extra,
        }

    def sign(self, header: dict[str, Any], message: dict[str, Any], key: ECKey | None = None) -> str:
        key = key or self.key
        value = jws.serialize_compact({"alg": "ES256", "kid": key.kid}, keys.canonical(header, message), key)
        return jws.detach_content(value)

    def body(
        self, action: str, message: dict[str, Any], *, signed: bool = True, total: int | None = None, **extra: Any
    ) -> dict[str, Any]:
        items = message.get(
            {"search": "search_request", "subscribe": "subscribe_request", "unsubscribe": "subscription_codes"}.get(
                action, ""
            ),
            [None],
        )
        header = self.header(action, total if total is not None else len(items), **extra)
        body: dict[str, Any] = {"header": header, "message": message}
        if signed:
            body["signature"] = self.sign(header, message)
        return body

    def post(self, path: str, body: Any, *, token: str | None = None) -> Any:
        auth = {"HTTP_AUTHORIZATION": f"Bearer {self.token() if token is None else token}"} if token != "" else {}
        return self.client.post(path, json.dumps(body), content_type="application/json", **auth)


@pytest.fixture
def dci_client(caller: tuple[CallerSystem, str], caller_key: ECKey) -> Dci:
    return Dci(caller[0], caller[1], caller_key)


def search_message(
    query_type: str,
    query: Any,
    *,
    entity: str = "Group",
    reference: str = "ref-1",
    transaction_id: str | None = None,
    **criteria: Any,
) -> dict[str, Any]:
    return {
        "transaction_id": transaction_id or uuid.uuid4().hex,
        "search_request": [
            {
                "reference_id": reference,
                "timestamp": timezone.now().isoformat(),
                "search_criteria": {
                    "version": "1.0.0",
                    "reg_event_type": "REGISTER",
                    "query_type": query_type,
                    "response_entity": entity,
                    "query": query,
                    **criteria,
                },
            }
        ],
    }
