"""The DCI interface's asynchronous callbacks sent again with back-off (and the status answer showing
how they went), the rate limit on every DCI endpoint, and encrypted messages (JWE) both ways."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone
from joserfc import jwe
from joserfc.jwk import ECKey

from entas.core import jobqueue
from entas.core.models import Job
from entas.interop import dci, keys, rules
from entas.interop.models import CallerSystem, Transaction
from entas.registry.models import Household

from .conftest import Dci, search_message
from .test_dci import KK_MANGGAR, check_signed, run_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def answers(monkeypatch: Any) -> dict[str, Any]:
    """The callbacks sent, and the answers the caller's server gives them in turn (then 200)."""
    state: dict[str, Any] = {"sent": [], "outcomes": []}

    def post(url: str, body: dict[str, Any]) -> str:
        state["sent"].append((url, body))
        return state["outcomes"].pop(0) if state["outcomes"] else "200"

    monkeypatch.setattr("entas.interop.transport.post_json", post)
    return state


def status_of(dci_client: Dci, transaction_id: str) -> dict[str, Any]:
    status = {
        "transaction_id": f"st-{timezone.now().timestamp()}",
        "txnstatus_request": {
            "reference_id": "s1",
            "txn_type": "search",
            "attribute_type": "transaction_id",
            "attribute_value": transaction_id,
        },
    }
    body = check_signed(dci_client.post("/dci/registry/sync/txn/status", dci_client.body("txn-status", status)).json())
    return dict(body["message"]["txnstatus_response"])


# --- callbacks with back-off ---------------------------------------------------------------


