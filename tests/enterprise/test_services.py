"""Services, selectors and commands of economic empowerment against small hand-built data."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.enterprise import selectors, services
from entas.enterprise.models import BusinessReport, Group, Loan, Membership, Repayment
from entas.regions.models import Region
from entas.registry.models import Household
from tests.conftest import MANGGAR, PROJECT_ROOT

pytestmark = pytest.mark.django_db
D = dt.date
EXAMPLE = PROJECT_ROOT / "docs" / "examples" / "enterprise.yaml"


def command(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("enterprise", *args, "--json", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_the_example_file_loads_once(
    city_officer: User, manggar_household: Household, damai_household: Household
) -> None:
    first = command("load", str(EXAMPLE), "--as", city_officer.username)
    assert (first["total"], first["inserted"], first["rejected"]) == (2, 2, 0)
    amplang = Group.objects.get(name="KUBE Amplang Manggar Baru")
    assert amplang.memberships.count() == 3
    grant = amplang.grants.get()
    assert grant.amount == 3_500_000 + 2 * 850_000 + 1_200_000
    assert amplang.loans.get().schedule()[0].interest == 50_000  # 10,000,000 × 6 % / 12
    assert Loan.objects.get(reference="DB-2024-0033").first_due == D(2024, 6, 2)
    assert amplang.participations.get().sales == 4_350_000 and amplang.buyer_links.count() == 1
    assert Group.objects.get(name__contains="Bina Bahari").credit_links.get().amount == 25_000_000
    again = command("load", str(EXAMPLE), "--as", city_officer.username)
    assert (again["unchanged"], again["inserted"], again["updated"]) == (2, 0, 0)
    assert Group.objects.count() == 2


def test_a_group_outside_the_users_areas_or_with_unknown_people_is_rejected(
    officer: User, manggar_household: Household, damai_household: Household
) -> None:
    result = command("load", str(EXAMPLE), "--as", officer.username)
    assert (result["inserted"], result["rejected"]) == (1, 1)
    assert "Bina Bahari" in result["rejected_groups"][0]["name"]
    assert not Group.objects.filter(name__contains="Bina Bahari").exists()


def test_unknown_nik_rejects_the_whole_group(officer: User, manggar_household: Household, tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        "groups:\n  - {name: X, type: umkm, kbli: '56103', kelurahan: '64.71.01.1001', founded: 2025-01-01,"
        " members: [{nik: '6471010101809010'}, {nik: '6471019999999999'}]}\n"
    )
    result = command("load", str(path), "--as", officer.username)
    assert result["rejected"] == 1 and "NIK" in result["rejected_groups"][0]["reasons"][0]
    assert not Group.objects.exists() and not Membership.objects.exists()


def test_yaml_aliases_are_refused(officer: User, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("a: &x [1]\ngroups: *x\n")
    with pytest.raises(CommandError, match="aliases"):
        command("load", str(path), "--as", officer.username)


def test_bad_kbli_is_refused(officer: User, regions: dict[str, Region]) -> None:
    with pytest.raises(Refused, match="KBLI"):
        services.save_group(
            actor=officer, name="X", type="umkm", kbli="1079", kelurahan=regions[MANGGAR], founded=D(2025, 1, 1)
        )


def test_a_person_in_two_groups_of_one_programme_is_flagged(
    officer: User, group: Group, regions: dict[str, Region], manggar_household: Household
) -> None:
    from entas.targeting.models import EligibilityRule
    from tests.helpers import make_programme

    rule = EligibilityRule.objects.create(name="UMKM", expression="desil_city <= 4")
    programme = make_programme(rule, name="Pemberdayaan UMKM", agency="DKUMKMP", kind="empowerment")
    cash = make_programme(rule, name="BLT", agency="Dinas Sosial")
    with pytest.raises(Refused, match="not an economic-empowerment programme"):
        services.save_group(
            actor=officer,
            name="X",
            type="umkm",
            kbli="10792",
            kelurahan=regions[MANGGAR],
            founded=D(2025, 1, 1),
            programme=cash,
        )
    group.programme = programme
    group.save()
    other = services.save_group(
        actor=officer,
        name="KUBE Kerupuk",
        type="kube",
        kbli="10792",
        kelurahan=regions[MANGGAR],
        founded=D(2025, 1, 1),
        programme=programme,
    ).obj
    head = manggar_household.members.order_by("nik").first()
    assert head is not None
    seated = services.seat(actor=officer, group=other, member=head, role="member", joined_on=D(2025, 1, 1))
    assert seated.warnings and "KUBE Amplang" in seated.warnings[0]
    flagged = selectors.double_memberships(officer)
    assert [f["member"] for f in flagged] == [head.pk]


def test_role_change_keeps_history(officer: User, group: Group) -> None:
    seat = group.memberships.get()
    out = services.seat(actor=officer, group=group, member=seat.member, role="treasurer", joined_on=D(2025, 1, 1))
    assert out.outcome == "updated"
    rows = list(group.memberships.order_by("pk").values_list("role", "left_on"))
    assert rows == [("chair", D(2025, 1, 1)), ("treasurer", None)]


def _loan(officer: User, group: Group) -> Loan:
    loan: Loan = services.record_loan(
        actor=officer,
        group=group,
        reference="DB-1",
        principal=1_200_000,
        term_months=4,
        disbursed_on=D(2025, 12, 1),
        first_due=D(2026, 1, 1),
    ).obj
    return loan


def test_repayment_file_is_idempotent_by_reference(officer: User, group: Group, tmp_path: Path) -> None:
    _loan(officer, group)
    path = tmp_path / "angsuran.csv"
    path.write_text(
        "loan_reference,payment_reference,paid_on,amount\n"
        "DB-1,TRX-001,2026-01-02,300000\n"
        "DB-1,TRX-002,2026-02-01,300000\n"
        "DB-1,TRX-002,2026-02-01,300000\n"  # the same payment twice in one file: counted once
        "DB-9,TRX-003,2026-02-01,300000\n"  # no such loan
        "DB-1,TRX-004,2026-02-01,-5\n"  # negative
    )
    first = command("repay", str(path), "--as", officer.username)
    assert (first["total"], first["inserted"], first["unchanged"], first["rejected"]) == (5, 2, 1, 2)
    second = command("repay", str(path), "--as", officer.username)
    assert (second["inserted"], second["unchanged"], second["rejected"]) == (0, 3, 2)
    assert Repayment.objects.count() == 2
    assert sum(Repayment.objects.values_list("amount", flat=True)) == 600_000
    conflict = tmp_path / "conflict.csv"
    conflict.write_text("loan_reference,payment_reference,paid_on,amount\nDB-1,TRX-001,2026-01-02,999\n")
    assert command("repay", str(conflict), "--as", officer.username)["rejected"] == 1


def test_report_file_refuses_negatives_and_flags_jumps(officer: User, group: Group, tmp_path: Path) -> None:
    path = tmp_path / "laporan.csv"
    path.write_text(
        "group_id,period,period_start,revenue,costs,workers_family,workers_hired\n"
        f"{group.pk},quarter,2025-01-01,3000000,2000000,2,0\n"
        f"{group.pk},quarter,2025-04-01,-1,2000000,2,0\n"
        f"{group.pk},quarter,2025-07-01,40000000,2000000,2,1\n"
        f"{group.pk},quarter,2025-08-01,1,1,2,1\n"  # not the start of a quarter
        "999999,month,2025-01-01,1,1,1,1\n"
    )
    result = command("report", str(path), "--as", officer.username)
    assert (result["inserted"], result["rejected"], result["warnings"]) == (2, 3, 1)
    flagged = BusinessReport.objects.get(period_start=D(2025, 7, 1))
    assert "ten times" in flagged.flagged
    again = command("report", str(path), "--as", officer.username)
    assert (again["unchanged"], again["rejected"]) == (2, 3)


def test_write_off_needs_default_and_another_approver(officer: User, city_officer: User, group: Group) -> None:
    loan = _loan(officer, group)
    services.record_repayment(actor=officer, loan=loan, reference="R1", paid_on=D(2026, 1, 1), amount=300_000)
    # On 30 Nov 2026 the Feb instalment is 272 days late; 900,000 principal owed.
    services.request_write_off(actor=officer, loan=loan, reason="Usaha tutup setelah banjir")
    with pytest.raises(Refused, match="other than"):
        services.approve_write_off(actor=officer, loan=loan, day=D(2026, 11, 30))
    loan = services.approve_write_off(actor=city_officer, loan=loan, day=D(2026, 11, 30))
    assert loan.written_off_amount == 900_000
    with pytest.raises(Refused, match="written off"):
        services.record_repayment(actor=officer, loan=loan, reference="R2", paid_on=D(2026, 12, 1), amount=1)
    assert AuditEvent.objects.filter(action="enterprise.write_off", actor=city_officer).exists()


def test_scoping(
    officer: User, officer_damai: User, operator_manggar: User, tkpk_analyst: User, auditor: User, group: Group
) -> None:
    assert list(selectors.groups_for(officer)) == [group]
    assert not selectors.groups_for(officer_damai).exists()
    assert not selectors.groups_for(operator_manggar).exists()  # a registry operator has no say in groups
    assert not selectors.groups_for(tkpk_analyst).exists()  # analysts: aggregates only
    assert list(selectors.groups_for(auditor)) == [group]
    with pytest.raises(Refused):
        services.record_visit(actor=officer_damai, group=group, visited_on=D(2026, 1, 1), topics="Pembukuan")
    assert selectors.results_for(tkpk_analyst)[0].figures.groups == 1
    assert selectors.results_for(officer_damai)[0].figures.groups == 0


def test_results_against_hand_figures(officer: User, group: Group, city_officer: User) -> None:
    services.record_grant(
        actor=officer,
        group=group,
        kind="cash",
        amount=6_000_000,
        handed_over_on=D(2024, 4, 1),
        handover_reference="BAST-1",
    )
    for start, revenue, costs, hired in [
        (D(2024, 4, 1), 3_000_000, 1_800_000, 0),
        (D(2026, 1, 1), 6_000_000, 3_000_000, 3),
    ]:
        services.record_report(
            actor=officer,
            group=group,
            period="quarter",
            period_start=start,
            revenue=revenue,
            costs=costs,
            workers_family=2,
            workers_hired=hired,
        )
    loan = _loan(officer, group)
    services.record_repayment(actor=officer, loan=loan, reference="R1", paid_on=D(2026, 1, 1), amount=300_000)
    out = command("results", "--on", "2026-04-15", "--as", city_officer.username)["results"][0]
    assert out["groups"] == 1
    assert out["active_12_months"] == [1, 1] and out["active_24_months"] == [1, 1]
    assert out["revenue_growth"] == 1.0  # 1,000,000 → 2,000,000 a month
    assert out["profit_growth"] == 1.5  # 400,000 → 1,000,000 a month: (1.0 − 0.4) / 0.4
    assert out["jobs_created"] == 3
    assert out["cost"] == 6_000_000 and out["cost_per_job"] == 2_000_000
    # Due by 15 April: 4 × 300,000; paid 300,000. Principal owed 900,000, 104 days late: all at risk.
    assert out["repayment_rate"] == 0.25
    assert out["portfolio_at_risk_30"] == 1.0
    by_type = command("results", "--by", "type", "--on", "2026-04-15")["results"]
    assert [r["label"] for r in by_type] == ["", "kube"]


def test_welfare_trajectory_of_member_households(officer: User, group: Group, city_officer: User) -> None:
    from django.utils import timezone

    from entas.targeting.models import HouseholdScore

    services.record_grant(
        actor=officer, group=group, kind="cash", amount=1_000_000, handed_over_on=D(2025, 1, 1), handover_reference="B"
    )
    household = group.memberships.get().member.household
    # Two scorings of the family (the model rows themselves are not needed: the key has no constraint).
    for model, desil, when in ((1, 2, dt.datetime(2024, 6, 1)), (2, 4, dt.datetime(2026, 6, 1))):
        HouseholdScore.objects.create(
            household=household,
            model_id=model,
            predicted_consumption=1,
            score=1.0,
            desil=desil,
            scored_at=timezone.make_aware(when),
        )
    out = command("results", "--on", "2026-11-30", "--as", city_officer.username)["welfare"]
    assert out == {"households": 1, "mean_change": 2.0, "better": 1, "worse": 0}
    # Before the second scoring, there is no "after".
    assert command("results", "--on", "2026-01-01", "--as", city_officer.username)["welfare"]["households"] == 0


def test_market_access_is_recorded_once(officer: User, group: Group) -> None:
    args = {"event": "Balikpapan UMKM Fair 2025", "kind": "bazaar", "held_on": D(2025, 8, 14), "sales": 4_350_000}
    assert services.record_participation(actor=officer, group=group, **args).outcome == "inserted"
    assert services.record_participation(actor=officer, group=group, **args).outcome == "unchanged"
    assert (
        services.record_participation(actor=officer, group=group, **{**args, "sales": 5_000_000}).outcome == "updated"
    )
    with pytest.raises(Refused):
        services.record_participation(actor=officer, group=group, **{**args, "sales": -1})
    link = {"buyer": "Hotel Gran Senyiur", "since": D(2025, 1, 1), "product": "Kue"}
    assert services.link_buyer(actor=officer, group=group, **link).outcome == "inserted"
    assert services.link_buyer(actor=officer, group=group, **link).outcome == "unchanged"
    credit = {"scheme": "kur", "lender": "BRI", "amount": 25_000_000, "obtained_on": D(2025, 9, 1)}
    assert services.record_credit(actor=officer, group=group, **credit).outcome == "inserted"
    assert services.record_credit(actor=officer, group=group, **credit).outcome == "unchanged"
    assert (
        AuditEvent.objects.filter(
            action__in=["enterprise.participation", "enterprise.buyer", "enterprise.credit"]
        ).count()
        == 4
    )


def test_welfare_trajectory_from_the_registrys_dtsen_desil_history(
    officer: User, group: Group, city_officer: User
) -> None:
    from django.utils import timezone

    services.record_grant(
        actor=officer, group=group, kind="cash", amount=1_000_000, handed_over_on=D(2025, 1, 1), handover_reference="B"
    )
    household = group.memberships.get().member.household
    # The DTSEN update of 2026 raised the family from desil 2 (data of 2024) to desil 5: the registry
    # keeps today's desil; the import recorded the change with the values before it.
    Household.objects.filter(pk=household.pk).update(desil_city=5, desil_date=D(2026, 3, 1))
    AuditEvent.objects.create(
        action="household.import_update",
        object_type="registry.household",
        object_id=str(household.pk),
        at=timezone.make_aware(dt.datetime(2026, 4, 2, 9)),
        before={"desil_city": 2, "desil_date": "2024-06-01"},
        after={"desil_city": 5, "desil_date": "2026-03-01"},
    )
    out = command("results", "--on", "2026-11-30", "--by", "chair_sex", "--as", city_officer.username)
    assert out["welfare_dtsen"] == {"households": 1, "mean_change": 3.0, "better": 1, "worse": 0}
    assert out["welfare"]["households"] == 0  # never scored by the PMT
    by_sex = {w["label"]: w["dtsen"]["households"] for w in out["welfare_by"]}
    chair_sex = group.memberships.get().member.sex
    assert by_sex == {chair_sex: 1}
    # Before the update's data date, there is no "after".
    early = command("results", "--on", "2026-01-01", "--as", city_officer.username)
    assert early["welfare_dtsen"]["households"] == 0


def test_results_by_management_training_completed(
    officer: User, group: Group, city_officer: User, regions: dict[str, Region]
) -> None:
    from entas.training import services as training
    from entas.training.models import Completion, Course, Provider

    other = services.save_group(
        actor=officer, name="KUBE Kerupuk", type="kube", kbli="10792", kelurahan=regions[MANGGAR], founded=D(2024, 1, 1)
    ).obj
    provider = Provider.objects.create(code="dkumkmp", name="DKUMKMP", kind="blk")
    course = Course.objects.create(
        provider=provider, code="buku", name="Pembukuan usaha mikro", competency_area="Pembukuan", hours=16
    )
    cohort, _created = training.save_cohort(
        course=course, code="buku-1", start=D(2025, 2, 3), end=D(2025, 2, 7), seats=20, actor=city_officer
    )
    out = services.enrol_members(actor=officer, group=group, cohort=cohort)
    assert (out.accepted, out.already) == (1, 0)
    application = cohort.applications.get()
    Completion.objects.create(application=application, outcome="completed", ended_on=D(2025, 2, 7))
    for g, first, last in ((group, 1_000_000, 1_500_000), (other, 2_000_000, 2_000_000)):
        for start, revenue in ((D(2025, 1, 1), first), (D(2025, 4, 1), last)):
            services.record_report(
                actor=officer, group=g, period="quarter", period_start=start, revenue=revenue, costs=100_000
            )
    rows = {r["label"]: r for r in command("results", "--by", "training", "--as", city_officer.username)["results"]}
    assert set(rows) == {"", "-", "Pembukuan usaha mikro"}
    trained = rows["Pembukuan usaha mikro"]
    assert trained["groups"] == 1 and trained["revenue_growth"] == pytest.approx(0.5)
    assert rows["-"]["groups"] == 1 and rows["-"]["revenue_growth"] == 0.0
    assert rows[""]["groups"] == 2


def test_group_assistance_is_in_the_policy_registers_benefit_timeline(officer: User, group: Group) -> None:
    from entas.enterprise.benefits import reach
    from entas.policy.selectors import benefit_timeline
    from entas.targeting.models import EligibilityRule
    from tests.helpers import make_programme

    rule = EligibilityRule.objects.create(name="UMKM", expression="desil_city <= 4")
    programme = make_programme(rule, name="Pemberdayaan UMKM", agency="DKUMKMP", kind="empowerment")
    services.record_grant(
        actor=officer,
        group=group,
        kind="cash",
        amount=2_500_000,
        handed_over_on=D(2025, 3, 1),
        handover_reference="B9",
        programme=programme,
    )
    chair_seat = group.memberships.get()
    assert reach([programme.pk], D(2025, 3, 1)) == [
        (programme.pk, chair_seat.member.household_id, chair_seat.member_id)
    ]
    assert reach([programme.pk], D(2025, 2, 28)) == []  # not yet given
    chair = group.memberships.get().member
    entries = [e for e in benefit_timeline(chair.household) if e.kind == "empowerment"]
    assert [(e.day, e.amount, e.person_id) for e in entries] == [(D(2025, 3, 1), 2_500_000, chair.pk)]
    assert "KUBE Amplang" in entries[0].what
    other = chair.household.members.exclude(pk=chair.pk).first()
    assert other is not None and benefit_timeline(chair.household, other) == []  # not in the group
