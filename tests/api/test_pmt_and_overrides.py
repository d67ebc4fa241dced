"""Targeting's gaps that the API closed (issue #26): PMT models (list, fit as a job, choose, score as a
job) with the PMT page's roles, and the musyawarah's overrides of a rule's list (keyset list, record)
with the overrides page's form and service — under the ``targeting`` scope."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from entas.accounts import tokens
from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.models import AuditEvent, Job
from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
from entas.registry.importer import import_registry
from entas.targeting import services as targeting
from entas.targeting.models import HouseholdScore, PmtModel
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.helpers import city_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(client: Any, settings: Any) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _bearer(user: User, scope: str) -> dict[str, str]:
    secret = tokens.create_token(actor=user, user=user, name="t", scopes=scope).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def surveyed_city(regions: Any, tmp_path: Path) -> Any:
    files = city_files(households=1500, seed=21, survey_size=600)
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    return import_survey(path=files / "survey.csv", name="Susenas sintetis", year=2025, actor=None)


def _post(client: Any, path: str, auth: dict[str, str], body: dict[str, Any] | None = None) -> Any:
    return client.post(path, body or {}, content_type="application/json", **auth)


def test_fit_list_choose_and_score_a_pmt_model(
    client: Any, surveyed_city: Any, tkpk_analyst: User, auditor: User, operator_manggar: User
) -> None:
    auth = _bearer(tkpk_analyst, "targeting:write")
    started = _post(client, "/api/v1/targeting/pmt/fit", auth, {"survey": surveyed_city.pk, "kind": "wls"})
    assert started.status_code == 202, started.content
    job = Job.objects.get(pk=started.json()["job"])
    assert job.kind == "targeting.fit" and job.params["line"] > 0  # the national line of the survey's year
    assert jobqueue.execute(job.pk).status == "succeeded"

    listed = client.get("/api/v1/targeting/pmt/models", **_bearer(auditor, "targeting:read"))
    assert listed.status_code == 200, listed.content
    [model] = listed.json()
    assert model["version"] == 1 and model["kind"] == "wls" and model["survey_id"] == surveyed_city.pk
    assert model["metrics"]["cross_validated"]["r2"] > 0
    assert (model["chosen"], model["scored"], model["in_use"]) == (False, False, False)

    chosen = _post(client, f"/api/v1/targeting/pmt/models/{model['id']}/choose", auth)
    assert chosen.status_code == 200 and chosen.json()["chosen"] is True
    assert AuditEvent.objects.filter(action="targeting.choose_model", actor=tkpk_analyst).exists()
    scoring = _post(client, f"/api/v1/targeting/pmt/models/{model['id']}/score", auth)
    assert scoring.status_code == 202 and scoring.json()["kind"] == "targeting.score"
    assert jobqueue.execute(scoring.json()["job"]).status == "succeeded"
    assert HouseholdScore.objects.filter(model_id=model["id"]).count() > 0
    [after] = client.get("/api/v1/targeting/pmt/models", **auth).json()
    assert (after["scored"], after["in_use"]) == (True, True)

    # refusals: an unknown survey or model, the auditor (reads, runs nothing), an operator, a wrong scope
    unknown = _post(client, "/api/v1/targeting/pmt/fit", auth, {"survey": 999999, "line": 1})
    assert unknown.status_code == 400 and unknown.json()["field"] == "survey"
    assert _post(client, "/api/v1/targeting/pmt/models/999999/choose", auth).status_code == 404
    watcher = _bearer(auditor, "targeting:write")
    assert _post(client, f"/api/v1/targeting/pmt/models/{model['id']}/score", watcher).status_code == 403
    assert client.get("/api/v1/targeting/pmt/models", **_bearer(operator_manggar, "*")).status_code == 403
    wrong = _bearer(tkpk_analyst, "indicators:write")
    assert _post(client, f"/api/v1/targeting/pmt/models/{model['id']}/choose", wrong).status_code == 403
    read_only = _bearer(tkpk_analyst, "targeting:read")
    assert _post(client, f"/api/v1/targeting/pmt/models/{model['id']}/choose", read_only).status_code == 403
    assert PmtModel.objects.count() == 1


def test_record_and_list_overrides(
    client: Any, regions: Any, operator_manggar: User, dinsos_manager: User, tkpk_analyst: User
) -> None:
    manggar = make_household(regions[MANGGAR], "6471010101200001")
    damai = make_household(regions[DAMAI], "6471060101200002")
    rule = targeting.save_rule(actor=dinsos_manager, name="PKH daerah", expression="size >= 3", benefit=1)
    auth = _bearer(operator_manggar, "targeting:write")
    body = {
        "rule": rule.pk,
        "kk_number": manggar.kk_number,
        "action": "remove",
        "reason": "pindah ke luar kota",
        "berita_acara": "BA-MANGGAR-1",
        "decided_on": "2026-11-02",
    }
    recorded = _post(client, "/api/v1/targeting/overrides", auth, body)
    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["kk_number"] == manggar.kk_number and recorded.json()["action"] == "remove"
    assert recorded.json()["rule"] == "PKH daerah" and recorded.json()["decided_on"] == "2026-11-02"
    assert targeting.rule_overrides(rule) == (set(), {manggar.pk})

    listed = client.get("/api/v1/targeting/overrides?page_size=1", **auth)
    assert listed.status_code == 200, listed.content
    assert [d["household_id"] for d in listed.json()["results"]] == [manggar.pk] and listed.json()["next"] is None
    assert AuditEvent.objects.filter(action="api.read", object_repr__startswith="/api/v1/targeting/overrides").exists()

    # out of the caller's areas: refused as unknown, as on the page; a musyawarah in the future
    elsewhere = _post(client, "/api/v1/targeting/overrides", auth, {**body, "kk_number": damai.kk_number})
    assert elsewhere.status_code == 400 and elsewhere.json()["field"] == "kk_number"
    assert "No household with this KK number in your area." in elsewhere.json()["message"]
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    later = _post(client, "/api/v1/targeting/overrides", auth, {**body, "decided_on": future})
    assert later.status_code == 400 and later.json()["field"] == "decided_on"
    # the analyst changes no list; a registry token is not a targeting one
    assert _post(client, "/api/v1/targeting/overrides", _bearer(tkpk_analyst, "*"), body).status_code == 403
    wrong = _post(client, "/api/v1/targeting/overrides", _bearer(operator_manggar, "registry:write"), body)
    assert wrong.status_code == 403 and wrong.json()["field"] == "scope"
    # a Damai operator sees none of Manggar's decisions
    damai_op = User.objects.create_user(username="op.damai2", password="x-x-x-x-x-x", role="operator")
    damai_op.areas.set([regions[DAMAI]])
    assert client.get("/api/v1/targeting/overrides", **_bearer(damai_op, "targeting:read")).json()["results"] == []