def test_the_back_off_rule() -> None:
    assert [rules.callback_retry_after(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, None]
    assert rules.callback_delivered("200") and rules.callback_delivered("204")
    assert not rules.callback_delivered("503") and not rules.callback_delivered("error: timed out")


def test_a_failed_callback_is_sent_again_until_delivered(
    dci_client: Dci, manggar_household: Household, answers: dict[str, Any]
) -> None:
    answers["outcomes"] = ["503", "error: connection refused"]
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    assert dci_client.post("/dci/registry/search", dci_client.body("search", message)).status_code == 200
    run_jobs()
    txn = Transaction.objects.get(transaction_id=message["transaction_id"])
    assert txn.callback_attempts == 1 and txn.callback_status == "503" and txn.callback_delivered_at is None
    first_retry = txn.callback_next_at
    assert first_retry is not None and 29 <= (first_retry - timezone.now()).total_seconds() <= 31
    # the status answer shows where the callback stands (and the answer itself: the caller may read it here)
    status = status_of(dci_client, message["transaction_id"])
    assert status["callback"]["status"] == "pending" and status["callback"]["attempts"] == 1
    assert status["txn_status"]["search_response"][0]["status"] == "succ"
    # not yet due: nothing is sent
    assert dci.deliver_due() == {"delivered": 0, "retry": 0, "failed": 0}
    # due: the scheduled job sends it again (fails), then again after a longer wait (delivered)
    later = first_retry + dt.timedelta(seconds=1)
    assert dci.deliver_due(now=later) == {"delivered": 0, "retry": 1, "failed": 0}
    txn.refresh_from_db()
    assert txn.callback_attempts == 2 and (txn.callback_next_at - later).total_seconds() == 60
    Transaction.objects.filter(pk=txn.pk).update(callback_next_at=timezone.now())
    job = jobqueue.submit(kind="interop.dci_callbacks", params={}, actor=None)
    job = jobqueue.execute(job.pk)
    assert job.status == Job.Status.SUCCEEDED and job.result == {"delivered": 1, "retry": 0, "failed": 0}
    txn.refresh_from_db()
    assert txn.callback_delivered_at is not None and txn.callback_next_at is None and txn.callback_attempts == 3
    assert len(answers["sent"]) == 3
    # each attempt carries the same answer (signed anew)
    assert all(body["message"] == answers["sent"][0][1]["message"] for _url, body in answers["sent"])
    for _url, body in answers["sent"]:
        check_signed(body)
    assert status_of(dci_client, message["transaction_id"])["callback"]["status"] == "delivered"
    # a delivered callback is never sent again
    assert dci.deliver_due(now=timezone.now() + dt.timedelta(days=1))["delivered"] == 0


def test_a_callback_is_given_up_after_the_last_attempt(
    dci_client: Dci, manggar_household: Household, answers: dict[str, Any]
) -> None:
    answers["outcomes"] = ["500"] * rules.CALLBACK_ATTEMPTS
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    dci_client.post("/dci/registry/search", dci_client.body("search", message))
    run_jobs()
    now = timezone.now()
    for _attempt in range(rules.CALLBACK_ATTEMPTS):
        now += dt.timedelta(hours=2)
        dci.deliver_due(now=now)
    txn = Transaction.objects.get(transaction_id=message["transaction_id"])
    assert txn.callback_attempts == rules.CALLBACK_ATTEMPTS and txn.callback_next_at is None
    assert txn.callback_delivered_at is None
    assert status_of(dci_client, message["transaction_id"])["callback"] == {
        "status": "failed",
        "attempts": rules.CALLBACK_ATTEMPTS,
        "last_outcome": "500",
    }


def test_a_suspended_callers_callbacks_wait(
    dci_client: Dci, manggar_household: Household, answers: dict[str, Any]
) -> None:
    answers["outcomes"] = ["503"]
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    dci_client.post("/dci/registry/search", dci_client.body("search", message))
    run_jobs()
    CallerSystem.objects.filter(pk=dci_client.caller.pk).update(active=False)
    assert dci.deliver_due(now=timezone.now() + dt.timedelta(hours=1))["delivered"] == 0


# --- rate limit ----------------------------------------------------------------------------


@pytest.mark.parametrize("signed", [True, False])
def test_too_many_messages_are_refused_with_the_dci_code(
    dci_client: Dci, manggar_household: Household, settings: Any, answers: dict[str, Any], signed: bool
) -> None:
    settings.ENTAS_RATE_LIMITS = {**settings.ENTAS_RATE_LIMITS, "dci.message": "2/minute"}
    for _n in range(2):
        message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
        assert dci_client.post("/dci/registry/sync/search", dci_client.body("search", message)).status_code == 200
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    # over the limit, whatever the message (signed or not): 429 before anything is read
    sync = dci_client.post("/dci/registry/sync/search", dci_client.body("search", message, signed=signed))
    assert sync.status_code == 429 and sync["Retry-After"] == "60"
    assert sync.json()["errors"][0]["code"] == "err.request.too_many_requests"
    asynchronous = dci_client.post("/dci/registry/search", dci_client.body("search", message, signed=signed))
    assert asynchronous.status_code == 429
    ack = asynchronous.json()["message"]
    assert ack["ack_status"] == "ERR" and ack["error"]["code"] == "err.request.too_many_requests"
    assert not Transaction.objects.filter(transaction_id=message["transaction_id"]).exists()
    # the window slides: a minute later the caller may send again
    Transaction.objects.update(received_at=timezone.now() - dt.timedelta(minutes=2))
    again = dci_client.post("/dci/registry/sync/search", dci_client.body("search", message, signed=signed))
    if signed:
        assert again.status_code == 200
    else:  # under the limit, an unsigned message is refused for what it is
        assert again.status_code == 401 and again.json()["errors"][0]["code"] == "err.signature.missing"


def test_the_limit_is_per_caller(
    dci_client: Dci, manggar_household: Household, settings: Any, admin_user: Any, make_user: Any
) -> None:
    from entas.accounts.roles import Role
    from entas.interop import services

    settings.ENTAS_RATE_LIMITS = {**settings.ENTAS_RATE_LIMITS, "dci.message": "1/hour"}
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    assert dci_client.post("/dci/registry/sync/search", dci_client.body("search", message)).status_code == 200
    key = ECKey.generate_key("P-256", auto_kid=True)
    other, secret = services.register_caller(
        actor=admin_user,
        sender_id="dtks.other.example",
        name="Other",
        service_user=make_user("svc.other", Role.AUDITOR, ["64.71"]),
        jwks={"keys": [{**key.as_dict(private=False), "use": "sig", "alg": "ES256"}]},
        callback_url="https://dtks.other.example/dci",
    )
    second = Dci(other, secret, key)
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    assert second.post("/dci/registry/sync/search", second.body("search", message)).status_code == 200
    assert dci_client.post("/dci/registry/sync/search", dci_client.body("search", message)).status_code == 429


# --- encryption ----------------------------------------------------------------------------


@pytest.fixture
def enc_key(dci_client: Dci) -> ECKey:
    """The caller publishes an encryption key beside its signing key."""
    key = ECKey.generate_key("P-256", auto_kid=True)
    caller = dci_client.caller
    caller.jwks = {
        "keys": [*caller.jwks["keys"], {**key.as_dict(private=False), "use": "enc", "alg": "ECDH-ES+A256KW"}]
    }
    caller.save(update_fields=["jwks"])
    return key


def encrypt_to_registry(message: dict[str, Any], *, enc: str = "A256GCM") -> dict[str, Any]:
    """What a caller sends: the message as a JWE to the registry's published encryption key, in DCI's parts."""
    ours = next(k for k in keys.published_jwks()["keys"] if k["use"] == "enc")
    value = jwe.encrypt_compact(
        {"alg": "ECDH-ES+A256KW", "enc": enc, "kid": ours["kid"]},
        json.dumps(message).encode(),
        ECKey.import_key(ours),
    )
    protected, encrypted_key, iv, ciphertext, tag = value.split(".")
    header = keys._unb64(protected)
    return {"header": header, "encrypted_key": encrypted_key, "iv": iv, "ciphertext": ciphertext, "tag": tag}


def encrypted_body(
    dci_client: Dci,
    action: str,
    message: dict[str, Any],
    *,
    sign_plain: bool = False,
    signed: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    sealed = encrypt_to_registry(message)
    header = dci_client.header(action, 1, is_msg_encrypted=True, **extra)
    body: dict[str, Any] = {"header": header, "message": sealed}
    if signed:
        body["signature"] = dci_client.sign(header, message if sign_plain else sealed)
    return body


def open_answer(body: dict[str, Any], key: ECKey) -> dict[str, Any]:
    """The caller reads our encrypted answer: our signature over the encrypted message, then its key."""
    check_signed(body)
    assert body["header"]["is_msg_encrypted"] is True
    sealed = body["message"]
    assert set(sealed) >= {"header", "encrypted_key", "iv", "ciphertext", "tag"}
    assert sealed["header"]["kid"] == key.kid and sealed["header"]["alg"] == "ECDH-ES+A256KW"
    value = ".".join([sealed["protected"], sealed["encrypted_key"], sealed["iv"], sealed["ciphertext"], sealed["tag"]])
    return dict(json.loads(jwe.decrypt_compact(value, key).plaintext or b""))


@pytest.mark.parametrize("sign_plain", [False, True])
def test_an_encrypted_sync_search_is_answered_encrypted(
    dci_client: Dci, manggar_household: Household, enc_key: ECKey, sign_plain: bool
) -> None:
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    response = dci_client.post(
        "/dci/registry/sync/search", encrypted_body(dci_client, "search", message, sign_plain=sign_plain)
    )
    assert response.status_code == 200, response.content
    answer = open_answer(response.json(), enc_key)
    groups = answer["search_response"][0]["data"]["reg_records"]
    assert [g["group_identifier"][0]["identifier_value"] for g in groups] == [KK_MANGGAR]
    txn = Transaction.objects.get(transaction_id=message["transaction_id"])
    assert txn.encrypted and txn.request == message  # kept decrypted, like any request


def test_an_encrypted_async_search_gets_an_encrypted_callback(
    dci_client: Dci, manggar_household: Household, enc_key: ECKey, answers: dict[str, Any]
) -> None:
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    ack = dci_client.post("/dci/registry/search", encrypted_body(dci_client, "search", message))
    assert ack.status_code == 200 and ack.json()["message"]["ack_status"] == "ACK"
    run_jobs()
    url, body = answers["sent"][-1]
    assert url.endswith("/registry/on-search")
    assert open_answer(body, enc_key)["search_response"][0]["status"] == "succ"


def test_an_unsigned_encrypted_message_from_a_caller_allowed_to_omit_signatures(
    dci_client: Dci, manggar_household: Household, enc_key: ECKey
) -> None:
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    refused = dci_client.post("/dci/registry/sync/search", encrypted_body(dci_client, "search", message, signed=False))
    assert refused.status_code == 401 and refused.json()["errors"][0]["code"] == "err.signature.missing"
    CallerSystem.objects.filter(pk=dci_client.caller.pk).update(require_signature=False)
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    response = dci_client.post("/dci/registry/sync/search", encrypted_body(dci_client, "search", message, signed=False))
    assert response.status_code == 200
    assert open_answer(response.json(), enc_key)["search_response"][0]["status"] == "succ"


def _tamper(body: dict[str, Any]) -> None:
    sealed = body["message"]
    sealed["ciphertext"] = ("A" if sealed["ciphertext"][0] != "A" else "B") + sealed["ciphertext"][1:]


@pytest.mark.parametrize(
    ("spoil", "status", "code"),
    [
        (_tamper, 400, "err.encryption.invalid"),
        (lambda body: body["message"]["header"].update(kid="not-ours"), 400, "err.encryption.invalid"),
        (lambda body: body["message"].pop("tag"), 400, "err.encryption.invalid"),
        (lambda body: body.update(message={"transaction_id": "x"}), 400, "err.encryption.invalid"),
    ],
)
def test_an_encrypted_message_that_cannot_be_read_is_refused(
    dci_client: Dci, manggar_household: Household, enc_key: ECKey, spoil: Any, status: int, code: str
) -> None:
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    body = encrypted_body(dci_client, "search", message)
    spoil(body)
    body["signature"] = dci_client.sign(body["header"], body["message"])  # validly signed, yet unreadable
    asynchronous = dci_client.post("/dci/registry/search", body)
    assert asynchronous.status_code == status and asynchronous.json()["message"]["error"]["code"] == code
    sync = dci_client.post("/dci/registry/sync/search", body)
    assert sync.status_code == status and sync.json()["header"]["status"] == "rjct"
    assert code in sync.json()["header"]["status_reason_message"]


def test_a_tampered_encrypted_message_fails_its_signature_first_when_signed_as_sent(
    dci_client: Dci, manggar_household: Household, enc_key: ECKey
) -> None:
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    body = encrypted_body(dci_client, "search", message)
    body["signature"] = dci_client.sign(body["header"], {"other": 1})
    response = dci_client.post("/dci/registry/search", body)
    assert response.status_code == 400 and response.json()["message"]["error"]["code"] == "err.signature.invalid"


def test_an_encrypted_message_needs_a_key_to_answer_to(dci_client: Dci, manggar_household: Household) -> None:
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    response = dci_client.post("/dci/registry/search", encrypted_body(dci_client, "search", message))
    assert response.status_code == 400
    error = response.json()["message"]["error"]
    assert error["code"] == "err.encryption.invalid" and "use: enc" in error["message"]


def test_a_callback_that_cannot_be_encrypted_waits_for_the_callers_key(
    dci_client: Dci, manggar_household: Household, enc_key: ECKey, answers: dict[str, Any]
) -> None:
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    assert dci_client.post("/dci/registry/search", encrypted_body(dci_client, "search", message)).status_code == 200
    caller = dci_client.caller
    published = caller.jwks
    caller.jwks = {"keys": [k for k in published["keys"] if k["use"] != "enc"]}
    caller.save(update_fields=["jwks"])
    run_jobs()
    txn = Transaction.objects.get(transaction_id=message["transaction_id"])
    assert txn.callback_status.startswith("error:") and txn.callback_next_at is not None
    assert answers["sent"] == []  # never sent in clear
    caller.jwks = published
    caller.save(update_fields=["jwks"])
    assert dci.deliver_due(now=timezone.now() + dt.timedelta(minutes=1))["delivered"] == 1
    assert open_answer(answers["sent"][-1][1], enc_key)["search_response"][0]["status"] == "succ"


def test_encrypted_messages_and_the_rate_limit_answer_match_the_specification(
    dci_client: Dci, manggar_household: Household, enc_key: ECKey, settings: Any
) -> None:
    from .specschema import check_response, errors, request_schema

    social = "social_api_v1.0.0.yaml"
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    body = encrypted_body(dci_client, "search", message)
    schema, root = request_schema(social, "/registry/sync/search")
    assert not errors(schema, body, root)  # our test caller's EncryptedMessage is the spec's
    answer = dci_client.post("/dci/registry/sync/search", body).json()
    check_response(social, "/registry/sync/search", "default", answer)
    settings.ENTAS_RATE_LIMITS = {**settings.ENTAS_RATE_LIMITS, "dci.message": "1/minute"}
    again = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    limited = dci_client.post("/dci/registry/search", dci_client.body("search", again))
    assert limited.status_code == 429
    check_response(social, "/registry/search", "default", limited.json())
