"""Issue #16: the programme and cycle pages. A programme defined on a page (checked by the YAML
reader, previewed before it is saved), the steps each person may take (refused ones disabled with
the reason, irreversible ones confirmed on their own page), failed payments retried from the page,
the approver's payee list and its export, and the rule that needs PMT scores nobody computed yet."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.errors import Refused
from entas.core.models import AuditEvent, Job
from entas.programs import services
from entas.programs.models import Cycle, Payment, Programme
from entas.registry.models import Household
from entas.targeting import services as targeting
from tests.helpers import english_client
from tests.programs.test_cycles import disbursed, prepared

pytestmark = pytest.mark.django_db

FORM = {
    "name": "BLT Lansia 2027",
    "agency": "Dinas Sosial",
    "funding": "apbd",
    "start": "2027-01-01",
    "end": "2027-06-30",
    "channel": "bank",
    "budget_ceiling": "5000000000",
    "base_amount": "200000",
    "per_elderly": "100000",
    "cap": "400000",
    "months_per_cycle": "1",
    "tranches": "3",
}


def form_data(programme: Programme, **changes: Any) -> dict[str, Any]:
    return {**FORM, "rule": str(programme.rule_id), **changes}


def test_a_programme_is_previewed_then_created_on_a_page(
    programme: Programme, dinsos_manager: User, client_for: Any
) -> None:
    client = english_client(client_for, dinsos_manager)
    assert "New programme" in client.get("/programmes/").content.decode()
    page = client.post("/programmes/new/", {**form_data(programme), "preview": "1"}).content.decode()
    assert "qualify now; one cycle costs" in page and "Cost per cycle" in page
    assert not Programme.objects.filter(name="BLT Lansia 2027").exists()  # a preview saves nothing
    response = client.post("/programmes/new/", {**form_data(programme), "save": "1"})
    created = Programme.objects.get(name="BLT Lansia 2027")
    assert response.url == f"/programmes/{created.pk}/"
    assert (created.per_elderly, created.cap, created.tranches, created.rule_id) == (
        100_000,
        400_000,
        3,
        programme.rule_id,
    )


def test_the_preview_counts_what_enrolment_enrols(programme: Programme, dinsos_manager: User) -> None:
    preview = services.preview_programme(programme)
    result = services.enrol(programme=programme, actor=dinsos_manager)
    assert preview["households"] == result["enrolled"] + result["held_duplicate"] + result["held_exclusive"]
    assert sum(r["households"] for r in preview["by_kelurahan"]) == preview["households"]
    cycle = services.create_cycle(programme=programme, period="2026-12", actor=dinsos_manager)
    services.prepare(cycle=cycle, actor=dinsos_manager)
    cycle.refresh_from_db()
    if result["held_duplicate"] == result["held_exclusive"] == 0:
        assert preview["per_cycle"] == cycle.control_sum


def test_the_form_puts_the_files_problems_beside_their_fields(
    programme: Programme, dinsos_manager: User, client_for: Any
) -> None:
    client = english_client(client_for, dinsos_manager)
    page = client.post(
        "/programmes/new/", {**form_data(programme, cap="100000", end="2026-06-30", tranches="12"), "save": "1"}
    ).content.decode()
    assert "is below the base amount" in page and "ends (2026-06-30) before it starts" in page
    assert not Programme.objects.filter(name="BLT Lansia 2027").exists()
    taken = client.post("/programmes/new/", {**form_data(programme, name=programme.name), "save": "1"})
    assert "already exists" in taken.content.decode()


def test_the_form_speaks_indonesian_by_default(programme: Programme, dinsos_manager: User, client_for: Any) -> None:
    page = (
        client_for(dinsos_manager)
        .post("/programmes/new/", {**form_data(programme, cap="100000"), "save": "1"})
        .content.decode()
    )
    assert "di bawah besaran dasar" in page


def test_a_programme_is_edited_on_its_page(programme: Programme, dinsos_manager: User, client_for: Any) -> None:
    client = english_client(client_for, dinsos_manager)
    page = client.get(f"/programmes/{programme.pk}/edit/").content.decode()
    assert programme.name in page and 'value="300000"' in page
    data = {**form_data(programme, name="BLT uji (baru)", base_amount="350000", start="2026-12-01"), "save": "1"}
    data.pop("cap")
    client.post(f"/programmes/{programme.pk}/edit/", data)
    programme.refresh_from_db()
    assert (programme.name, programme.base_amount, Programme.objects.count()) == ("BLT uji (baru)", 350_000, 1)
    event = AuditEvent.objects.get(action="programme.update", object_id=str(programme.pk))
    assert event.before["name"] == "BLT uji" and event.after["base_amount"] == 350_000


def test_a_rule_on_pmt_scores_is_explained_until_a_model_scored_the_registry(
    programme: Programme, dinsos_manager: User, auditor: User, client_for: Any
) -> None:
    programme.rule = targeting.save_rule(actor=None, name="PMT", expression="desil <= 3", benefit=300_000)
    programme.save()
    client = english_client(client_for, dinsos_manager)
    page = client.get(f"/programmes/{programme.pk}/").content.decode()
    assert "No PMT scores yet" in page and "A TKPK analyst fits a model" in page
    assert 'href="/targeting/pmt/"' not in page  # a page the manager cannot open is not linked
    assert f'href="/targeting/rules/{programme.rule.pk}/"' in page and "desil ≤ 3</span>" in page  # the rule in words
    seen_by_auditor = english_client(client_for, auditor).get(f"/programmes/{programme.pk}/").content.decode()
    assert 'href="/targeting/pmt/"' in seen_by_auditor
    refused = client.post(f"/programmes/{programme.pk}/", {"enrol": "1"}, follow=True).content.decode()
    assert "no model has scored the registry yet" in refused
    with pytest.raises(Refused, match="no model has scored"):
        services.enrol(programme=programme, actor=dinsos_manager)


def test_each_person_sees_the_steps_they_may_take(
    programme: Programme, dinsos_manager: User, approver: User, auditor: User, client_for: Any
) -> None:
    cycle = prepared(programme, dinsos_manager)
    services.transition(cycle=cycle, action="submit", actor=dinsos_manager)
    url = f"/programmes/cycles/{cycle.pk}/"
    maker = english_client(client_for, dinsos_manager).get(url).content.decode()
    assert "disabled" in maker and "A second person must approve: you prepared this cycle." in maker
    checker = english_client(client_for, approver).get(url).content.decode()
    assert f'href="/programmes/cycles/{cycle.pk}/confirm/approve/"' in checker
    assert "Disburse" not in english_client(client_for, auditor).get(url).content.decode()
    cycle.refresh_from_db()
    choices = {c.step: c for c in services.step_choices(cycle, approver)}
    assert choices["approve"].allowed and "prepare" not in choices


def test_irreversible_steps_are_confirmed_naming_what_happens(
    programme: Programme, dinsos_manager: User, approver: User, client_for: Any
) -> None:
    cycle = prepared(programme, dinsos_manager)
    for actor, action in ((dinsos_manager, "submit"), (approver, "approve")):
        services.transition(cycle=cycle, action=action, actor=actor)
    cycle.refresh_from_db()
    client = english_client(client_for, dinsos_manager)
    response = client.post(f"/programmes/cycles/{cycle.pk}/", {"step": "disburse"})
    assert response.url == f"/programmes/cycles/{cycle.pk}/confirm/disburse/"
    cycle.refresh_from_db()
    assert cycle.state == "approved"  # nothing happened without the confirmation
    page = client.get(response.url).content.decode()
    assert f"to {cycle.control_count} households" in page and 'class="danger"' in page
    client.post(f"/programmes/cycles/{cycle.pk}/", {"step": "disburse", "confirm": "1"})
    cycle.refresh_from_db()
    assert cycle.state == "disbursed"


def _fail(cycle: Cycle, actor: User, failing: int = 2) -> list[Payment]:
    payments = list(Payment.objects.filter(entitlement__cycle=cycle).order_by("pk"))
    results = [{"reference": p.reference, "status": "failed", "reason": "Rekening ditutup"} for p in payments[:failing]]
    results += [{"reference": p.reference, "status": "paid"} for p in payments[failing:]]
    services.reconcile(cycle=cycle, results=results, actor=actor)
    return payments[:failing]


def test_failed_payments_are_listed_and_the_chosen_ones_retried(
    programme: Programme, dinsos_manager: User, approver: User, client_for: Any
) -> None:
    cycle = disbursed(programme, dinsos_manager, approver)
    failed = _fail(cycle, dinsos_manager)
    cycle.refresh_from_db()
    assert cycle.state == "reconciled"
    client = english_client(client_for, dinsos_manager)
    url = f"/programmes/cycles/{cycle.pk}/"
    page = client.get(url).content.decode()
    assert "2 failed payments" in page and "Rekening ditutup" in page and failed[0].reference in page
    client.post(url, {"step": "retry", "chosen": "1", "payment": [str(failed[0].pk)]})
    retry = Payment.objects.get(retry_of=failed[0])
    assert retry.reference == failed[0].reference + "-R1" and not Payment.objects.filter(retry_of=failed[1]).exists()
    cycle.refresh_from_db()
    assert cycle.state == "disbursed"  # waiting for the bank's result of the retry
    assert "1 failed payment" in client.get(url).content.decode()


def test_retrying_nothing_chosen_is_refused(programme: Programme, dinsos_manager: User, approver: User) -> None:
    cycle = disbursed(programme, dinsos_manager, approver)
    _fail(cycle, dinsos_manager)
    with pytest.raises(Refused, match="Choose the failed payments"):
        services.retry_failed(cycle=cycle, actor=dinsos_manager, payments=[])


def test_the_approver_sees_who_is_paid_how_much_and_exports_it(
    programme: Programme, dinsos_manager: User, approver: User, client_for: Any
) -> None:
    cycle = prepared(programme, dinsos_manager)
    client = english_client(client_for, approver)
    url = f"/programmes/cycles/{cycle.pk}/payees/"
    page = client.get(url).content.decode()
    assert f"{cycle.control_count} payees" in page and "Head of the family" in page
    household = Household.objects.get(pk=cycle.entitlements.order_by("pk").first().household_id)  # type: ignore[union-attr]
    found = client.get(url, {"q": household.kk_number}).content.decode()
    assert "1 payee" in found and household.kk_number in found
    code = household.kelurahan.code
    by_area = client.get(url, {"kelurahan": code}).content.decode()
    assert f"{cycle.entitlements.filter(household__kelurahan__code=code).count()} payee" in by_area
    response = client.post(url, {"q": "", "kelurahan": code})
    job = Job.objects.get(kind="programs.payees")
    assert response.url == f"/jobs/{job.pk}/"
    jobqueue.execute(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded" and job.done == job.total == job.result["payees"]
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 200  # the approver downloads their file
    with zipfile.ZipFile(io.BytesIO(job.result_file.read())) as book:
        assert household.kelurahan.name.encode() in book.read("xl/sharedStrings.xml")


def test_the_command_line_retries_chosen_payments(programme: Programme, dinsos_manager: User, approver: User) -> None:
    from io import StringIO

    from django.core.management import call_command

    cycle = disbursed(programme, dinsos_manager, approver)
    failed = _fail(cycle, dinsos_manager)
    out = StringIO()
    call_command(
        "cycle", "retry", str(cycle.pk), "--payment", str(failed[1].pk), "--as", "dinsos1", "--json", stdout=out
    )
    assert '"retried": 1' in out.getvalue()
    assert (
        Payment.objects.filter(retry_of=failed[1]).exists() and not Payment.objects.filter(retry_of=failed[0]).exists()
    )
