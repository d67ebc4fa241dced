"""The training officer's pages, the operator's and analyst's views of them, the household page."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from entas.accounts.models import User
from entas.training import services
from entas.training.models import Application, Cohort, Course
from tests.helpers import english_client
from tests.training.conftest import DAMAI, MANGGAR

pytestmark = pytest.mark.django_db


def test_an_officer_runs_a_cohort_on_the_pages(
    course: Course, officer: User, add_person: Any, client_for: Any, regions: Any
) -> None:
    client = english_client(client_for, officer)
    people = [add_person((MANGGAR, DAMAI)[i % 2], female=i < 3, age=20 + i, desil=2) for i in range(6)]
    add_person(MANGGAR, age=50)  # the rule leaves them out
    assert client.get(reverse("training:cohorts")).status_code == 200
    response = client.post(
        reverse("training:cohort_new"),
        {"course": course.pk, "code": "las-page", "start": "2027-03-01", "end": "2027-03-05", "seats": 4},
    )
    cohort = Cohort.objects.get(code="las-page")
    assert response.status_code == 302 and cohort.sessions.count() == 5
    response = client.post(
        reverse("training:apply", args=[cohort.pk]),
        {"rule": "any(members, 18 <= age <= 35)"},
        follow=True,
    )
    assert "6 applied" in response.content.decode()
    response = client.post(reverse("training:select", args=[cohort.pk]), follow=True)
    page = response.content.decode()
    assert "4 of 4 seats selected, 2 on the waiting list" in page
    assert "women&#x27;s quota" in page or "women's quota" in page
    assert people[0].nik not in page  # NIKs are masked
    trainees = list(cohort.applications.filter(status="selected"))
    for number in range(1, 6):
        data = {f"a-{t.pk}": "present" for t in trainees}
        data[f"a-{trainees[0].pk}"] = "absent" if number <= 2 else "present"
        assert client.post(reverse("training:attendance", args=[cohort.pk, number]), data).status_code == 302
    assert cohort.applications.get(pk=trainees[1].pk).attendance.count() == 5
    url = reverse("training:completion", args=[cohort.pk])
    assert client.get(url).status_code == 200
    prefix = f"c{trainees[0].pk}"
    response = client.post(
        url,
        {"application": trainees[0].pk, f"{prefix}-outcome": "completed", f"{prefix}-ended_on": "2027-03-05",
         f"{prefix}-assessment": "competent", f"{prefix}-certificate_number": "X-1"},
        follow=True,
    )  # fmt: skip
    assert "60% is below the 80%" in response.content.decode()
    prefix = f"c{trainees[1].pk}"
    client.post(
        url,
        {"application": trainees[1].pk, f"{prefix}-outcome": "completed", f"{prefix}-ended_on": "2027-03-05",
         f"{prefix}-assessment": "competent", f"{prefix}-certificate_number": "BNSP-77"},
    )  # fmt: skip
    done = Application.objects.get(pk=trainees[1].pk).completion
    assert done.certificate_number == "BNSP-77" and done.certificate_scheme == course.scheme
    assert done.attendance_rate == 100


def test_the_tracer_work_list_and_entry(cohort: Cohort, officer: User, add_person: Any, client_for: Any) -> None:
    member = add_person(MANGGAR)
    services.apply_members(cohort=cohort, members=[member], actor=officer)
    services.select_cohort(cohort=cohort, actor=officer)
    trainee = cohort.applications.get()
    cohort.sessions.all().delete()
    long_ago = dt.date.today() - dt.timedelta(days=100)
    cohort.sessions.create(number=1, date=long_ago)
    services.record_attendance(session=cohort.sessions.get(), marks={trainee.pk: "present"}, actor=officer)
    services.complete(application=trainee, outcome="completed", ended_on=long_ago, actor=officer)
    client = english_client(client_for, officer)
    page = client.get(reverse("training:tracer_list")).content.decode()
    assert trainee.name in page and "3 months" in page
    response = client.post(
        reverse("training:tracer", args=[trainee.pk]),
        {"months": 3, "surveyed_on": str(dt.date.today()), "employment": "wage", "monthly_income": 3_500_000,
         "contract": "fixed"},
    )  # fmt: skip
    assert response.status_code == 302
    assert trainee.tracer_results.get().monthly_income == 3_500_000
    assert "No follow-up is due." in client.get(reverse("training:tracer_list")).content.decode()  # 6 months: not yet


def test_an_operator_sees_their_kelurahan_s_applicants_and_writes_nothing(
    cohort: Cohort, officer: User, add_person: Any, client_for: Any, operator_manggar: User
) -> None:
    mine, theirs = add_person(MANGGAR), add_person(DAMAI)
    services.apply_members(cohort=cohort, members=[mine, theirs], actor=officer)
    client = english_client(client_for, operator_manggar)
    page = client.get(reverse("training:cohort", args=[cohort.pk])).content.decode()
    assert mine.name in page and theirs.name not in page
    assert client.post(reverse("training:select", args=[cohort.pk])).status_code == 403
    damai_application = cohort.applications.get(nik=theirs.nik)
    assert client.get(reverse("training:tracer", args=[damai_application.pk])).status_code == 403


def test_the_analyst_gets_figures_and_an_export_but_no_names(
    cohort: Cohort, officer: User, add_person: Any, client_for: Any, tkpk_analyst: User
) -> None:
    people = [add_person(MANGGAR, female=i % 2 == 0) for i in range(3)]
    services.apply_members(cohort=cohort, members=people, actor=officer)
    services.select_cohort(cohort=cohort, actor=officer)
    client = english_client(client_for, tkpk_analyst)
    assert client.get(reverse("training:cohort", args=[cohort.pk])).status_code == 403
    page = client.get(reverse("training:outcomes")).content.decode()
    assert "Juru Las" in page and all(p.name not in page for p in people)
    response = client.get(reverse("training:outcomes") + "?format=xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[0][:3] == ["Total", "Applicants", "Selected"]
    assert rows[1][1:3] == [3, 3]


def test_the_household_page_shows_the_members_training(
    cohort: Cohort, officer: User, add_person: Any, client_for: Any, dinsos_manager: User
) -> None:
    member = add_person(MANGGAR)
    services.apply_members(cohort=cohort, members=[member], actor=officer)
    services.select_cohort(cohort=cohort, actor=officer)
    page = english_client(client_for, dinsos_manager).get(
        reverse("registry:household_detail", args=[member.household_id])
    )
    text = page.content.decode()
    assert "Skills training" in text and "Juru Las" in text and "Selected" in text


def test_the_home_page_tells_the_officer_what_waits(cohort: Cohort, officer: User, client_for: Any) -> None:
    page = english_client(client_for, officer).get(reverse("home")).content.decode()
    assert "Training cohorts open for applications" in page


def test_an_operator_sees_the_applicants_to_register(
    cohort: Cohort, officer: User, client_for: Any, operator_manggar: User, operator_damai: User, regions: Any
) -> None:
    services.apply_person(
        cohort=cohort,
        nik="6471014502000017",
        name="Warga Baru Sintetis",
        sex="2",
        birth_date=dt.date(2000, 2, 5),
        kelurahan=regions[MANGGAR],
        actor=officer,
    )
    client = english_client(client_for, operator_manggar)
    assert "Training applicants to register in the registry" in client.get(reverse("home")).content.decode()
    assert "Warga Baru Sintetis" in client.get(reverse("training:to_register")).content.decode()
    other = english_client(client_for, operator_damai).get(reverse("training:to_register")).content.decode()
    assert "Warga Baru Sintetis" not in other and "Every applicant is in the registry." in other


def test_an_officer_loads_the_catalogue_on_a_page(officer: User, client_for: Any, regions: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import PROJECT_ROOT

    client = english_client(client_for, officer)
    text = (PROJECT_ROOT / "docs" / "examples" / "training.yaml").read_bytes()
    response = client.post(
        reverse("training:catalogue"), {"file": SimpleUploadedFile("katalog.yaml", text)}, follow=True
    )
    assert "Providers: 6 added, 0 updated, 0 unchanged." in response.content.decode()
    assert Course.objects.filter(code="operator-alat-berat").exists()
    bad = client.post(reverse("training:catalogue"), {"file": SimpleUploadedFile("x.yaml", b"providers: 3")})
    assert bad.status_code == 200 and "list of providers" in bad.content.decode()


def test_an_operator_applies_a_member_from_the_household_page(
    cohort: Cohort, add_person: Any, client_for: Any, operator_manggar: User, operator_damai: User
) -> None:
    member = add_person(MANGGAR)
    client = english_client(client_for, operator_manggar)
    url = reverse("registry:household_detail", args=[member.household_id])
    page = client.get(url).content.decode()
    assert "Apply for training" in page and cohort.code in page
    response = client.post(
        reverse("training:apply_member", args=[member.household_id]),
        {"member": member.pk, "cohort": cohort.pk},
        follow=True,
    )
    assert f"{member.name} applied for {cohort.code}." in response.content.decode()
    application = cohort.applications.get()
    assert (application.member, application.channel) == (member, "operator")
    other = english_client(client_for, operator_damai)
    refused = other.post(
        reverse("training:apply_member", args=[member.household_id]), {"member": member.pk, "cohort": cohort.pk}
    )
    assert refused.status_code == 404
