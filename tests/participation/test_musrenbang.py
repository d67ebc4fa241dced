"""The Musrenbang: a proposal moves up the stages with scores and votes, is merged or rejected with
the reason, and, accepted high enough, is funded by a programme of the policy register (the trace)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core.errors import Refused
from entas.participation import rules, services
from entas.participation.models import Forum, Proposal
from tests.conftest import MANGGAR

pytestmark = pytest.mark.django_db
EXAMPLES = Path(settings.PROJECT_ROOT) / "docs" / "examples"


def test_review_and_funding_rules() -> None:
    ok = rules.ReviewFacts("proposed", "rembug_warga", "musrenbang_kelurahan", "accepted", 70, 30, 2, "", None)
    assert rules.review_problems(ok) == []
    skip = rules.ReviewFacts("accepted", "rembug_warga", "musrenbang_kecamatan", "accepted", 70, 1, 1, "", None)
    assert "next one up" in rules.review_problems(skip)[0]
    closed = rules.ReviewFacts(
        "rejected", "musrenbang_kelurahan", "musrenbang_kelurahan", "accepted", 1, 1, 1, "", None
    )
    assert "no longer open" in rules.review_problems(closed)[0]
    no_reason = rules.ReviewFacts("proposed", "rembug_warga", "rembug_warga", "rejected", 1, 1, 1, " ", None)
    assert "reason" in rules.review_problems(no_reason)[0]
    bad_merge = rules.ReviewFacts("proposed", "rembug_warga", "rembug_warga", "merged", 1, 1, 1, "", False)
    assert "merged into" in rules.review_problems(bad_merge)[0]
    assert rules.fund_problems(status="accepted", stage="forum_pd") == []
    assert rules.fund_problems(status="accepted", stage="musrenbang_kecamatan")
    report = rules.proposal_report(
        [
            rules.ProposalFacts("musrenbang_kota", "funded", "Manggar", "housing", True, 45),
            rules.ProposalFacts("musrenbang_kelurahan", "rejected", "Manggar", "infrastructure", False, 9),
            rules.ProposalFacts("forum_pd", "accepted", "Damai", "housing", True, 7),
            rules.ProposalFacts("rembug_warga", "proposed", "Damai", "social", False, 1),
        ]
    )
    assert (report.total, report.funded, report.poverty, report.funded_poverty, report.cost_funded) == (4, 1, 2, 1, 45)
    assert (report.share_funded, report.share_poverty) == (0.25, 0.5)
    assert report.by_kelurahan == {"Manggar": 2, "Damai": 2} and report.by_category["housing"] == 2


@pytest.fixture
def bappeda(make_user: Any) -> User:
    return make_user("bappeda", Role.TKPK_ANALYST, ["64.71"])


@pytest.fixture
def season(regions: dict[str, Any], operator_manggar: User, bappeda: User) -> dict[str, Forum]:
    day = dt.date(2026, 1, 10)
    kel = regions[MANGGAR]
    forums = {
        "rembug_warga": services.save_forum(
            actor=operator_manggar, kind="rembug_warga", area=kel, held_on=day, berita_acara="BA-RW"
        ),
        "musrenbang_kelurahan": services.save_forum(
            actor=operator_manggar, kind="musrenbang_kelurahan", area=kel, held_on=day, berita_acara="BA-KEL"
        ),
        "musrenbang_kecamatan": services.save_forum(
            actor=bappeda, kind="musrenbang_kecamatan", area=kel.parent, held_on=day, berita_acara="BA-KEC"
        ),
        "forum_pd": services.save_forum(
            actor=bappeda, kind="forum_pd", area=regions["64.71"], held_on=day, berita_acara="BA-PD"
        ),
        "musrenbang_kota": services.save_forum(
            actor=bappeda, kind="musrenbang_kota", area=regions["64.71"], held_on=day, berita_acara="BA-KOTA"
        ),
    }
    return forums


def _register() -> Any:
    from entas.accounts.models import Opd
    from entas.policy.models import Activity, Plan, ProgrammeRecord, Strategy
    from entas.targeting import services as targeting
    from tests.helpers import make_programme

    rule = targeting.save_rule(actor=None, name="Semua", expression="true", benefit=1)
    opd = Opd.objects.create(code="DISPERKIM", name="Dinas Perumahan")
    plan = Plan.objects.create(code="RPKD", title="RPKD", start_year=2025, end_year=2029)
    strategy = Strategy.objects.create(plan=plan, code="S3", name="Kantong kemiskinan")
    record = ProgrammeRecord.objects.create(
        programme=make_programme(rule, name="Bedah Rumah"), strategy=strategy, code="P3.1", lead_opd=opd
    )
    activity = Activity.objects.create(record=record, code="1.04.02.2.01.0014", name="Rehabilitasi RTLH", opd=opd)
    return record, activity


def test_a_proposal_moves_up_and_is_traced_to_its_budget_line(
    regions: dict[str, Any], operator_manggar: User, bappeda: User, season: dict[str, Forum], client_for: Any
) -> None:
    proposal, created = services.save_proposal(
        actor=operator_manggar,
        code="USL-1",
        title="Bedah rumah RT 12",
        kelurahan=regions[MANGGAR],
        category="housing",
        proposer="RT 12",
        problem="rumah warga miskin rusak berat",
        estimated_cost=45_000_000,
    )
    other, _ = services.save_proposal(
        actor=operator_manggar,
        code="USL-2",
        title="Bedah rumah RT 13",
        kelurahan=regions[MANGGAR],
        category="housing",
        proposer="RT 13",
    )
    assert created and proposal.addresses_poverty and not other.addresses_poverty
    with pytest.raises(Refused, match="may not record forums"):  # the kecamatan's stage is Bappeda's
        services.review_proposal(
            actor=operator_manggar, proposal=proposal, forum=season["musrenbang_kecamatan"], outcome="accepted"
        )
    services.review_proposal(
        actor=operator_manggar,
        proposal=proposal,
        forum=season["musrenbang_kelurahan"],
        outcome="accepted",
        score=85,
        votes_for=40,
        votes_against=3,
    )
    services.review_proposal(
        actor=operator_manggar,
        proposal=other,
        forum=season["musrenbang_kelurahan"],
        outcome="merged",
        merged_into=proposal,
    )
    other.refresh_from_db()
    assert (other.status, other.merged_into) == ("merged", proposal)
    record, activity = _register()
    with pytest.raises(Refused, match="forum perangkat daerah"):
        services.fund_proposal(actor=bappeda, proposal=proposal, record=record, activity=activity)
    for kind in ("musrenbang_kecamatan", "forum_pd"):
        services.review_proposal(actor=bappeda, proposal=proposal, forum=season[kind], outcome="accepted", score=80)
    with pytest.raises(Refused, match="editors"):
        services.fund_proposal(actor=operator_manggar, proposal=proposal, record=record, activity=activity)
    services.fund_proposal(actor=bappeda, proposal=proposal, record=record, activity=activity)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.stage, proposal.funded_activity) == ("funded", "forum_pd", activity)
    assert list(record.proposals.all()) == [proposal]  # from the budget line back to the citizens' proposal
    with pytest.raises(Refused, match="no longer open"):
        services.review_proposal(actor=bappeda, proposal=proposal, forum=season["musrenbang_kota"], outcome="accepted")

    client = client_for(bappeda)
    page = client.get(reverse("participation:proposal", args=[proposal.pk])).content.decode()
    assert "P3.1" in page and "1.04.02.2.01.0014" in page and "Musrenbang kecamatan" in page
    listing = client.get(reverse("participation:proposals")).content.decode()
    assert "USL-1" in listing and "USL-2" in listing and "50 %" in listing  # half funded, half on poverty


def test_the_command_loads_advances_and_funds(
    regions: dict[str, Any], operator_manggar: User, bappeda: User, season: dict[str, Forum], tmp_path: Path
) -> None:
    def run(*args: str) -> dict[str, Any]:
        out = StringIO()
        call_command("musrenbang", *args, "--json", stdout=out)
        return json.loads(out.getvalue())

    loaded = run("load", str(EXAMPLES / "musrenbang-proposals.csv"), "--as", "op.manggar", "--no-progress")
    assert loaded["rejected"] == 0 and loaded["inserted"] == Proposal.objects.count() >= 3
    assert (
        run("load", str(EXAMPLES / "musrenbang-proposals.csv"), "--as", "op.manggar", "--no-progress")["unchanged"]
        == loaded["inserted"]
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,berita_acara,outcome,score,note\n"
        "USL-MGR-2026-001,BA-KEL,accepted,90,\n"
        "USL-MGR-2026-002,BA-KEL,rejected,20,\n"  # no reason
        "USL-MGR-2026-003,BA-KOTA,accepted,70,\n"  # skips stages
        "USL-NONE,BA-KEL,accepted,70,\n"
        "USL-MGR-2026-002,BA-KEL,accepted,abc,\n",
        encoding="utf-8",
    )
    result = run("advance", str(bad), "--as", "op.manggar", "--no-progress")
    assert (result["total"], result["inserted"], result["rejected"]) == (5, 1, 4)
    text = Path(result["rejection_file"]).read_text(encoding="utf-8-sig")
    assert "reason for rejecting" in text and "No forum with berita acara BA-KOTA" in text
    assert "No proposal USL-NONE" in text and "score is not a whole number" in text
    for ba in ("BA-KEC", "BA-PD"):
        (tmp_path / "up.csv").write_text(f"code,berita_acara,outcome,score\nUSL-MGR-2026-001,{ba},accepted,80\n")
        assert run("advance", str(tmp_path / "up.csv"), "--as", "bappeda", "--no-progress")["inserted"] == 1
    _register()
    funded = run(
        "fund", "USL-MGR-2026-001", "--programme", "P3.1", "--activity", "1.04.02.2.01.0014", "--as", "bappeda"
    )
    assert funded == {"proposal": "USL-MGR-2026-001", "programme": "P3.1", "activity": "1.04.02.2.01.0014"}
