"""The DCI social-registry interface end to end: tokens, envelopes, signatures, searches (by
identifier, expression, predicate), idempotency, transaction status, subscriptions, our JWKS."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, KeySet

from entas.core import jobqueue
from entas.core.models import AuditEvent, Job
from entas.interop import dci, keys
from entas.interop.models import Subscription, Transaction
from entas.registry.models import Household
from tests.conftest import DAMAI, MANGGAR

from .conftest import Dci, search_message

pytestmark = pytest.mark.django_db

KK_MANGGAR = "6471010101200001"


def run_jobs() -> None:
    for job in Job.objects.filter(status=Job.Status.QUEUED, kind__startswith="interop."):
        jobqueue.execute(job.pk)


def check_signed(body: dict[str, Any]) -> dict[str, Any]:
    """The answer's signature verifies against our published JWKS."""
    jwks = keys.published_jwks()
    keys.verify(body["signature"], body["header"], body.get("message"), jwks)
    return body


def test_token_requires_the_right_secret(dci_client: Dci) -> None:
    c = dci_client.client
    bad = c.post(
        "/dci/oauth2/client/token",
        {"grant_type": "client_credentials", "client_id": dci_client.caller.client_id, "client_secret": "wrong"},
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    grant = c.post("/dci/oauth2/client/token", {"grant_type": "password", "client_id": "x", "client_secret": "y"})
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    good = c.post(
        "/dci/oauth2/client/token",
        {
            "grant_type": "client_credentials",
            "client_id": dci_client.caller.client_id,
            "client_secret": dci_client.secret,
        },
    )
    assert good.status_code == 200
    assert good.json()["token_type"] == "bearer" and good.json()["expires_in"] == "3600"
    assert keys.check_token(good.json()["access_token"])["sub"] == dci_client.caller.client_id


def test_jwks_publishes_public_keys_only(client: Any, key_dir: Any) -> None:
    keys.active_key()
    body = client.get("/dci/.well-known/jwks.json").json()
    # a signing key and the key callers encrypt their messages to
    assert sorted((k["use"], k["alg"]) for k in body["keys"]) == [("enc", "ECDH-ES+A256KW"), ("sig", "ES256")]
    for key in body["keys"]:
        assert {"kty", "kid", "use", "alg"} <= set(key) and "d" not in key
        assert key["kid"] == ECKey.import_key(key).thumbprint()
    for pem in key_dir.iterdir():
        assert oct(pem.stat().st_mode)[-3:] == "600"
        assert b"ENCRYPTED" in pem.read_bytes()


def test_sync_search_by_identifier(dci_client: Dci, manggar_household: Household, damai_household: Household) -> None:
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    response = dci_client.post("/dci/registry/sync/search", dci_client.body("search", message))
    assert response.status_code == 200, response.content
    body = check_signed(response.json())
    header = body["header"]
    assert header["action"] == "on-search" and header["status"] == "succ"
    assert header["receiver_id"] == dci_client.caller.sender_id and header["sender_id"] == "entas.balikpapan.go.id"
    result = body["message"]
    assert result["transaction_id"] == message["transaction_id"] and result["correlation_id"]
    item = result["search_response"][0]
    assert item["status"] == "succ" and item["reference_id"] == "ref-1"
    assert item["pagination"] == {"page_size": 100, "page_number": 1, "total_count": 1}
    group = item["data"]["reg_records"][0]
    assert group["@type"] == "spdci:Group" and group["group_identifier"][0]["identifier_value"] == KK_MANGGAR
    assert group["group_size"] == 3 and len(group["member_list"]) == 3
    assert group["group_head_info"]["relationship_head"] == "head"
    # the auditor service user may not see full NIKs: masked
    nik = group["member_list"][0]["member_identifier"][0]["identifier_value"]
    assert not nik.isdigit() and nik.endswith(
        manggar_household.members.order_by("relationship", "birth_date").first().nik[-4:]
    )
    event = AuditEvent.objects.get(action="dci.search")
    assert event.actor == dci_client.caller.service_user and event.after["households"] == [manggar_household.pk]


def test_search_by_expression_and_predicate(
    dci_client: Dci, manggar_household: Household, damai_household: Household
) -> None:
    Household.objects.filter(pk=damai_household.pk).update(desil_national=2)
    Household.objects.filter(pk=manggar_household.pk).update(desil_national=6)
    expression = {
        "type": "ns:entas:QueryType:NoSql",
        "value": {
            "expression": {
                "collection": "Group",
                "query": {"$and": [{"desil_national": {"$lte": 4}}, {"group_size": {"$gte": 4}}]},
            }
        },
    }
    body = dci_client.post(
        "/dci/registry/sync/search", dci_client.body("search", search_message("expression", expression))
    ).json()
    found = [
        g["group_identifier"][0]["identifier_value"]
        for g in body["message"]["search_response"][0]["data"]["reg_records"]
    ]
    assert found == [damai_household.kk_number]
    predicate = [
        {"seq_num": 1, "expression1": {"attribute_name": "location", "operator": "eq", "attribute_value": "64.71.01"}},
        {"seq_num": 2, "expression1": {"attribute_name": "sex", "operator": "eq", "attribute_value": "female"}},
    ]
    body = dci_client.post(
        "/dci/registry/sync/search", dci_client.body("search", search_message("predicate", predicate, entity="Member"))
    ).json()
    members = body["message"]["search_response"][0]["data"]["reg_records"]
    assert len(members) == 1 and members[0]["demographic_info"]["sex"] == "female"
    assert members[0]["@type"] == "spdci:Member"


def test_rejected_items_carry_the_reason_code(dci_client: Dci, manggar_household: Household) -> None:
    message = search_message(
        "expression", {"value": {"expression": {"collection": "Group", "query": {"income": {"$lt": 5}}}}}
    )
    message["search_request"].append({**message["search_request"][0], "reference_id": "ref-1"})
    message["search_request"].append(
        {**message["search_request"][0], "reference_id": "ref-3", "timestamp": "yesterday"}
    )
    bad_page = search_message(
        "idtype-value", {"type": "KK", "value": KK_MANGGAR}, reference="ref-4", pagination={"page_size": 0}
    )
    message["search_request"].append(bad_page["search_request"][0])
    bad_sort = search_message(
        "idtype-value",
        {"type": "KK", "value": KK_MANGGAR},
        reference="ref-5",
        sort=[{"attribute_name": "income", "sort_order": "asc"}],
    )
    message["search_request"].append(bad_sort["search_request"][0])
    body = dci_client.post("/dci/registry/sync/search", dci_client.body("search", message)).json()
    codes = [(i["reference_id"], i["status"], i.get("status_reason_code")) for i in body["message"]["search_response"]]
    assert codes == [
        ("ref-1", "rjct", "rjct.search_criteria.invalid"),
        ("ref-1", "rjct", "rjct.reference_id.duplicate"),
        ("ref-3", "rjct", "rjct.timestamp.invalid"),
        ("ref-4", "rjct", "rjct.pagination.invalid"),
        ("ref-5", "rjct", "rjct.sort.invalid"),
    ]
    assert body["header"]["status"] == "rjct"


def test_area_scoping_of_the_service_user(
    dci_client: Dci, make_user: Any, manggar_household: Household, damai_household: Household
) -> None:
    from entas.accounts.roles import Role

    caller = dci_client.caller
    caller.service_user = make_user("svc.manggar", Role.OPERATOR, [manggar_household.kelurahan.code])
    caller.save()
    message = search_message("idtype-value", {"type": "KK", "value": damai_household.kk_number})
    item = dci_client.post("/dci/registry/sync/search", dci_client.body("search", message)).json()["message"][
        "search_response"
    ][0]
    assert item["status"] == "succ" and item["data"]["reg_records"] == []
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    item = dci_client.post("/dci/registry/sync/search", dci_client.body("search", message)).json()["message"][
        "search_response"
    ][0]
    # an operator may see full NIKs (logged): the NIK in full
    assert item["data"]["reg_records"][0]["member_list"][0]["member_identifier"][0]["identifier_value"].isdigit()


@pytest.mark.parametrize("case", ["no_token", "bad_token", "inactive"])
def test_unauthorised_calls(dci_client: Dci, case: str) -> None:
    body = dci_client.body("search", search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR}))
    if case == "inactive":
        dci_client.token()
        type(dci_client.caller).objects.filter(pk=dci_client.caller.pk).update(active=False)
        response = dci_client.post("/dci/registry/search", body)
        assert response.status_code == 403 and response.json()["errors"][0]["code"] == "err.request.forbidden"
        return
    response = dci_client.post("/dci/registry/search", body, token="" if case == "no_token" else "a.b.c")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "err.request.unauthorized"


