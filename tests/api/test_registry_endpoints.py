"""Registry capabilities over the API (issue #26): filters on the households list, the field check,
change requests (maker) and their decision (checker), through the same services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from entas.accounts import tokens
from entas.accounts.models import User
from entas.registry.models import ChangeRequest
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db


def _bearer(user: User, scope: str) -> dict[str, str]:
    secret = tokens.create_token(actor=user, user=user, name="t", scopes=scope).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_households_filters(client: Any, regions: Any, dinsos_manager: User, admin_user: User) -> None:
    manggar = make_household(regions[MANGGAR], "6471010101200001")
    damai = make_household(regions[DAMAI], "6471060101200002")
    auth = _bearer(admin_user, "registry:read")
    every = client.get("/api/v1/households", **auth).json()["results"]
    assert {h["id"] for h in every} == {manggar.pk, damai.pk}
    only = client.get(f"/api/v1/households?kelurahan={DAMAI}", **auth).json()["results"]
    assert [h["id"] for h in only] == [damai.pk]
    assert client.get("/api/v1/households?max_desil=11", **auth).status_code == 422


def test_verification_and_the_change_request_cycle(
    client: Any, regions: Any, operator_manggar: User, dinsos_manager: User
) -> None:
    household = make_household(regions[MANGGAR], "6471010101200001")
    maker = _bearer(operator_manggar, "registry:write")
    checked = client.post(
        f"/api/v1/households/{household.pk}/verification",
        {"visit_date": dt.date.today().isoformat(), "confirmed": True},
        content_type="application/json",
        **maker,
    )
    assert checked.status_code == 200 and checked.json()["verification_status"] == "diverifikasi"

    member = household.members.order_by("pk").last()
    asked = client.post(
        f"/api/v1/households/{household.pk}/change-requests",
        {"kind": "remove_member", "payload": {"member_id": member.pk}, "reason": "pindah ke luar kota"},
        content_type="application/json",
        **maker,
    )
    assert asked.status_code == 201, asked.content
    change_id = asked.json()["id"]
    # the maker cannot decide their own request
    own = client.post(
        f"/api/v1/change-requests/{change_id}/decision", {"approve": True}, content_type="application/json", **maker
    )
    assert own.status_code == 403  # the operator's role cannot approve at all

    checker = _bearer(dinsos_manager, "registry:write")
    waiting = client.get("/api/v1/change-requests?limit=1", **checker).json()
    assert [c["id"] for c in waiting["results"]] == [change_id] and waiting["next_after"] is None
    decided = client.post(
        f"/api/v1/change-requests/{change_id}/decision", {"approve": True}, content_type="application/json", **checker
    )
    assert decided.status_code == 200 and decided.json()["status"] == ChangeRequest.Status.APPLIED


def test_change_request_errors_name_the_field(client: Any, regions: Any, operator_manggar: User) -> None:
    household = make_household(regions[MANGGAR], "6471010101200001")
    answer = client.post(
        f"/api/v1/households/{household.pk}/change-requests",
        {"kind": "no_such_kind", "reason": "x"},
        content_type="application/json",
        **_bearer(operator_manggar, "registry:write"),
    )
    body = answer.json()
    assert answer.status_code == 422 and body["code"] == "invalid" and body["field"] == "kind"


def test_change_requests_page_by_keyset(
    client: Any, regions: Any, operator_manggar: User, dinsos_manager: User
) -> None:
    from entas.registry import services

    families = [make_household(regions[MANGGAR], f"64710101012000{i:02d}") for i in range(3)]
    for family in families:
        services.request_change(
            actor=operator_manggar,
            household=family,
            kind="new_kk",
            payload={"kk_number": "64710101019" + str(family.pk).zfill(5)},
            reason="pecah KK",
        )
    auth = _bearer(dinsos_manager, "registry:read")
    seen: list[int] = []
    after = 0
    while True:
        page = client.get(f"/api/v1/change-requests?limit=2&after={after}", **auth).json()
        seen += [c["id"] for c in page["results"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert seen == sorted(ChangeRequest.objects.values_list("pk", flat=True))


def test_a_machine_client_chooses_its_language_with_accept_language(
    client: Any, regions: Any, admin_user: User
) -> None:
    """An API client sets Accept-Language (an integrator's choice); the pages ignore the browser's,
    and so does the API without a token (a browser's session)."""
    auth = _bearer(admin_user, "registry:read")
    missing = "/api/v1/households/999999"
    english = client.get(missing, HTTP_ACCEPT_LANGUAGE="en", **auth)
    indonesian = client.get(missing, HTTP_ACCEPT_LANGUAGE="id", **auth)
    default = client.get(missing, **auth)
    assert english.status_code == indonesian.status_code == default.status_code == 404
    assert english["Content-Language"] == "en" and "Accept-Language" in english["Vary"]
    assert indonesian["Content-Language"] == default["Content-Language"] == "id"
    assert english.json()["code"] == indonesian.json()["code"] == "not_found"
    assert english.json()["message"] != indonesian.json()["message"]
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "id"
