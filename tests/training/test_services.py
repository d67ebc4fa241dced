"""Training end to end through services and the command: catalogue, applications from a rule and a
file, selection, attendance, completion, tracer, outcomes, and who sees what."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.registry.models import Member
from entas.training import selectors, services
from entas.training.models import Application, Cohort, Course, Provider, Session
from tests.conftest import PROJECT_ROOT
from tests.training.conftest import DAMAI, MANGGAR, START

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("training", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_example_catalogue_loads_and_loading_again_changes_nothing(regions: Any, officer: User) -> None:
    path = str(PROJECT_ROOT / "docs" / "examples" / "training.yaml")
    first = run("load", path, "--as", officer.username)
    assert first["providers"]["inserted"] == Provider.objects.count() == 6
    assert first["courses"]["inserted"] == Course.objects.count() >= 7
    assert first["cohorts"]["inserted"] == Cohort.objects.count() >= 5
    again = run("load", path, "--as", officer.username)
    assert again["providers"] == {"inserted": 0, "updated": 0, "unchanged": 6}
    assert again["cohorts"]["inserted"] == again["cohorts"]["updated"] == 0
    assert Course.objects.get(code="k3-rigger").priorities == ["unemployed", "desil", "never_trained", "disability"]
    assert Course.objects.get(code="las-smaw").priorities == ["desil", "never_trained", "unemployed", "disability"]
    cohort = Cohort.objects.get(code="oab-2027-1")
    sessions = list(cohort.sessions.values_list("date", flat=True))
    assert len(sessions) == 40 and all(d.weekday() < 5 for d in sessions)  # 8 weeks of working days
    assert cohort.seed == "oab-2027-1"


def test_a_broken_catalogue_is_refused_with_the_entry_at_fault(tmp_path: Path, regions: Any, officer: User) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "providers:\n  - code: x\n    name: X\n    kind: blk\n    courses:\n      - code: c\n        name: C\n"
    )
    with pytest.raises(CommandError, match="course c"):
        run("load", str(path), "--as", officer.username)
    assert not Provider.objects.exists()  # refused whole


def test_only_a_training_officer_loads_a_catalogue(regions: Any, dinsos_manager: User) -> None:
    with pytest.raises(CommandError, match="training officer"):
        run("load", str(PROJECT_ROOT / "docs" / "examples" / "training.yaml"), "--as", dinsos_manager.username)


def test_applying_from_a_rule_takes_the_people_for_whom_it_holds(
    cohort: Cohort, officer: User, add_person: Any
) -> None:
    young_woman = add_person(MANGGAR, female=True, age=22, desil=2)
    add_person(MANGGAR, female=True, age=40, desil=2)  # too old for the rule
    add_person(MANGGAR, female=False, age=22, desil=2)  # a man
    add_person(DAMAI, female=True, age=22, desil=2)  # another kelurahan
    household = young_woman.household
    sister = add_person(MANGGAR, female=True, age=19, household=household)
    rule = f'any(members, female and 18 <= age <= 35) and dtsen_desil <= 4 and kelurahan == "{MANGGAR}"'
    result = run("apply", cohort.code, "--rule", rule, "--as", officer.username)
    assert (result["accepted"], result["already"], result["refused"]) == (2, 0, 0)
    assert set(cohort.applications.values_list("nik", flat=True)) == {young_woman.nik, sister.nik}
    assert set(cohort.applications.values_list("channel", flat=True)) == {"rule"}
    again = run("apply", cohort.code, "--rule", rule, "--as", officer.username)
    assert (again["accepted"], again["already"]) == (0, 2)
    assert AuditEvent.objects.filter(action="training.apply_rule").count() == 2


def test_a_rule_selecting_too_many_is_refused(cohort: Cohort, officer: User, add_person: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "MAX_RULE_APPLICANTS", 2)
    for _ in range(3):
        add_person(MANGGAR)
    with pytest.raises(CommandError, match="selects 3 people"):
        run("apply", cohort.code, "--rule", "true", "--as", officer.username)
    assert not cohort.applications.exists()


def test_a_bad_rule_is_refused_with_its_position(cohort: Cohort, officer: User) -> None:
    with pytest.raises(CommandError, match="column"):
        run("apply", cohort.code, "--rule", "desil <=", "--as", officer.username)


def test_applying_from_a_file_accounts_for_every_row(
    tmp_path: Path, cohort: Cohort, officer: User, add_person: Any, regions: Any
) -> None:
    member = add_person(MANGGAR)
    path = tmp_path / "pendaftar.csv"
    path.write_text(
        "nik,name,sex,birth_date,kelurahan,baseline_income\n"
        f"{member.nik},,,,,500.000\n"
        "6471014502000017,Warga Baru Sintetis,2,2000-02-05,64.71.01.1001,\n"  # not in the registry
        "6471014502000025,,2,,,\n"  # not in the registry, nothing to register them with
        f"{member.nik},,,,,\n"  # twice
        "12345,Salah,1,2000-01-01,64.71.01.1001,\n"  # a NIK of 5 digits
    )
    result = run("apply", cohort.code, "--file", str(path), "--as", officer.username)
    assert {k: result[k] for k in ("total", "inserted", "unchanged", "rejected", "to_verify")} == {
        "total": 5,
        "inserted": 2,
        "unchanged": 0,
        "rejected": 3,
        "to_verify": 1,
    }
    rows = list(csv.reader(io.StringIO(Path(result["rejection_file"]).read_text(encoding="utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["4", "5", "6"]
    assert "name" in rows[1][1] and "twice" in rows[2][1] and "16 digits" in rows[3][1]
    assert Application.objects.get(nik=member.nik).baseline_income == 500_000
    newcomer = Application.objects.get(nik="6471014502000017")
    assert newcomer.needs_verification and newcomer.member is None and newcomer.kelurahan.code == MANGGAR
    again = run("apply", cohort.code, "--file", str(path), "--as", officer.username)
    assert (again["inserted"], again["unchanged"], again["rejected"]) == (0, 2, 3)


def test_selection_through_the_command_gives_the_issue_s_keys_and_is_deterministic(
    cohort: Cohort, officer: User, add_person: Any
) -> None:
    people = [add_person(MANGGAR, female=False, age=25, desil=1) for _ in range(4)]
    people += [add_person(DAMAI, female=True, age=25, desil=4) for _ in range(3)]
    people.append(add_person(MANGGAR, female=True, age=50, desil=1))  # too old
    services.apply_members(cohort=cohort, members=people, actor=officer)
    result = run("select", cohort.code, "--as", officer.username)
    assert set(result) >= {"seats", "selected", "selected_niks", "waiting", "not_eligible", "quotas"}
    assert (result["seats"], result["selected"], result["waiting"], result["not_eligible"]) == (4, 4, 3, 1)
    women = {p.nik for p in people[4:7]}
    assert len(women & set(result["selected_niks"])) == 2  # the 50 % quota: 2 of 4 seats
    quota = {q["name"]: q for q in result["quotas"]}
    assert quota["women"] == {"name": "women", "target": 0.5, "achieved": 0.5, "met": True}
    assert quota["per_kelurahan"]["achieved"] <= 3
    again = run("select", cohort.code, "--as", officer.username)
    assert again == result
    reasons = dict(cohort.applications.values_list("nik", "reason"))
    assert all(reasons.values())
    assert "Not eligible" in reasons[people[-1].nik]


def test_a_decision_by_hand_needs_a_reason_and_is_kept_by_the_selection(
    cohort: Cohort, officer: User, add_person: Any
) -> None:
    people = [add_person((MANGGAR, DAMAI)[i % 2], female=i % 2 == 0, desil=1 + i // 2) for i in range(6)]
    services.apply_members(cohort=cohort, members=people, actor=officer)
    services.select_cohort(cohort=cohort, actor=officer)
    last = cohort.applications.get(nik=people[-1].nik)
    assert last.status == "waiting"
    with pytest.raises(Refused, match="reason"):
        services.override(application=last, status="selected", reason=" ", actor=officer)
    services.override(application=last, status="selected", reason="Referral by the social worker", actor=officer)
    result = services.select_cohort(cohort=cohort, actor=officer)
    assert result["overrides"] == 1 and last.nik in result["selected_niks"] and result["selected"] == 4
    last.refresh_from_db()
    assert last.status == "selected" and "by hand" in last.reason


def _selected_cohort(cohort: Cohort, officer: User, add_person: Any, n: int = 4) -> list[Application]:
    people = [add_person(MANGGAR if i % 2 else DAMAI, female=i % 2 == 0, desil=2) for i in range(n)]
    services.apply_members(cohort=cohort, members=people, actor=officer)
    services.select_cohort(cohort=cohort, actor=officer)
    return list(cohort.applications.filter(status="selected").order_by("nik"))


def test_attendance_completion_and_tracer_from_files(
    tmp_path: Path, cohort: Cohort, officer: User, add_person: Any
) -> None:
    trainees = _selected_cohort(cohort, officer, add_person)
    sessions = list(cohort.sessions.order_by("number"))
    assert len(sessions) == 10
    lines = ["nik,session,status"]
    for i, t in enumerate(trainees):
        for s in sessions:
            absent = (i == 3 and s.number <= 4) or (i == 2 and s.number == 1)
            lines.append(f"{t.nik},{s.number},{'absent' if absent else 'present'}")
    lines.append(f"{trainees[0].nik},99,present")  # no such session
    path = tmp_path / "hadir.csv"
    path.write_text("\n".join(lines) + "\n")
    result = run("attendance", cohort.code, "--file", str(path), "--as", officer.username)
    assert (result["total"], result["inserted"], result["rejected"]) == (41, 40, 1)
    assert run("attendance", cohort.code, "--file", str(path), "--as", officer.username)["unchanged"] == 40

    end = cohort.end
    completions = tmp_path / "lulus.csv"
    completions.write_text(
        "nik,outcome,ended_on,assessment,certificate_number,dropout_reason\n"
        f"{trainees[0].nik},completed,{end},competent,BNSP-001,\n"
        f"{trainees[1].nik},completed,{end},not_yet,,\n"
        f"{trainees[2].nik},completed,{end},competent,BNSP-003,\n"
        f"{trainees[3].nik},completed,{end},competent,BNSP-004,\n"  # 60 % attendance: refused
        f"{trainees[3].nik},dropped_out,{end},,,\n"  # a dropout without its reason
    )
    result = run("complete", cohort.code, "--file", str(completions), "--as", officer.username)
    assert (result["inserted"], result["rejected"]) == (3, 2)
    rows = list(csv.reader(io.StringIO(Path(result["rejection_file"]).read_text(encoding="utf-8-sig"))))
    assert "60%" in rows[1][1] and "80%" in rows[1][1] and "reason" in rows[2][1]
    t3 = cohort.applications.get(pk=trainees[3].pk)
    services.complete(application=t3, outcome="dropped_out", ended_on=end, dropout_reason="Found a job", actor=officer)
    assert cohort.applications.get(pk=trainees[2].pk).completion.attendance_rate == 90

    tracer = tmp_path / "tracer.csv"
    surveyed = end + dt.timedelta(days=100)
    tracer.write_text(
        "nik,months,surveyed_on,employment,monthly_income,own_business,sector,contract\n"
        f'{trainees[0].nik},3,{surveyed},wage,"4,200,000",no,,fixed\n'
        f"{trainees[1].nik},3,{surveyed},none,0,no,,none\n"
        f"{trainees[2].nik},3,{surveyed},self,2500000,yes,,informal\n"
        f"{trainees[3].nik},3,{surveyed},wage,3000000,no,,fixed\n"  # dropped out: not followed up
    )
    result = run("tracer", cohort.code, "--file", str(tracer), "--as", officer.username)
    assert (result["inserted"], result["rejected"]) == (3, 1)

    figures = run("outcomes", "--course", cohort.course.code, "--as", officer.username)
    total = figures["total"]
    assert (total["applicants"], total["selected"], total["completed"], total["certified"]) == (4, 4, 3, 2)
    assert (total["traced"], total["placed"]) == (3, 2)
    assert total["placement_rate"] == round(2 / 3, 4)
    assert total["cost"] == 24_000_000
    assert total["cost_per_completer"] == 8_000_000
    assert total["cost_per_placement"] == 12_000_000
    assert total["poorest_share"] == 1.0
    assert figures["cohorts"][0]["id"] == cohort.pk
    by_sex = {row["group"]: row for row in figures["by"]["sex"]}
    assert by_sex["2"]["selected"] == 2


def test_tracer_worklist_lists_due_follow_ups(cohort: Cohort, officer: User, add_person: Any) -> None:
    trainees = _selected_cohort(cohort, officer, add_person, n=2)
    for t in trainees:
        services.record_attendance(session=cohort.sessions.get(number=1), marks={t.pk: "present"}, actor=officer)
    ended = dt.date(2027, 1, 1)
    Session.objects.filter(cohort=cohort).exclude(number=1).delete()
    Session.objects.filter(cohort=cohort).update(date=ended)
    for t in trainees:
        services.complete(application=t, outcome="completed", ended_on=ended, actor=officer)
    services.record_tracer(
        application=trainees[0], months=3, surveyed_on=dt.date(2027, 4, 2), employment="wage", actor=officer
    )
    due = selectors.tracer_worklist(officer, today=dt.date(2027, 7, 5))
    t0, t1 = trainees
    expected = sorted(
        [
            (dt.date(2027, 4, 1), t1.name, t1.pk, 3),
            (dt.date(2027, 7, 1), t0.name, t0.pk, 6),
            (dt.date(2027, 7, 1), t1.name, t1.pk, 6),
        ]
    )
    assert [(d.due, d.application.name, d.application.pk, d.months) for d in due] == expected
    assert {d.due for d in due} == {dt.date(2027, 4, 1), dt.date(2027, 7, 1)}


def test_an_operator_sees_the_applicants_of_their_kelurahan_only(
    cohort: Cohort, officer: User, add_person: Any, operator_manggar: User, operator_damai: User, tkpk_analyst: User
) -> None:
    manggar = [add_person(MANGGAR) for _ in range(2)]
    damai = [add_person(DAMAI)]
    services.apply_members(cohort=cohort, members=manggar + damai, actor=officer)
    assert {a.nik for a in selectors.applications_for(operator_manggar)} == {m.nik for m in manggar}
    assert {a.nik for a in selectors.applications_for(operator_damai)} == {damai[0].nik}
    assert selectors.applications_for(officer).count() == 3
    assert selectors.applications_for(tkpk_analyst).count() == 0  # no names for the analyst
    assert selectors.outcomes(tkpk_analyst)["total"]["applicants"] == 3  # but the figures
    assert not selectors.can_see_outcomes(operator_manggar)


def test_an_operator_applies_people_of_their_kelurahan_only(
    cohort: Cohort, add_person: Any, operator_manggar: User
) -> None:
    inside, outside = add_person(MANGGAR), add_person(DAMAI)
    result = services.apply_members(cohort=cohort, members=[inside, outside], actor=operator_manggar)
    assert result.accepted == 1 and result.refused == [(outside.nik, "the person lives outside your areas")]
    assert cohort.applications.get().channel == "operator"
    with pytest.raises(Refused):
        services.select_cohort(cohort=cohort, actor=operator_manggar)


def test_a_selected_cohort_takes_no_more_applications(cohort: Cohort, officer: User, add_person: Any) -> None:
    services.apply_members(cohort=cohort, members=[add_person()], actor=officer)
    services.select_cohort(cohort=cohort, actor=officer)
    with pytest.raises(Refused, match="no more applications"):
        services.apply_members(cohort=cohort, members=[add_person()], actor=officer)


def test_priority_uses_the_household_trained_before(
    course: Course, cohort: Cohort, officer: User, add_person: Any
) -> None:
    earlier, _ = services.save_cohort(
        course=course, code="las-0", start=START - dt.timedelta(days=200), end=START - dt.timedelta(days=150),
        seats=1, actor=officer,
    )  # fmt: skip
    sibling = add_person(MANGGAR, desil=2)
    services.apply_members(cohort=earlier, members=[sibling], actor=officer)
    services.select_cohort(cohort=earlier, actor=officer)
    same_family = add_person(MANGGAR, desil=2, household=sibling.household)
    other = add_person(MANGGAR, desil=2, female=True)
    services.apply_members(cohort=cohort, members=[same_family, other], actor=officer)
    services.select_cohort(cohort=cohort, actor=officer)
    ranks = dict(cohort.applications.values_list("nik", "rank"))
    assert ranks[other.nik] < ranks[same_family.nik]
    assert "trained before" in cohort.applications.get(nik=same_family.nik).reason


def test_a_person_registered_after_applying_is_linked_at_selection(
    cohort: Cohort, officer: User, add_person: Any, regions: Any
) -> None:
    application, _ = services.apply_person(
        cohort=cohort,
        nik="6471014502000017",
        name="Warga Baru",
        sex="2",
        birth_date=dt.date(2000, 2, 5),
        kelurahan=regions[MANGGAR],
        actor=officer,
    )
    assert application.needs_verification
    member = add_person(MANGGAR, desil=1)
    Member.objects.filter(pk=member.pk).update(nik="6471014502000017")  # the operator registered her
    services.select_cohort(cohort=cohort, actor=officer)
    application.refresh_from_db()
    assert application.member_id == member.pk and not application.needs_verification
    assert application.status == "selected" and "desil 1" in application.reason


def test_an_unknown_priority_in_a_catalogue_is_refused(tmp_path: Path, regions: Any, officer: User) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "providers:\n  - code: x\n    name: X\n    kind: blk\n    courses:\n      - code: c\n        name: C\n"
        "        competency_area: A\n        hours: 10\n        priorities: [desil, income]\n"
    )
    with pytest.raises(CommandError, match="unknown priority 'income'"):
        run("load", str(path), "--as", officer.username)


def test_a_training_place_is_in_the_policy_registers_benefit_timeline(
    cohort: Cohort, officer: User, add_person: Any
) -> None:
    from entas.policy.selectors import benefit_timeline

    person = add_person(MANGGAR)
    services.apply_members(cohort=cohort, members=[person], actor=officer)
    assert benefit_timeline(person.household) == []  # an application is not a place
    services.select_cohort(cohort=cohort, actor=officer)
    [entry] = benefit_timeline(person.household, person)
    assert (entry.kind, entry.day, entry.amount, entry.person_id) == ("training", START, 6_000_000, person.pk)
    assert entry.what.startswith("Juru Las (las-1)")