def test_signature_checks(dci_client: Dci, manggar_household: Household) -> None:
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    unsigned = dci_client.body("search", message, signed=False)
    response = dci_client.post("/dci/registry/search", unsigned)
    assert response.status_code == 400
    assert response.json()["message"]["ack_status"] == "ERR"
    assert response.json()["message"]["error"]["code"] == "err.signature.missing"
    tampered = dci_client.body("search", message)
    tampered["message"]["search_request"][0]["search_criteria"]["query"]["value"] = "6471060101200002"
    response = dci_client.post("/dci/registry/search", tampered)
    assert response.json()["message"]["error"]["code"] == "err.signature.invalid"
    other = ECKey.generate_key("P-256", auto_kid=True)
    forged = dci_client.body("search", message, signed=False)
    forged["signature"] = dci_client.sign(forged["header"], forged["message"], key=other)
    response = dci_client.post("/dci/registry/search", forged)
    assert response.json()["message"]["error"]["code"] == "err.signature.invalid"
    # sync: the signature errors answer 401 with the DCI code
    response = dci_client.post("/dci/registry/sync/search", forged)
    assert response.status_code == 401 and response.json()["errors"][0]["code"] == "err.signature.invalid"
    # an attached (non-detached) JWS over the same header and message is accepted
    good = dci_client.body("search", message, signed=False)
    good["signature"] = jws.serialize_compact(
        {"alg": "ES256", "kid": dci_client.key.kid}, keys.canonical(good["header"], good["message"]), dci_client.key
    )
    assert dci_client.post("/dci/registry/search", good).json()["message"]["ack_status"] == "ACK"
    assert not Transaction.objects.exclude(transaction_id=message["transaction_id"]).exists()


