"""Our DCI answers, held to the specification's own schemas (social_api, registry_core, authz, jwks)."""

from __future__ import annotations

from typing import Any

import pytest

from entas.core import jobqueue
from entas.core.models import Job
from entas.registry.models import Household

from .conftest import Dci, search_message
from .specschema import check_response, errors, request_schema

pytestmark = pytest.mark.django_db
SOCIAL, CORE = "social_api_v1.0.0.yaml", "registry_core_api_v1.0.0.yaml"


def test_the_validator_refuses_what_breaks_the_schema() -> None:
    schema, root = request_schema(SOCIAL, "/registry/sync/search")
    good = {
        "header": {"message_id": "1", "message_ts": "x", "action": "search", "sender_id": "a", "total_count": 1},
        "message": {"transaction_id": "t", "search_request": []},
    }
    assert not errors(schema, good, root)
    assert errors(schema, {**good, "header": {**good["header"], "action": "on-search"}}, root)
    assert errors(schema, {"header": good["header"]}, root)
    assert errors(schema, {**good, "header": {**good["header"], "total_count": "1"}}, root)


def test_our_messages_in_the_tests_are_valid_requests(dci_client: Dci) -> None:
    schema, root = request_schema(SOCIAL, "/registry/sync/search")
    body = dci_client.body("search", search_message("idtype-value", {"type": "KK", "value": "6471010101200001"}))
    assert not errors(schema, body, root)


def test_answers_match_the_specification(
    dci_client: Dci, manggar_household: Household, client: Any, callbacks: list[Any]
) -> None:
    ok = search_message(
        "idtype-value",
        {"type": "KK", "value": manggar_household.kk_number},
        pagination={"page_size": 5, "page_number": 1},
    )
    bad = search_message(
        "predicate",
        [{"expression1": {"attribute_name": "income", "operator": "eq", "attribute_value": 1}}],
        reference="r-2",
    )
    ok["search_request"] += bad["search_request"]
    answer = dci_client.post("/dci/registry/sync/search", dci_client.body("search", ok))
    check_response(SOCIAL, "/registry/sync/search", "default", answer.json())
    rejected = dci_client.post("/dci/registry/sync/search", dci_client.body("search", ok, total=5))
    check_response(SOCIAL, "/registry/sync/search", "default", rejected.json())
    status = {
        "transaction_id": "st-1",
        "txnstatus_request": {
            "reference_id": "s",
            "txn_type": "search",
            "attribute_type": "transaction_id",
            "attribute_value": ok["transaction_id"],
        },
    }
    check_response(
        SOCIAL,
        "/registry/sync/txn/status",
        "default",
        dci_client.post("/dci/registry/sync/txn/status", dci_client.body("txn-status", status)).json(),
    )
    message = search_message("idtype-value", {"type": "KK", "value": manggar_household.kk_number})
    ack = dci_client.post("/dci/registry/search", dci_client.body("search", message))
    check_response(SOCIAL, "/registry/search", "default", ack.json())
    err = dci_client.post(
        "/dci/registry/search", dci_client.body("search", search_message("idtype-value", {}), signed=False)
    )
    check_response(SOCIAL, "/registry/search", "default", err.json())
    unauthorised = dci_client.post("/dci/registry/search", {}, token="")
    check_response(SOCIAL, "/registry/search", "401", unauthorised.json())
    for job in Job.objects.filter(status=Job.Status.QUEUED):
        jobqueue.execute(job.pk)
    ((_url, on_search),) = callbacks
    root_schema = request_schema(SOCIAL, "/registry/on-search")
    assert not errors(root_schema[0], on_search, root_schema[1])
    subscribe = {
        "transaction_id": "sub-1",
        "subscribe_request": [
            {
                "reference_id": "r1",
                "timestamp": "2026-12-01T04:00:00+00:00",
                "subscribe_criteria": {
                    "reg_event_type": "REGISTER",
                    "filter_type": "idtype-value",
                    "filter": {"type": "KK", "value": manggar_household.kk_number},
                    "notify_record_type": "Group",
                },
            }
        ],
    }
    check_response(
        CORE,
        "/registry/subscribe",
        "default",
        dci_client.post("/dci/registry/subscribe", dci_client.body("subscribe", subscribe)).json(),
    )
    for job in Job.objects.filter(status=Job.Status.QUEUED):
        jobqueue.execute(job.pk)
    schema, root = request_schema(CORE, "/registry/on-subscribe")
    problems = errors(schema, callbacks[-1][1], root)
    assert not problems, problems


def test_token_and_jwks_match_the_specification(dci_client: Dci, client: Any) -> None:
    dci_client.token()
    token = dci_client.client.post(
        "/dci/oauth2/client/token",
        {
            "grant_type": "client_credentials",
            "client_id": dci_client.caller.client_id,
            "client_secret": dci_client.secret,
        },
    )
    from .specschema import resolve, spec

    root = spec("authz_core_api_v1.0.0.yaml")
    assert not errors(resolve(root, "#/components/schemas/OAuth2ClientTokenResponse"), token.json(), root)
    check_response(
        "jwks_core_api_v1.0.0.yaml", "/.well-known/jwks.json", "200", client.get("/dci/.well-known/jwks.json").json()
    )
