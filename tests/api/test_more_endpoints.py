"""The endpoints that closed the gaps docs/api.md listed (issue #26): registering a family, editing a
household's variables, a cycle's payment list by keyset, entering budget realisation."""

from __future__ import annotations

from typing import Any

import pytest

from entas.accounts import tokens
from entas.accounts.models import User
from entas.registry.models import Household
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.registry.helpers import standard_family

pytestmark = pytest.mark.django_db


def _bearer(user: User, scope: str) -> dict[str, str]:
    secret = tokens.create_token(actor=user, user=user, name="t", scopes=scope).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _patch(client: Any, household: Household, body: dict[str, Any], auth: dict[str, str]) -> Any:
    return client.patch(f"/api/v1/households/{household.pk}", body, content_type="application/json", **auth)


def test_edit_a_households_variables(client: Any, regions: Any, operator_manggar: User, auditor: User) -> None:
    household = make_household(regions[MANGGAR], "6471010101200001")
    damai = make_household(regions[DAMAI], "6471060101200002")
    auth = _bearer(operator_manggar, "registry:write")
    done = _patch(
        client, household, {"version": household.version, "values": {"address": "Jl. Baru", "rt": "004"}}, auth
    )
    assert done.status_code == 200, done.content
    assert done.json() == {"id": household.pk, "version": household.version + 1, "changed": ["address", "rt"]}
    household.refresh_from_db()
    assert (household.address, household.rt) == ("Jl. Baru", "004")
    stale = _patch(client, household, {"version": household.version - 1, "values": {"address": "Jl. Lain"}}, auth)
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    unknown = _patch(client, household, {"version": household.version, "values": {"kk_number": "1"}}, auth)
    assert unknown.status_code == 400 and unknown.json()["field"] == "kk_number"
    too_long = _patch(client, household, {"version": household.version, "values": {"rt": "12345"}}, auth)
    assert too_long.status_code == 400 and too_long.json()["field"] == "rt"
    elsewhere = _patch(client, damai, {"version": damai.version, "values": {"address": "x"}}, auth)
    assert elsewhere.status_code == 404
    read_only = _patch(
        client, household, {"version": household.version, "values": {}}, _bearer(operator_manggar, "registry:read")
    )
    assert read_only.status_code == 403
    audit_only = _patch(client, household, {"version": household.version, "values": {}}, _bearer(auditor, "*"))
    assert audit_only.status_code == 403  # the auditor's role changes nothing


def test_register_a_family(client: Any, regions: Any, operator_manggar: User) -> None:
    rows = standard_family(MANGGAR, "6471010101209999")
    body = {
        "kelurahan": MANGGAR,
        "kk_number": rows[0]["kk_number"],
        "address": "Jl. Uji Coba",
        "rt": "001",
        "rw": "002",
        "members": [{k: r[k] for k in ("nik", "name", "sex", "birth_date", "relationship")} for r in rows],
    }
    auth = _bearer(operator_manggar, "registry:write")
    made = client.post("/api/v1/households", body, content_type="application/json", **auth)
    assert made.status_code == 201, made.content
    household = Household.objects.get(pk=made.json()["id"])
    assert household.kk_number == "6471010101209999" and household.members.count() == 3
    assert made.json()["verification_status"] == household.verification_status
    again = client.post("/api/v1/households", body, content_type="application/json", **auth)
    assert again.status_code in (400, 409)  # the KK number is registered now
    outside = client.post("/api/v1/households", body | {"kelurahan": DAMAI}, content_type="application/json", **auth)
    assert outside.status_code == 400 and outside.json()["field"] == "kelurahan"


def test_a_cycles_payment_list_by_keyset(client: Any, regions: Any, tmp_path: Any, make_user: Any) -> None:
    import datetime as dt

    from entas.accounts.roles import Role
    from entas.programs import services as programmes
    from entas.programs.models import Payment
    from entas.registry.importer import import_registry
    from entas.targeting import services as targeting
    from tests.helpers import city_files, make_programme

    import_registry(city_files(households=30, seed=12, survey_size=20) / "registry.csv", actor=None,
                    rejection_path=tmp_path / "r.csv")  # fmt: skip
    rule = targeting.save_rule(actor=None, name="BLT", expression="true", benefit=300_000)
    programme = make_programme(rule, start=dt.date(2026, 12, 1))
    maker = make_user("dinsos1", Role.DINSOS_MANAGER, ["64.71"])
    checker = make_user("dinsos2", Role.DINSOS_MANAGER, ["64.71"])
    programmes.enrol(programme=programme, actor=maker)
    cycle = programmes.create_cycle(programme=programme, period="2026-12", actor=maker)
    programmes.prepare(cycle=cycle, actor=maker)
    cycle.refresh_from_db()
    for actor, action in ((maker, "submit"), (checker, "approve"), (maker, "disburse")):
        cycle = programmes.transition(cycle=cycle, action=action, actor=actor)
    every = list(Payment.objects.filter(entitlement__cycle=cycle).order_by("pk").values_list("pk", flat=True))
    assert len(every) > 3
    auth = _bearer(maker, "programmes:read")
    seen: list[int] = []
    after = 0
    while True:
        page = client.get(f"/api/v1/cycles/{cycle.pk}/payments?limit=3&after={after}", **auth).json()
        seen += [p["id"] for p in page["results"]]
        assert len(page["results"]) <= 3
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert seen == every
    assert client.get(f"/api/v1/cycles/{cycle.pk}/payments?status=failed", **auth).json()["results"] == []
    assert client.get(f"/api/v1/cycles/{cycle.pk}/payments?status=nope", **auth).status_code == 400
    manggar = make_user("svc.manggar", Role.DINSOS_MANAGER, [MANGGAR])
    only = client.get(f"/api/v1/cycles/{cycle.pk}/payments?limit=1000", **_bearer(manggar, "programmes:read")).json()
    assert {p["kelurahan_code"] for p in only["results"]} <= {MANGGAR}
    assert len(only["results"]) < len(every)