def test_unsigned_accepted_when_not_required(dci_client: Dci, manggar_household: Household) -> None:
    type(dci_client.caller).objects.filter(pk=dci_client.caller.pk).update(require_signature=False)
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    response = dci_client.post("/dci/registry/sync/search", dci_client.body("search", message, signed=False))
    assert response.status_code == 200 and response.json()["header"]["status"] == "succ"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"version": "2.0.0"}, 400, "err.version.not_supported"),
        ({"action": "subscribe"}, 400, "err.request.bad"),
        ({"sender_id": "someone.else"}, 403, "err.sender_id.invalid"),
        ({"receiver_id": "other.registry"}, 400, "err.receiver_id.invalid"),
        ({"is_msg_encrypted": True}, 400, "err.encryption.invalid"),
        ({"total_count": 7}, 400, "err.request.bad"),
        ({"message_ts": "not a time"}, 400, "err.request.bad"),
        ({"sender_uri": "https://evil.example/cb"}, 400, "err.sender_uri.invalid"),
    ],
)
def test_envelope_errors(dci_client: Dci, change: dict[str, Any], status: int, code: str) -> None:
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    body = dci_client.body("search", message)
    body["header"].update(change)
    body["signature"] = dci_client.sign(body["header"], body["message"])
    response = dci_client.post("/dci/registry/search", body)
    assert response.status_code == status
    payload = response.json()
    got = payload["errors"][0]["code"] if status == 403 else payload["message"]["error"]["code"]
    assert got == code
    assert not Transaction.objects.exists()


