"""Participation over the API: forums, decisions, proposals, partners and contributions, through the
same area scoping, roles and services as the pages; a partner reaches its own figures and nothing
else."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from entas.accounts.models import User
from entas.participation import services
from entas.participation.models import Contribution, ForumDecision, Partner
from entas.policy.models import Plan
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.participation.test_musrenbang import _register, bappeda, season
from tests.policy import conftest as policy_fixtures

plan, cash_programme = policy_fixtures.plan, policy_fixtures.cash_programme
__all__ = ["bappeda", "season"]
pytestmark = pytest.mark.django_db
API = "/api/v1/participation"


def test_forums_and_decisions_are_area_scoped_and_role_checked(
    regions: dict[str, Any], operator_manggar: User, operator_damai: User, tkpk_analyst: User, client_for: Any
) -> None:
    manggar = client_for(operator_manggar)
    created = manggar.post(
        f"{API}/forums",
        {
            "kind": "musyawarah",
            "area_code": MANGGAR,
            "held_on": "2026-02-03",
            "berita_acara": "BA/API/1",
            "attendance": [{"group": "residents", "men": 12, "women": 15}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    forum = created.json()
    assert (forum["area"], forum["attended"]) == (MANGGAR, 27)
    # Another kelurahan's operator may not record in Manggar, nor see its forum.
    refused = client_for(operator_damai).post(
        f"{API}/forums",
        {"kind": "musyawarah", "area_code": MANGGAR, "held_on": "2026-02-03", "berita_acara": "BA/API/2"},
        content_type="application/json",
    )
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert client_for(operator_damai).get(f"{API}/forums/{forum['id']}").status_code == 404
    assert [f["berita_acara"] for f in manggar.get(f"{API}/forums?year=2026").json()] == ["BA/API/1"]

    household = make_household(regions[MANGGAR], "6471050101260001")
    other = make_household(regions[DAMAI], "6471040101260002")
    body = {"kk_number": household.kk_number, "action": "remove", "reason": "pindah domisili"}
    decided = manggar.post(f"{API}/forums/{forum['id']}/decisions", body, content_type="application/json")
    assert decided.status_code == 201, decided.content
    household.refresh_from_db()
    assert household.verification_status == "ditolak" and ForumDecision.objects.count() == 1  # one record, read by both
    no_reason = manggar.post(
        f"{API}/forums/{forum['id']}/decisions",
        {"kk_number": household.kk_number, "action": "remove"},
        content_type="application/json",
    )
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "invalid"
    outside = {"kk_number": other.kk_number, "action": "keep"}
    assert (
        manggar.post(f"{API}/forums/{forum['id']}/decisions", outside, content_type="application/json").status_code
        == 404
    )
    detail = manggar.get(f"{API}/forums/{forum['id']}").json()
    assert detail["decision_counts"]["remove"] == 1
    assert [d["kk_number"] for d in manggar.get(f"{API}/forums/{forum['id']}/decisions").json()] == [
        household.kk_number
    ]
    # The TKPK analyst sees the calendar, not the households.
    analyst = client_for(tkpk_analyst)
    assert analyst.get(f"{API}/forums/{forum['id']}").status_code == 200
    assert analyst.get(f"{API}/forums/{forum['id']}/decisions").status_code == 403


def test_a_proposal_moves_up_and_is_funded_over_the_api(
    regions: dict[str, Any], operator_manggar: User, bappeda: User, season: dict[str, Any], client_for: Any
) -> None:
    op, bp = client_for(operator_manggar), client_for(bappeda)
    made = op.post(
        f"{API}/proposals",
        {
            "code": "USL-API-1",
            "title": "Bedah rumah RT 4",
            "kelurahan_code": MANGGAR,
            "category": "housing",
            "proposer": "RT 4",
            "problem": "rumah tidak layak huni",
            "estimated_cost": 30_000_000,
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    forbidden = op.post(
        f"{API}/proposals/{pk}/reviews",
        {"forum_id": season["musrenbang_kecamatan"].pk, "outcome": "accepted"},
        content_type="application/json",
    )
    assert forbidden.status_code == 400  # not a forum that may decide at the proposal's stage
    for who, kind in ((op, "musrenbang_kelurahan"), (bp, "musrenbang_kecamatan"), (bp, "forum_pd")):
        r = who.post(
            f"{API}/proposals/{pk}/reviews",
            {"forum_id": season[kind].pk, "outcome": "accepted", "score": 80, "votes_for": 9},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
    _register()
    assert (
        op.post(f"{API}/proposals/{pk}/fund", {"programme": "P3.1"}, content_type="application/json").status_code == 403
    )
    funded = bp.post(
        f"{API}/proposals/{pk}/fund",
        {"programme": "P3.1", "activity": "1.04.02.2.01.0014"},
        content_type="application/json",
    ).json()
    assert (funded["status"], funded["funded_programme"], funded["funded_activity"]) == (
        "funded",
        "P3.1",
        "1.04.02.2.01.0014",
    )
    detail = bp.get(f"{API}/proposals/{pk}").json()
    assert [r["stage"] for r in detail["reviews"]] == ["musrenbang_kelurahan", "musrenbang_kecamatan", "forum_pd"]
    report = bp.get(f"{API}/proposals/report").json()
    assert (report["total"], report["funded"], report["poverty"]) == (1, 1, 1)


def test_partners_and_contributions_and_the_partner_sees_only_its_own(
    plan: Plan, bappeda: User, operator_manggar: User, partner: User, client_for: Any
) -> None:
    editor = client_for(bappeda)
    made = editor.post(
        f"{API}/partners",
        {"code": "csr-api", "name": "CSR Kilang", "kind": "csr"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    Partner.objects.get(code="csr-api").users.set([partner])
    services.save_partner(actor=bappeda, code="other", name="Lain", kind="ngo")
    body = {"partner_code": "csr-api", "kind": "cash", "description": "Modal usaha", "programme": "P3.1", "year": 2026}
    contribution = editor.post(
        f"{API}/partners/contributions",
        {**body, "pledged_value": 50_000_000, "delivered_value": 20_000_000, "delivered_on": str(dt.date(2026, 3, 1))},
        content_type="application/json",
    )
    assert contribution.status_code == 201, contribution.content
    no_value = editor.post(f"{API}/partners/contributions", body, content_type="application/json")
    assert no_value.status_code == 400 and Contribution.objects.count() == 1
    services.record_contribution(
        actor=bappeda,
        partner=Partner.objects.get(code="other"),
        kind="cash",
        description="x",
        record=contribution_record(),
        year=2026,
        pledged_value=1,
    )
    assert len(editor.get(f"{API}/partners/contributions?year=2026").json()) == 2
    # The operator keeps no partners; the partner reaches only its own figures, never the city's lists.
    assert (
        client_for(operator_manggar)
        .post(f"{API}/partners", {"code": "x", "name": "x", "kind": "ngo"}, content_type="application/json")
        .status_code
        == 403
    )
    mine = client_for(partner)
    own = mine.get(f"{API}/own-contributions").json()
    assert [(c["partner"], c["delivered_value"]) for c in own] == [("csr-api", 20_000_000)]
    for url in ("/partners", "/partners/contributions", "/forums", "/proposals", "/proposals/report"):
        assert mine.get(API + url).status_code == 403, url


def contribution_record() -> Any:
    from entas.policy.models import ProgrammeRecord

    return ProgrammeRecord.objects.filter(code="P3.1").order_by("-pk").first()
