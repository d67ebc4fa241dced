"""Campaign services and reads against a small hand-built registry: imports with row accounting,
the paired comparison, reach against the target population, follow-ups read from the registry,
area scoping and the household page."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core.errors import Refused
from entas.outreach import importer, rules, selectors, services
from entas.outreach.models import Attendance, FollowUp
from entas.registry.models import Household
from tests.conftest import CITY, DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db
EVENT_DAY = dt.date(2025, 3, 10)


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user("kampanye", Role.TRAINING_OFFICER, [CITY])


@pytest.fixture
def world(regions: dict[str, Any], officer: User) -> dict[str, Any]:
    manggar = [make_household(regions[MANGGAR], f"6471010101200{10 + i:02d}", members=3) for i in range(4)]
    damai = make_household(regions[DAMAI], "6471060101200090", members=2)
    for h, desil in zip(manggar, (1, 2, 2, 6), strict=True):
        Household.objects.filter(pk=h.pk).update(desil_city=desil)
    campaign, _ = services.save_campaign(
        code="jkn-2025",
        name="Ayo Daftar JKN",
        theme="jkn",
        channel="seminar",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 12, 31),
        target_kelurahan=[regions[MANGGAR]],
        actor=officer,
    )
    for n, key in ((1, "a"), (2, "b"), (3, "a")):
        services.save_question(
            campaign=campaign, number=n, text=f"Pertanyaan {n}", options=["satu", "dua", "tiga"], key=key, actor=officer
        )
    event, _ = services.save_event(
        campaign=campaign, code="jkn-manggar-1", date=EVENT_DAY, kelurahan=regions[MANGGAR], venue="Aula", actor=officer
    )
    return {"campaign": campaign, "event": event, "manggar": manggar, "damai": damai, "regions": regions}


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sign_in_sheet_accounts_for_every_row(world: dict[str, Any], officer: User, tmp_path: Path) -> None:
    member = world["manggar"][0].members.order_by("pk")[0]
    sheet = _csv(
        tmp_path,
        "hadir.csv",
        "nik,name,sex,birth_date\n"
        f"{member.nik},,,\n"
        "6471014507950001,Warga Baru,2,1995-07-05\n"  # not in the registry, a valid NIK
        "6471011234,Salah Ketik,1,1990-01-01\n"  # too short
        f"{member.nik},,,\n"  # twice
        "6471010101900002,,,\n",  # not in the registry and no name
    )
    counts = importer.import_attendance(
        sheet, event=world["event"], name="hadir.csv", actor=officer, rejection_path=tmp_path / "rejected.csv"
    )
    assert (counts.total, counts.inserted, counts.rejected) == (5, 2, 3)
    assert counts.counted() == counts.total
    rejected = (tmp_path / "rejected.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in rejected[1:]] == ["4", "5", "6"]
    linked = Attendance.objects.get(nik=member.nik)
    assert linked.household_id == world["manggar"][0].pk and not linked.needs_verification
    new = Attendance.objects.get(nik="6471014507950001")
    assert new.member is None and new.needs_verification and new.age_band == "25-44"
    again = importer.import_attendance(
        sheet, event=world["event"], name="hadir.csv", actor=officer, rejection_path=tmp_path / "r2.csv"
    )
    assert (again.unchanged, again.inserted) == (2, 0)


def test_head_counts_and_reach_against_the_target_population(world: dict[str, Any], officer: User) -> None:
    event = world["event"]
    for h in world["manggar"][:2] + world["manggar"][3:]:  # desil 1, 2 and 6 attend; one desil-2 family does not
        services.record_attendee(event=event, nik=h.members.order_by("pk")[0].nik, actor=officer)
    services.set_head_count(event=event, sex="2", age_band="25-44", count=12, actor=officer)
    services.set_head_count(event=event, sex="1", age_band="60+", count=3, actor=officer)
    reach = selectors.reach_for(officer, world["campaign"])
    (row,) = reach.rows
    assert (row.code, row.people, row.counted, row.households) == (MANGGAR, 3, 15, 3)
    # target: households of Manggar up to desil 4 = 3 (desil 1, 2, 2); reached 2 of them
    assert (row.target_households, row.target_reached) == (3, 2)
    assert row.reach == pytest.approx(2 / 3)
    assert (row.desil1_households, row.desil1_reached) == (1, 1)


def test_answers_and_the_paired_comparison(world: dict[str, Any], officer: User, tmp_path: Path) -> None:
    event = world["event"]
    people = [h.members.order_by("pk")[0] for h in world["manggar"][:3]]
    for m in people:
        services.record_attendee(event=event, nik=m.nik, actor=officer)
    # keys a, b, a; scores before 1, 0, 2 and after 3, 2, 2
    sheet = _csv(
        tmp_path,
        "jawaban.csv",
        "nik,phase,q1,q2,q3\n"
        f"{people[0].nik},before,a,c,c\n{people[0].nik},after,a,b,a\n"
        f"{people[1].nik},before,b,c,c\n{people[1].nik},after,a,b,c\n"
        f"{people[2].nik},before,a,b,c\n{people[2].nik},after,a,b,c\n"
        f"{people[2].nik},after,a,b,c\n"  # twice
        "6471010101900002,before,a,a,a\n"  # did not sign in
        f"{people[1].nik},later,a,a,a\n",  # no such test
    )
    counts = importer.import_answers(
        sheet, event=event, name="jawaban.csv", actor=officer, rejection_path=tmp_path / "rej.csv"
    )
    assert (counts.total, counts.inserted, counts.rejected) == (9, 6, 3)
    knowledge = selectors.knowledge_for(officer, world["campaign"])
    expected = rules.paired_change([(1, 3), (0, 2), (2, 2)])
    assert knowledge.overall == expected
    assert knowledge.overall.change == pytest.approx(4 / 3)
    q1, q2, q3 = (m for _q, m in knowledge.questions)
    assert (q1.right_before, q1.right_after, q1.gained, q1.lost) == (2, 3, 1, 0)
    assert (q2.gained, q3.gained) == (2, 1)
    by_sex = selectors.knowledge_for(officer, world["campaign"], by="sex")
    assert sum(p.n for _label, p in by_sex.groups) == 3


def test_follow_ups_read_the_registry_for_attending_and_comparable_households(
    world: dict[str, Any], officer: User
) -> None:
    attending, comparison = world["manggar"][1], world["manggar"][2]  # both desil 2 in Manggar
    services.record_attendee(event=world["event"], nik=attending.members.order_by("pk")[0].nik, actor=officer)
    baseline = services.measure_follow_ups(campaign=world["campaign"], actor=officer, on=EVENT_DAY)
    assert baseline == {"wave_0": 2, "wave_3": 0, "wave_12": 0}
    groups = dict(FollowUp.objects.filter(months=0).values_list("household_id", "group"))
    assert groups == {attending.pk: "attended", comparison.pk: "comparison"}
    attending.members.update(health_insurance="1")  # the family enrols in JKN PBI after the seminar
    later = services.measure_follow_ups(campaign=world["campaign"], actor=officer, on=rules.add_months(EVENT_DAY, 4))
    assert later == {"wave_0": 0, "wave_3": 2, "wave_12": 0}
    again = services.measure_follow_ups(campaign=world["campaign"], actor=officer, on=rules.add_months(EVENT_DAY, 4))
    assert again == {"wave_0": 0, "wave_3": 0, "wave_12": 0}
    waves = {(w.months, w.group): w for w in selectors.follow_ups_for(officer, world["campaign"])}
    assert waves[(0, "attended")].jkn_rate == 0
    assert waves[(3, "attended")].jkn_rate == 1
    assert waves[(3, "comparison")].jkn_rate == 0
    assert waves[(3, "attended")].members == 3


def test_area_scoping(world: dict[str, Any], officer: User, make_user: Callable[..., User]) -> None:
    member = world["manggar"][0].members.order_by("pk")[0]
    services.record_attendee(event=world["event"], nik=member.nik, actor=officer)
    damai_officer = make_user("kampanye.damai", Role.TRAINING_OFFICER, [DAMAI])
    with pytest.raises(Refused) as refused:
        services.record_attendee(event=world["event"], nik=member.nik, actor=damai_officer)
    assert refused.value.code == "forbidden"
    assert not selectors.events_for(damai_officer).exists()
    assert selectors.reach_for(damai_officer, world["campaign"]).people == 0
    operator = make_user("op.d", Role.OPERATOR, [DAMAI])
    assert not Attendance.objects.restrict(operator, "view").exists()
    with pytest.raises(Refused):
        services.save_event(
            campaign=world["campaign"],
            code="x",
            date=EVENT_DAY,
            kelurahan=world["regions"][MANGGAR],
            venue="x",
            actor=operator,
        )


def test_household_page_shows_attendance(world: dict[str, Any], officer: User, client_for: Any) -> None:
    household = world["manggar"][0]
    services.record_attendee(event=world["event"], nik=household.members.order_by("pk")[0].nik, actor=officer)
    page = client_for(officer).get(reverse("registry:household_detail", kwargs={"pk": household.pk}))
    assert page.status_code == 200
    assert "Ayo Daftar JKN" in page.content.decode()
    other = client_for(officer).get(reverse("registry:household_detail", kwargs={"pk": world["manggar"][1].pk}))
    assert "Ayo Daftar JKN" not in other.content.decode()


def test_commands(world: dict[str, Any], officer: User, tmp_path: Path) -> None:
    member = world["manggar"][0].members.order_by("pk")[0]
    sheet = _csv(tmp_path, "hadir.csv", f"nik\n{member.nik}\n123\n")
    out = StringIO()
    call_command(
        "outreach", "attendance", "jkn-manggar-1", "--file", str(sheet), "--as", "kampanye", "--json", stdout=out
    )
    result = json.loads(out.getvalue())
    assert (result["total"], result["inserted"], result["rejected"]) == (2, 1, 1)
    assert Path(result["rejection_file"]).is_file()
    out = StringIO()
    call_command("outreach", "results", "jkn-2025", "--json", stdout=out)
    results = json.loads(out.getvalue())
    assert results["reach"]["people"] == 1
    assert "descriptive" in results["follow_ups_note"]
    out = StringIO()
    call_command("outreach", "results", "jkn-2025", stdout=out)
    assert "knowledge" in out.getvalue()


def test_load_the_example_file(regions: dict[str, Any], officer: User) -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "campaigns.yaml"
    out = StringIO()
    call_command("outreach", "load", str(example), "--as", "kampanye", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["rejected"] == 0 and result["inserted"] >= 2, result["rejected_campaigns"]
    out = StringIO()
    call_command("outreach", "load", str(example), "--as", "kampanye", "--json", stdout=out)
    assert json.loads(out.getvalue())["unchanged"] == result["inserted"]


def test_api(world: dict[str, Any], officer: User, client_for: Any, partner: User) -> None:
    member = world["manggar"][0].members.order_by("pk")[0]
    services.record_attendee(event=world["event"], nik=member.nik, actor=officer)
    client = client_for(officer)
    campaigns = client.get("/api/v1/outreach/campaigns").json()
    assert [c["code"] for c in campaigns] == ["jkn-2025"] and campaigns[0]["target_kelurahan"] == [MANGGAR]
    pk = campaigns[0]["id"]
    events = client.get(f"/api/v1/outreach/campaigns/{pk}/events").json()
    assert events[0]["attendees"] == 1
    results = client.get(f"/api/v1/outreach/results/{pk}?by=sex").json()
    assert results["reach"]["people"] == 1
    assert client_for(partner).get(f"/api/v1/outreach/results/{pk}").status_code == 403


def test_a_session_attended_is_in_the_policy_registers_benefit_timeline(world: dict[str, Any], officer: User) -> None:
    from entas.policy.selectors import benefit_timeline

    household = world["manggar"][0]
    first, second = household.members.order_by("pk")[:2]
    services.record_attendee(event=world["event"], nik=first.nik, actor=officer)
    [entry] = [e for e in benefit_timeline(household) if e.kind == "campaign"]
    assert (entry.day, entry.what, entry.person_id) == (EVENT_DAY, "Ayo Daftar JKN: Aula", first.pk)
    assert [e.kind for e in benefit_timeline(household, second)] == []  # per person
    assert benefit_timeline(world["manggar"][1]) == []