def test_sync_header_rejection_reason(dci_client: Dci) -> None:
    body = dci_client.body("search", search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR}), total=3)
    response = dci_client.post("/dci/registry/sync/search", body)
    assert response.status_code == 400
    header = check_signed(response.json())["header"]
    assert header["status"] == "rjct" and header["status_reason_code"] == "rjct.total_count.invalid"
    bad = dci_client.client.post(
        "/dci/registry/sync/search",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {dci_client.token()}",
    )
    assert bad.status_code == 400 and bad.json()["header"]["status"] == "rjct"


def test_async_search_callback_and_idempotency(
    dci_client: Dci, manggar_household: Household, callbacks: list[Any]
) -> None:
    message = search_message(
        "idtype-value", {"type": "NIK", "value": manggar_household.members.order_by("pk").first().nik}
    )
    body = dci_client.body("search", message, sender_uri="https://spmis.kemensos.example/dci/registry/on-search")
    first = dci_client.post("/dci/registry/search", body)
    assert first.status_code == 200
    ack = first.json()["message"]
    assert ack["ack_status"] == "ACK" and ack["correlation_id"] and ack["timestamp"]
    # the same message again (a retry with a new message id): the same answer, no second job
    again = dci_client.body("search", message)
    assert dci_client.post("/dci/registry/search", again).json() == first.json()
    assert Job.objects.filter(kind="interop.dci_process").count() == 1
    # the same transaction id with another message: refused
    other = dict(
        message,
        search_request=search_message("idtype-value", {"type": "KK", "value": "6471060101200002"})["search_request"],
    )
    conflict = dci_client.post("/dci/registry/search", dci_client.body("search", other))
    assert conflict.status_code == 409 and conflict.json()["message"]["error"]["code"] == "err.request.bad"
    # status while pending
    status = {
        "transaction_id": "st-1",
        "txnstatus_request": {
            "reference_id": "s1",
            "txn_type": "search",
            "attribute_type": "transaction_id",
            "attribute_value": message["transaction_id"],
        },
    }
    pending = dci_client.post("/dci/registry/sync/txn/status", dci_client.body("txn-status", status)).json()
    assert pending["header"]["action"] == "txn-on-status"
    assert pending["message"]["txnstatus_response"]["txn_status"]["search_response"][0]["status"] == "pdng"
    run_jobs()
    assert len(callbacks) == 1
    url, sent = callbacks[0]
    assert url == "https://spmis.kemensos.example/dci/registry/on-search"
    check_signed(sent)
    assert sent["header"]["action"] == "on-search" and sent["header"]["status"] == "succ"
    groups = sent["message"]["search_response"][0]["data"]["reg_records"]
    assert [g["group_identifier"][0]["identifier_value"] for g in groups] == [KK_MANGGAR]
    txn = Transaction.objects.get(transaction_id=message["transaction_id"])
    assert txn.status == "succ" and txn.callback_status == "200"
    # status once done, by correlation id and by reference id
    for attribute, value in (("correlation_id", txn.correlation_id), ("reference_id_list", ["ref-1"])):
        status = {
            "transaction_id": f"st-{attribute}",
            "txnstatus_request": {
                "reference_id": "s2",
                "txn_type": "search",
                "attribute_type": attribute,
                "attribute_value": value,
            },
        }
        done = check_signed(
            dci_client.post("/dci/registry/sync/txn/status", dci_client.body("txn-status", status)).json()
        )
        assert done["message"]["txnstatus_response"]["txn_status"]["search_response"][0]["status"] == "succ"
    missing = {
        "transaction_id": "st-x",
        "txnstatus_request": {
            "reference_id": "s3",
            "txn_type": "search",
            "attribute_type": "transaction_id",
            "attribute_value": "nope",
        },
    }
    response = dci_client.post("/dci/registry/sync/txn/status", dci_client.body("txn-status", missing))
    assert response.status_code == 404 and response.json()["header"]["status"] == "rjct"


