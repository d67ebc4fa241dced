"""The facilitator's pages: thin over the services, scoped to the user's areas."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.enterprise import services
from entas.enterprise.models import BusinessReport, Grant, Group, Loan, Membership, Repayment
from entas.regions.models import Region
from entas.registry.models import Household
from tests.conftest import MANGGAR

pytestmark = pytest.mark.django_db
D = dt.date


def test_an_officer_records_a_group_its_members_grant_loan_and_report(
    officer: User, client_for: Callable[[User], Client], regions: dict[str, Region], manggar_household: Household
) -> None:
    client = client_for(officer)
    assert client.get(reverse("enterprise:groups")).status_code == 200
    response = client.post(
        reverse("enterprise:group_new"),
        {
            "name": "KUBE Kerupuk",
            "type": "kube",
            "kbli": "10792",
            "kelurahan": regions[MANGGAR].pk,
            "founded": "2025-02-01",
        },
    )
    group = Group.objects.get(name="KUBE Kerupuk")
    url = reverse("enterprise:group", args=[group.pk])
    assert response.status_code == 302 and response.url == url
    head = manggar_household.members.order_by("nik").first()
    assert head is not None
    client.post(url, {"action": "seat", "seat-nik": head.nik, "seat-role": "chair", "seat-joined_on": "2025-02-01"})
    assert Membership.objects.get(group=group).role == "chair"
    client.post(
        url,
        {
            "action": "grant",
            "grant-kind": "equipment",
            "grant-items": "Wajan besar; 2; 450.000\nKompor; 1; 900000",
            "grant-handed_over_on": "2025-03-01",
            "grant-handover_reference": "BAST/2025/9",
        },
    )
    assert Grant.objects.get(group=group).amount == 1_800_000
    client.post(
        url,
        {
            "action": "loan",
            "loan-reference": "DB-77",
            "loan-principal": "3000000",
            "loan-annual_rate_bp": "0",
            "loan-term_months": "3",
            "loan-method": "flat",
            "loan-disbursed_on": "2025-03-01",
        },
    )
    loan = Loan.objects.get(reference="DB-77")
    report = {
        "action": "report",
        "report-period": "quarter",
        "report-period_start": "2025-04-01",
        "report-production": "300",
        "report-revenue": "9000000",
        "report-costs": "6000000",
        "report-workers_family": "2",
        "report-workers_hired": "1",
        "report-capital": "5000000",
    }
    assert client.post(url, report).status_code == 302
    assert BusinessReport.objects.get(group=group).profit == 3_000_000
    # A negative figure is refused beside the form, nothing saved.
    response = client.post(url, {**report, "report-period_start": "2025-07-01", "report-costs": "-1"})
    assert response.status_code == 200 and BusinessReport.objects.count() == 1
    client.post(
        url,
        {
            "action": "event",
            "event-event": "Balikpapan UMKM Fair 2025",
            "event-kind": "bazaar",
            "event-held_on": "2025-08-14",
            "event-sales": "4350000",
        },
    )
    client.post(
        url,
        {
            "action": "certification",
            "certification-kind": "pirt",
            "certification-number": "2066471010234-29",
            "certification-obtained_on": "2025-05-01",
        },
    )
    client.post(url, {"action": "buyer", "buyer-buyer": "Hotel Gran Senyiur", "buyer-since": "2025-06-01"})
    client.post(
        url,
        {
            "action": "credit",
            "credit-scheme": "kur",
            "credit-lender": "BRI Unit Klandasan",
            "credit-amount": "25000000",
            "credit-obtained_on": "2025-09-01",
        },
    )
    assert group.participations.get().sales == 4_350_000 and group.certifications.get().kind == "pirt"
    assert group.buyer_links.get().buyer.name == "Hotel Gran Senyiur"
    assert group.credit_links.get().amount == 25_000_000
    page = client.get(url).content.decode()
    assert "BAST/2025/9" in page and "2066471010234-29" in page and "DB-77" in page and head.name in page
    loan_url = reverse("enterprise:loan", args=[loan.pk])
    payment = {"action": "repay", "repay-reference": "TRX-9", "repay-paid_on": "2025-04-01", "repay-amount": "1000000"}
    client.post(loan_url, payment)
    client.post(loan_url, payment)  # the same payment twice: counted once
    assert Repayment.objects.filter(loan=loan).count() == 1
    assert "TRX-9" in client.get(loan_url).content.decode()


def test_another_kelurahan_gets_404_and_a_viewer_cannot_post(
    group: Group, officer_damai: User, auditor: User, client_for: Callable[[User], Client]
) -> None:
    url = reverse("enterprise:group", args=[group.pk])
    assert client_for(officer_damai).get(url).status_code == 404
    assert client_for(auditor).get(url).status_code == 200
    assert client_for(auditor).post(url, {"action": "visit"}).status_code == 403


def test_results_page_and_export_for_analysts(
    group: Group, officer: User, tkpk_analyst: User, client_for: Callable[[User], Client]
) -> None:
    services.record_grant(
        actor=officer, group=group, kind="cash", amount=5_000_000, handed_over_on=D(2024, 4, 1), handover_reference="B1"
    )
    client = client_for(tkpk_analyst)
    assert client.get(reverse("enterprise:groups")).status_code == 403  # names are not for analysts
    page = client.get(reverse("enterprise:results") + "?by=assistance")
    assert page.status_code == 200
    text = page.content.decode()
    assert "KUBE Amplang" not in text and "Rp5" in text
    export = client.get(reverse("enterprise:results") + "?by=type&format=xlsx")
    assert export.status_code == 200
    from python_calamine import CalamineWorkbook

    data = io.BytesIO(b"".join(export.streaming_content))
    rows = CalamineWorkbook.from_filelike(data).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "type" and rows[1][0] == "all" and rows[2][0] == "kube"
    assert rows[1][1] == 1


def test_household_page_shows_the_benefit_timeline(
    group: Group, officer: User, manggar_household: Household, client_for: Callable[[User], Client]
) -> None:
    services.record_grant(
        actor=officer,
        group=group,
        kind="cash",
        amount=2_500_000,
        handed_over_on=D(2024, 5, 1),
        handover_reference="BAST-X",
    )
    page = client_for(officer).get(reverse("registry:household_detail", args=[manggar_household.pk]))
    text = page.content.decode()
    assert 'id="enterprise"' in text and "BAST-X" in text and "KUBE Amplang" in text


def test_the_handover_record_prints_as_pdf(
    group: Group, officer: User, officer_damai: User, client_for: Callable[[User], Client]
) -> None:
    grant = services.record_grant(
        actor=officer,
        group=group,
        kind="equipment",
        items=[services.Item("Wajan besar", 2, 450_000)],
        handed_over_on=D(2025, 3, 1),
        handover_reference="BAST/2025/9",
    ).obj
    url = reverse("enterprise:grant_pdf", args=[grant.pk])
    response = client_for(officer).get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")
    assert client_for(officer_damai).get(url).status_code == 404


def test_the_group_page_shows_its_members_management_training(
    group: Group, officer: User, city_officer: User, client_for: Callable[[User], Client]
) -> None:
    from entas.training import services as training
    from entas.training.models import Course, Provider

    provider = Provider.objects.create(code="dkumkmp", name="DKUMKMP", kind="blk")
    course = Course.objects.create(
        provider=provider, code="buku", name="Pembukuan usaha mikro", competency_area="Pembukuan", hours=16
    )
    cohort, _created = training.save_cohort(
        course=course, code="buku-1", start=D(2026, 2, 2), end=D(2026, 2, 6), seats=20, actor=city_officer
    )
    chair = group.memberships.get().member
    training.apply_members(cohort=cohort, members=[chair], actor=city_officer)
    page = client_for(officer).get(reverse("enterprise:group", args=[group.pk])).content.decode()
    assert 'id="training"' in page and "Pembukuan usaha mikro" in page


def test_the_officer_enrols_the_groups_members_in_a_course_from_its_page(
    group: Group, officer: User, city_officer: User, client_for: Callable[[User], Client]
) -> None:
    from entas.core.models import AuditEvent
    from entas.training import services as training
    from entas.training.models import Application, Course, Provider

    provider = Provider.objects.create(code="dkumkmp", name="DKUMKMP", kind="blk")
    course = Course.objects.create(
        provider=provider, code="jual", name="Jualan daring", competency_area="Pemasaran digital", hours=16
    )
    cohort, _created = training.save_cohort(
        course=course, code="jual-1", start=D(2027, 3, 1), end=D(2027, 3, 5), seats=20, actor=city_officer
    )
    household = group.memberships.get().member.household
    second = household.members.order_by("nik").last()
    assert second is not None
    services.seat(actor=officer, group=group, member=second, role="member", joined_on=D(2024, 5, 1))
    client = client_for(officer)
    url = reverse("enterprise:group", args=[group.pk])
    assert "Jualan daring" in client.get(url).content.decode()  # the open cohorts are offered
    assert client.post(url, {"action": "enrol", "enrol-cohort": str(cohort.pk)}).status_code == 302
    assert Application.objects.filter(cohort=cohort).count() == 2
    again = client.post(url, {"action": "enrol", "enrol-cohort": str(cohort.pk)}, follow=True).content.decode()
    assert Application.objects.filter(cohort=cohort).count() == 2  # applied once each
    assert "Jualan daring" in again
    assert AuditEvent.objects.filter(action="enterprise.enrol", object_id=str(group.pk)).count() == 2
    assert AuditEvent.objects.filter(action="training.apply").count() == 1  # the training module's own write
    bad = client.post(url, {"action": "enrol", "enrol-cohort": "999999"})
    assert bad.status_code == 200 and Application.objects.count() == 2


def test_results_break_down_by_training_and_show_both_desil_trajectories(
    group: Group, tkpk_analyst: User, client_for: Callable[[User], Client]
) -> None:
    page = client_for(tkpk_analyst).get(reverse("enterprise:results") + "?by=training")
    assert page.status_code == 200
    text = page.content.decode()
    assert "DTSEN" in text and "PMT" in text and 'value="training" selected' in text
