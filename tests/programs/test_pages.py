"""The programme pages: list, programme with enrolment and new cycles, the cycle page with its steps
(maker-checker as on the command line), files as background jobs, reconciliation upload, and the
affected-households page of shock mode."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.models import Job
from entas.programs.models import Cycle, Payment, Programme, ShockFlag
from entas.registry.models import Household
from tests.conftest import MANGGAR
from tests.helpers import english_client

pytestmark = pytest.mark.django_db


def test_a_cycle_from_the_pages(programme: Programme, dinsos_manager: User, approver: User, client_for: Any) -> None:
    maker, checker = english_client(client_for, dinsos_manager), english_client(client_for, approver)
    listing = maker.get("/programmes/").content.decode()
    assert f"/programmes/{programme.pk}/" in listing
    maker.post(f"/programmes/{programme.pk}/", {"enrol": "1"})
    bad = maker.post(f"/programmes/{programme.pk}/", {"create_cycle": "1", "period": "Desember"})
    assert "YYYY-MM" in bad.content.decode()
    response = maker.post(f"/programmes/{programme.pk}/", {"create_cycle": "1", "period": "2026-12"})
    cycle = Cycle.objects.get()
    assert response.url == f"/programmes/cycles/{cycle.pk}/"
    maker.post(response.url, {"step": "prepare"})
    page = maker.get(response.url).content.decode()
    cycle.refresh_from_db()
    assert cycle.control_count > 0 and "By kelurahan" in page and "Submit for approval" in page
    maker.post(response.url, {"step": "submit"})
    refused = maker.post(response.url, {"step": "approve"}, follow=True).content.decode()
    assert "A second person must approve" in refused
    checker.post(response.url, {"step": "approve", "confirm": "1"})
    maker.post(response.url, {"step": "disburse", "confirm": "1"})
    cycle.refresh_from_db()
    assert cycle.state == "disbursed"
    job_page = maker.post(response.url, {"export": "pdf"})
    job = Job.objects.get(kind="programs.export")
    assert job_page.url == f"/jobs/{job.pk}/" and job.params == {"cycle": cycle.pk, "format": "pdf"}
    # While that job is queued or running it holds the cycle: a second file waits, naming it.
    second = maker.post(response.url, {"export": "xlsx"}, follow=True).content.decode()
    assert f"Job #{job.pk}" in second and "already works on the same data" in second
    jobqueue.execute(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["payments"] == cycle.control_count
    refs = list(Payment.objects.filter(entitlement__cycle=cycle).values_list("reference", flat=True))
    lines = "reference,status,reason\n" + "".join(f"{r},paid,\n" for r in refs) + "NOPE,paid,\n"
    upload = SimpleUploadedFile("result.csv", lines.encode(), content_type="text/csv")
    done = maker.post(response.url, {"reconcile": "1", "file": upload}, follow=True).content.decode()
    assert "the cycle is reconciled" in done and "NOPE" in done
    cycle.refresh_from_db()
    assert cycle.state == "reconciled"


def test_who_sees_the_programme_pages(
    programme: Programme, client_for: Any, operator_manggar: User, auditor: User
) -> None:
    assert english_client(client_for, operator_manggar).get("/programmes/").status_code == 403
    page = english_client(client_for, auditor).get(f"/programmes/{programme.pk}/").content.decode()
    assert programme.name in page and "Enrol from the rule" not in page  # auditors read, never act


def test_an_empty_programme_list_says_how_to_start(regions: Any, client_for: Any, dinsos_manager: User) -> None:
    assert "No programme yet" in english_client(client_for, dinsos_manager).get("/programmes/").content.decode()


def test_reporting_affected_households(programme: Programme, client_for: Any, operator_manggar: User) -> None:
    client = english_client(client_for, operator_manggar)
    household = Household.objects.filter(kelurahan__code=MANGGAR).first()
    outside = Household.objects.exclude(kelurahan__code=MANGGAR).first()
    assert household is not None and outside is not None
    refused = client.post(
        "/programmes/affected/", {"kk_number": outside.kk_number, "event": "Banjir", "kind": "disaster"}
    ).content.decode()
    assert "No household with this KK number in your area." in refused and not ShockFlag.objects.exists()
    client.post("/programmes/affected/", {"kk_number": household.kk_number, "event": "Banjir", "kind": "disaster"})
    assert ShockFlag.objects.get().household == household
    assert household.kk_number in client.get("/programmes/affected/").content.decode()


def test_one_household_by_hand_from_the_page(programme: Programme, dinsos_manager: User, client_for: Any) -> None:
    from entas.programs.models import Enrolment

    client = english_client(client_for, dinsos_manager)
    household = Household.objects.first()
    assert household is not None
    url = f"/programmes/{programme.pk}/"
    missing = client.post(url, {"member": "1", "action": "add", "kk_number": household.kk_number, "reason": ""})
    assert "This field is required" in missing.content.decode()
    client.post(url, {"member": "1", "action": "add", "kk_number": household.kk_number, "reason": "asesmen"})
    assert Enrolment.objects.get(programme=programme, household=household).source == "manual"
    client.post(url, {"member": "1", "action": "exit", "kk_number": household.kk_number, "reason": "pindah"})
    assert Enrolment.objects.get(programme=programme, household=household).state == "exited"