def test_async_status_goes_to_on_status(dci_client: Dci, manggar_household: Household, callbacks: list[Any]) -> None:
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    dci_client.post("/dci/registry/search", dci_client.body("search", message))
    run_jobs()
    status = {
        "transaction_id": "st-a",
        "txnstatus_request": {
            "reference_id": "s1",
            "txn_type": "search",
            "attribute_type": "transaction_id",
            "attribute_value": message["transaction_id"],
        },
    }
    assert (
        dci_client.post("/dci/registry/txn/status", dci_client.body("txn-status", status)).json()["message"][
            "ack_status"
        ]
        == "ACK"
    )
    run_jobs()
    url, sent = callbacks[-1]
    assert url == "https://spmis.kemensos.example/dci/registry/txn/on-status"
    assert sent["header"]["action"] == "txn-on-status"
    assert sent["message"]["txnstatus_response"]["txn_type"] == "search"


def test_too_many_records_without_pagination(dci_client: Dci, manggar_household: Household, monkeypatch: Any) -> None:
    monkeypatch.setattr("entas.interop.rules.MAX_UNPAGED", 0)
    message = search_message(
        "predicate", [{"expression1": {"attribute_name": "location", "operator": "eq", "attribute_value": "64.71"}}]
    )
    item = dci_client.post("/dci/registry/sync/search", dci_client.body("search", message)).json()["message"][
        "search_response"
    ][0]
    assert item["status_reason_code"] == "rjct.search.too_many_records_found"
    paged = search_message(
        "predicate",
        [{"expression1": {"attribute_name": "location", "operator": "eq", "attribute_value": "64.71"}}],
        pagination={"page_size": 1, "page_number": 1},
    )
    item = dci_client.post("/dci/registry/sync/search", dci_client.body("search", paged)).json()["message"][
        "search_response"
    ][0]
    assert item["status"] == "succ" and item["pagination"]["total_count"] == 1


