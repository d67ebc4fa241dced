"""Issue #16's "done means": the whole cash cycle in a browser, on a fresh synthetic city, without a
command line. A Dinas Sosial manager writes a rule; a TKPK analyst fits a PMT, chooses it and scores
the registry; the manager creates a programme, enrols, prepares and submits a cycle; a second
manager reviews the payee list and approves; the administrator sets the city's paying account; the
manager disburses, imports the payees' bank accounts, produces the bank file, reads the bank's
result (one failure), retries the failure in a new batch, reads that result, and closes the cycle.

Background jobs (PMT fit and scoring, the accounts import, the bank files) are taken by the worker:
here the test plays the worker (``jobqueue.execute`` on each queued job), as ``entas worker`` would.
The bank is the only other outsider: the test reads the downloaded pain.001 and writes the bank's
result file from it."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from entas.accounts.roles import Role
from entas.core import jobqueue
from entas.core.models import Job
from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
from entas.payees.models import Payee
from entas.programs.models import Cycle, Enrolment, Payment, Programme
from entas.registry.choices import Relationship
from entas.registry.importer import import_registry
from entas.registry.models import Member
from entas.targeting.models import EligibilityRule, HouseholdScore, PmtModel
from tests.browser.test_shell import login
from tests.helpers import city_files

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def work(page: Any) -> Job:
    """Play the worker: take every queued job, then show the job page the browser was sent to."""
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    for pk in Job.objects.filter(status=Job.Status.QUEUED).order_by("pk").values_list("pk", flat=True):
        jobqueue.execute(pk)
    job = Job.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    page.reload()
    assert job.status == Job.Status.SUCCEEDED, job.log
    page.locator(".status-succeeded").wait_for(timeout=5_000)
    return job


def bank_result(pain001: Path, out: Path, *, fail: int) -> list[str]:
    """The bank's answer to a payment file: every transfer paid except the ``fail`` first ones."""
    references = [
        e.text for e in etree.parse(str(pain001)).iter() if isinstance(e.tag, str) and e.tag.endswith("EndToEndId")
    ]
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["reference", "status", "reason"])
        for i, reference in enumerate(references):
            writer.writerow([reference, "failed" if i < fail else "paid", "AC04 rekening ditutup" if i < fail else ""])
    return references


