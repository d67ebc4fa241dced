"""Shock mode over the API (issue #26): households reported as affected by an event — the list (keyset),
one report and many at once — with the "affected" page's form, services and role, under the
``programmes`` scope (whose token reads are audited)."""

from __future__ import annotations

from typing import Any

import pytest

from entas.accounts import tokens
from entas.accounts.models import User
from entas.core.models import AuditEvent
from entas.programs.models import ShockFlag
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(client: Any, settings: Any) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _bearer(user: User, scope: str) -> dict[str, str]:
    secret = tokens.create_token(actor=user, user=user, name="t", scopes=scope).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _post(client: Any, path: str, auth: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json", **auth)


def test_report_one_and_many_and_list(
    client: Any, regions: Any, operator_manggar: User, operator_damai: User, auditor: User
) -> None:
    first = make_household(regions[MANGGAR], "6471010101200001")
    second = make_household(regions[MANGGAR], "6471010101200002")
    damai = make_household(regions[DAMAI], "6471060101200003")
    auth = _bearer(operator_manggar, "programmes:write")

    one = _post(
        client,
        "/api/v1/shock-flags",
        auth,
        {"kk_number": first.kk_number, "event": "Banjir Januari 2027", "kind": "disaster", "note": "RT 01"},
    )
    assert one.status_code == 201, one.content
    assert one.json()["kk_number"] == first.kk_number and one.json()["reported_by"] == "op.manggar"
    assert AuditEvent.objects.filter(action="programme.flag_affected", actor=operator_manggar).count() == 1

    many = _post(
        client,
        "/api/v1/shock-flags/bulk",
        auth,
        {
            "event": "Banjir Januari 2027",
            "kind": "disaster",
            "rows": [
                {"kk_number": first.kk_number},
                {"kk_number": second.kk_number, "kind": "lost_income", "note": "PHK"},
                {"kk_number": damai.kk_number},
                {"kk_number": "9999999999999999"},
            ],
        },
    )
    assert many.status_code == 200, many.content
    result = many.json()
    assert (result["rows"], result["flagged"], result["new"], result["already"]) == (4, 2, 1, 1)
    # Damai's family is answered as one that does not exist: the same reason as an unknown number
    assert [(r["line"], r["reason"]) for r in result["refused"]] == [
        (3, "no household with this KK number in your areas"),
        (4, "no household with this KK number in your areas"),
    ]
    assert ShockFlag.objects.get(household=second).kind == "lost_income"
    assert not ShockFlag.objects.filter(household=damai).exists()

    page = client.get("/api/v1/shock-flags?page_size=1", **_bearer(operator_manggar, "programmes:read"))
    assert page.status_code == 200, page.content
    assert len(page.json()["results"]) == 1 and page.json()["next"]
    rest = client.get(page.json()["next"], **auth).json()
    assert {f["household_id"] for f in [*page.json()["results"], *rest["results"]]} == {first.pk, second.pk}
    assert AuditEvent.objects.filter(action="api.read", object_repr__startswith="/api/v1/shock-flags").exists()
    assert client.get("/api/v1/shock-flags?event=Kebakaran", **auth).json()["results"] == []
    # Damai's operator sees none of Manggar's flags
    assert client.get("/api/v1/shock-flags", **_bearer(operator_damai, "programmes")).json()["results"] == []


def test_refusals(client: Any, regions: Any, operator_manggar: User, auditor: User, tkpk_analyst: User) -> None:
    damai = make_household(regions[DAMAI], "6471060101200003")
    body = {"kk_number": damai.kk_number, "event": "Banjir", "kind": "disaster"}
    auth = _bearer(operator_manggar, "programmes:write")
    elsewhere = _post(client, "/api/v1/shock-flags", auth, body)
    assert elsewhere.status_code == 400 and elsewhere.json()["field"] == "kk_number"
    bad_kind = _post(client, "/api/v1/shock-flags", auth, {**body, "kind": "gempa"})
    assert bad_kind.status_code == 422 and bad_kind.json()["field"] == "kind"
    no_rows = _post(client, "/api/v1/shock-flags/bulk", auth, {"event": "x", "kind": "other", "rows": []})
    assert no_rows.status_code == 422 and no_rows.json()["field"] == "rows"
    # the auditor and the analyst report no household; a registry token is not a programmes one
    assert _post(client, "/api/v1/shock-flags", _bearer(auditor, "*"), body).status_code == 403
    assert client.get("/api/v1/shock-flags", **_bearer(tkpk_analyst, "*")).status_code == 403
    wrong = client.get("/api/v1/shock-flags", **_bearer(operator_manggar, "registry:write"))
    assert wrong.status_code == 403 and wrong.json()["field"] == "scope"
    assert not ShockFlag.objects.exists()