def test_subscribe_notify_unsubscribe(dci_client: Dci, regions: Any, callbacks: list[Any]) -> None:
    from tests.conftest import make_household

    subscribe = {
        "transaction_id": "sub-1",
        "subscribe_request": [
            {
                "reference_id": "r1",
                "timestamp": "2026-12-01T04:00:00+00:00",
                "subscribe_criteria": {
                    "reg_event_type": "REGISTER",
                    "filter_type": "predicate",
                    "filter": [
                        {"expression1": {"attribute_name": "location", "operator": "eq", "attribute_value": "64.71.01"}}
                    ],
                    "notify_record_type": "Group",
                },
            },
            {
                "reference_id": "r2",
                "timestamp": "2026-12-01T04:00:00+00:00",
                "subscribe_criteria": {"reg_event_type": "BIRTH", "filter": {}, "notify_record_type": "Group"},
            },
        ],
    }
    assert (
        dci_client.post("/dci/registry/subscribe", dci_client.body("subscribe", subscribe)).json()["message"][
            "ack_status"
        ]
        == "ACK"
    )
    run_jobs()
    url, sent = callbacks[-1]
    assert url.endswith("/registry/on-subscribe") and sent["header"]["action"] == "on-subscribe"
    first, second = sent["message"]["subscribe_response"]
    assert first["status"] == "succ" and second["status_reason_code"] == "rjct.notify_types.invalid"
    code = first["subscriptions"][0]["code"]
    # the same subscription again is refused
    again = dict(subscribe, transaction_id="sub-2", subscribe_request=subscribe["subscribe_request"][:1])
    dci_client.post("/dci/registry/subscribe", dci_client.body("subscribe", again))
    run_jobs()
    assert callbacks[-1][1]["message"]["subscribe_response"][0]["status_reason_code"] == "rjct.event.already_subscribed"
    # a household registered in Manggar is notified, one in Damai is not
    make_household(regions[MANGGAR], "6471010101200009")
    make_household(regions[DAMAI], "6471060101200008")
    sub = Subscription.objects.get(code=code)
    sub_sent = dci.notify(sub)
    assert sub_sent == 1
    url, note = callbacks[-1]
    assert url.endswith("/registry/notify") and note["header"]["action"] == "notify"
    check_signed(note)
    assert (
        note["message"]["notify_event"][0]["data"]["reg_records"][0]["group_identifier"][0]["identifier_value"]
        == "6471010101200009"
    )
    assert dci.notify(Subscription.objects.get(code=code)) == 0  # nothing new since
    unsubscribe = {"transaction_id": "uns-1", "timestamp": "2026-12-01T04:10:00+00:00", "subscription_codes": [code]}
    dci_client.post("/dci/registry/unsubscribe", dci_client.body("unsubscribe", unsubscribe))
    run_jobs()
    url, sent = callbacks[-1]
    assert url.endswith("/registry/on-unsubscribe")
    assert sent["message"]["subscription_status"] == [{"code": code, "status": "unsubscribe"}]
    assert Subscription.objects.get(code=code).status == "unsubscribe"
    unsubscribe = {"transaction_id": "uns-2", "timestamp": "2026-12-01T04:10:00+00:00", "subscription_codes": [code]}
    dci_client.post("/dci/registry/unsubscribe", dci_client.body("unsubscribe", unsubscribe))
    run_jobs()
    assert callbacks[-1][1]["message"]["status_reason_code"] == "rjct.event.already_unsubscribed"


def test_caller_jwks_fetched_from_url(
    dci_client: Dci, manggar_household: Household, monkeypatch: Any, caller_key: ECKey
) -> None:
    public = {**caller_key.as_dict(private=False), "use": "sig", "alg": "ES256"}
    fetched: list[str] = []

    def fetch(url: str) -> Any:
        fetched.append(url)
        return {"keys": [public]}

    monkeypatch.setattr("entas.interop.transport.fetch_json", fetch)
    type(dci_client.caller).objects.filter(pk=dci_client.caller.pk).update(
        jwks={}, jwks_url="https://spmis.kemensos.example/.well-known/jwks.json"
    )
    message = search_message("idtype-value", {"type": "KK", "value": KK_MANGGAR})
    assert dci_client.post("/dci/registry/sync/search", dci_client.body("search", message)).status_code == 200
    assert fetched == ["https://spmis.kemensos.example/.well-known/jwks.json"]


def test_key_rotation_keeps_old_signatures_checkable(admin_user: Any) -> None:
    from entas.interop import services

    first = keys.active_key()
    header, message = {"a": 1}, {"b": 2}
    old_signature = keys.sign(header, message)
    second = services.rotate_keys(actor=admin_user)
    assert second.kid != first.kid
    jwks = keys.published_jwks()
    assert [k["kid"] for k in jwks["keys"] if k["use"] == "sig"] == [second.kid, first.kid]
    keys.verify(old_signature, header, message, jwks)
    assert keys.verify(keys.sign(header, message), header, message, jwks) == second.kid
    assert KeySet.import_key_set(jwks).get_by_kid(second.kid)
    # once there is an encryption key, rotation renews it too; the old one still decrypts (published)
    encryption = keys.active_key("enc")
    services.rotate_keys(actor=admin_user)
    assert keys.active_key("enc").kid != encryption.kid
    assert encryption.kid in [k["kid"] for k in keys.published_jwks()["keys"]]