def produce_bank_file(page: Any, cycle: Cycle, tmp_path: Path, name: str) -> Path:
    page.goto(f"/programmes/cycles/{cycle.pk}/")
    page.get_by_role("button", name="Berkas bank (ISO 20022 pain.001)").click()
    work(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh hasil").click()
    path = tmp_path / name
    download.value.save_as(path)
    return path


def read_result(page: Any, cycle: Cycle, result: Path) -> str:
    page.goto(f"/programmes/cycles/{cycle.pk}/")
    page.locator("form:has(button[name=reconcile]) input[type=file]").set_input_files(str(result))
    page.locator("button[name=reconcile]").click()
    page.wait_for_url(f"**/programmes/cycles/{cycle.pk}/")
    return page.inner_text("main")


def test_from_an_empty_programme_list_to_a_closed_cycle_in_the_browser(
    browser: Any, live_server: Any, make_user: Any, tmp_path: Path
) -> None:
    # A fresh synthetic city: the registry, its survey round and the poverty lines; nothing else.
    files = city_files(households=1500, seed=21, survey_size=600)
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "rejected.csv")
    import_survey(path=files / "survey.csv", name="Susenas sintetis", year=2025, actor=None)
    make_user("dinsos1", Role.DINSOS_MANAGER, ["64.71"])
    make_user("dinsos2", Role.DINSOS_MANAGER, ["64.71"])
    make_user("tkpk", Role.TKPK_ANALYST, ["64.71"])
    make_user("admin", Role.ADMIN, ["64.71"])

    def person(username: str) -> Any:
        context = browser.new_context(locale="id-ID", base_url=live_server.url, accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        login(page, live_server, username)
        page.errors = errors
        return page

    manager, checker, analyst, admin = (person(u) for u in ("dinsos1", "dinsos2", "tkpk", "admin"))

    # 1. The manager writes a rule on the PMT desil, in the editor.
    manager.goto("/targeting/rules/new/")
    manager.fill("#id_name", "PMT desil 1-2")
    manager.fill("#id_expression", "desil <= 2")
    manager.fill("#id_benefit", "300000")
    manager.click("#rule-save")
    manager.wait_for_url(re.compile(r"/targeting/rules/\d+/$"))
    rule = EligibilityRule.objects.get(name="PMT desil 1-2")
    assert "desil ≤ 2" in manager.inner_text(".rule-words")

    # 2. The TKPK analyst fits a model on the survey round, chooses it and scores the registry.
    analyst.goto("/targeting/pmt/")
    analyst.select_option("#id_kind", "wls")
    analyst.get_by_role("button", name="Latih model").click()
    fit = work(analyst)
    assert fit.total and fit.done == fit.total
    model = PmtModel.objects.get()
    analyst.goto("/targeting/pmt/")
    analyst.locator(f"#pmt-v{model.version}").get_by_role("button", name="Pilih").click()
    analyst.wait_for_load_state()
    analyst.locator(f"#pmt-v{model.version}").get_by_role("button", name="Nilai registri").click()
    work(analyst)
    scored = HouseholdScore.objects.filter(model=model).count()
    assert scored > 1000

    # 3. The manager creates the programme after its preview, enrols, prepares and submits a cycle.
    manager.goto("/programmes/")
    manager.get_by_role("link", name="Program baru").click()
    for field, value in {
        "name": "BLT Kota 2027",
        "agency": "Dinas Sosial",
        "start": "2027-01-01",
        "end": "2027-12-31",
        "budget_ceiling": "5000000000",
        "base_amount": "300000",
        "per_elderly": "0",
        "cap": "300000",
        "tranches": "1",
    }.items():
        manager.fill(f"#id_{field}", value)
    manager.select_option("#id_rule", label=rule.name)
    manager.click("button[name=preview]")
    assert "memenuhi syarat sekarang" in manager.inner_text("#preview")
    manager.click("button[name=save]")
    manager.wait_for_url(re.compile(r"/programmes/\d+/$"))
    programme = Programme.objects.get(name="BLT Kota 2027")
    assert "desil ≤ 2" in manager.inner_text("main")  # the rule in words
    manager.click("button[name=enrol]")
    manager.wait_for_load_state()
    enrolled = Enrolment.objects.filter(programme=programme, state=Enrolment.State.ENROLLED).count()
    assert enrolled > 0
    manager.fill("#id_period", "2027-01")
    manager.click("button[name=create_cycle]")
    manager.wait_for_url(re.compile(r"/programmes/cycles/\d+/$"))
    cycle = Cycle.objects.get(programme=programme)
    manager.click("button[name=step][value=prepare]")
    manager.wait_for_load_state()
    manager.click("button[name=step][value=submit]")
    manager.wait_for_load_state()
    cycle.refresh_from_db()
    assert cycle.state == "to_approve" and cycle.control_count == enrolled

    # 4. The second manager sees who is paid how much, then approves through the confirmation.
    checker.goto(f"/programmes/cycles/{cycle.pk}/payees/")
    assert checker.locator("tbody tr").count() == min(enrolled, 50)
    checker.goto(f"/programmes/cycles/{cycle.pk}/")
    checker.get_by_role("link", name="Setujui…").click()
    checker.click("button[name=step][value=approve]")
    checker.wait_for_url(f"**/programmes/cycles/{cycle.pk}/")
    cycle.refresh_from_db()
    assert cycle.state == "approved"

    # 5. The administrator sets the city's paying account on the settings page.
    admin.goto("/payees/paying-account/")
    admin.fill("#id_name", "RKUD Kota Balikpapan")
    admin.select_option("#id_bank_code", "014")
    admin.fill("#id_account_number", "0987654321")
    admin.get_by_role("button", name="Simpan").click()
    admin.wait_for_load_state()

    # 6. The manager disburses; the page says which files cannot be made yet, and why.
    manager.goto(f"/programmes/cycles/{cycle.pk}/")
    manager.get_by_role("link", name="Salurkan…").click()
    manager.click("button[name=step][value=disburse]")
    manager.wait_for_url(f"**/programmes/cycles/{cycle.pk}/")
    assert "Berkas bank belum dapat dibuat" in manager.inner_text("#export-missing")
    assert manager.get_by_role("button", name="Berkas bank (ISO 20022 pain.001)").count() == 0

    # 7. The payees' accounts arrive as a file (from the bank's account-opening run) and are imported.
    paid = list(cycle.entitlements.values_list("household_id", "household__kk_number"))
    heads = dict(
        Member.objects.filter(household_id__in=[h for h, _kk in paid], relationship=Relationship.HEAD).values_list(
            "household_id", "name"
        )
    )
    accounts = tmp_path / "rekening.csv"
    with accounts.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kk_number", "bank_code", "account_number", "account_holder"])
        for i, (household, kk) in enumerate(paid):
            writer.writerow([kk, "014", f"{7100000000 + i:010d}", heads[household]])
    manager.goto("/payees/import/")
    manager.locator("input[type=file]").set_input_files(str(accounts))
    manager.get_by_role("button", name="Mulai impor").click()
    imported = work(manager)
    assert imported.result["inserted"] == len(paid) and imported.result["rejected"] == 0
    assert Payee.objects.count() == len(paid)

    # 8. The bank file, downloaded from its job page; the bank answers with one failure.
    first_file = produce_bank_file(manager, cycle, tmp_path, "batch-1.xml")
    references = bank_result(first_file, tmp_path / "result-1.csv", fail=1)
    assert len(references) == cycle.control_count
    page_text = read_result(manager, cycle, tmp_path / "result-1.csv")
    assert f"{cycle.control_count - 1} dibayar, 1 gagal" in page_text
    failed = Payment.objects.get(reference=references[0])
    assert failed.status == "failed" and "AC04" in manager.inner_text("#failed")

    # 9. The failure is retried in a new batch, whose file holds only the retry; the bank pays it.
    manager.locator("#failed").get_by_role("button", name="Ulangi pembayaran yang dipilih dalam kelompok baru").click()
    manager.wait_for_load_state()
    retry = Payment.objects.get(retry_of=failed)
    second_file = produce_bank_file(manager, cycle, tmp_path, "batch-2.xml")
    assert bank_result(second_file, tmp_path / "result-2.csv", fail=0) == [retry.reference]
    page_text = read_result(manager, cycle, tmp_path / "result-2.csv")
    cycle.refresh_from_db()
    assert cycle.state == "reconciled", page_text

    # 10. The cycle is closed through its confirmation.
    manager.get_by_role("link", name="Tutup…").click()
    manager.click("button[name=step][value=close]")
    manager.wait_for_url(f"**/programmes/cycles/{cycle.pk}/")
    cycle.refresh_from_db()
    assert cycle.state == "closed"
    assert Payment.objects.filter(entitlement__cycle=cycle, status="paid").count() == cycle.control_count
    for page in (manager, checker, analyst, admin):
        assert not page.errors, page.errors
