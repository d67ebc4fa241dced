"""The register's pages: the plan tree with its money, a programme's page, proposing and deciding an
adjustment, the realisation upload, the XLSX export, the menu and the home page."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from python_calamine import CalamineWorkbook

from entas.accounts.models import User
from entas.core.models import Job
from entas.policy.models import Adjustment, BudgetMonth, Plan, ProgrammeRecord
from tests.helpers import english_client

pytestmark = pytest.mark.django_db


def test_the_plan_page_shows_the_tree_with_its_money_and_the_opd_view(
    plan: Plan, client_for: Callable[[User], Client], auditor: User
) -> None:
    client = english_client(client_for, auditor)
    page = client.get("/policy/").content.decode()
    assert "Pelatihan Kerja Berbasis Kompetensi" in page and "2.07.03.2.01.0001" in page and "<meter" in page
    assert "Policy register" in client.get("/").content.decode()  # the menu entry
    only = client.get("/policy/?opd=DISNAKER").content.decode()
    assert "2.07.03.2.01.0001" in only and "1.04.02.2.01.0014" not in only
    assert client.get("/policy/?as_of=not-a-date").status_code == 200


def test_a_role_without_the_register_sees_no_page(
    plan: Plan, client_for: Callable[[User], Client], operator_manggar: User, partner: User
) -> None:
    for user in (operator_manggar, partner):
        assert client_for(user).get("/policy/").status_code == 403


def test_an_adjustment_is_proposed_on_the_programme_page_and_decided_by_another_editor(
    plan: Plan, client_for: Callable[[User], Client], tkpk_analyst: User, bappeda: User, auditor: User
) -> None:
    maker = english_client(client_for, tkpk_analyst)
    record = ProgrammeRecord.objects.get(code="P2.1")
    url = f"/policy/programme/{record.pk}/"
    refused = maker.post(url, {"adj-field": "status", "adj-value": "finished", "adj-reason": "x"})
    assert refused.status_code == 200 and "A status is one of" in refused.content.decode()
    response = maker.post(
        url,
        {
            "adj-field": "status",
            "adj-value": "paused",
            "adj-reason": "Evaluasi semester I",
            "adj-evidence": "https://example.invalid/evaluasi\nNotulen forum TKPK",
            "adj-effective_on": "2026-07-01",
        },
    )
    assert response.status_code == 302
    adjustment = Adjustment.objects.get()
    assert adjustment.evidence == ["https://example.invalid/evaluasi", "Notulen forum TKPK"]
    assert "Waiting for a second editor" in maker.get(url).content.decode()
    assert maker.post(f"/policy/adjustment/{adjustment.pk}/decide/", {"decision": "approve"}).status_code == 403
    assert english_client(client_for, auditor).post(url, {}).status_code == 403
    checker = english_client(client_for, bappeda)
    assert "Approve" in checker.get("/policy/adjustments/").content.decode()
    assert checker.post(f"/policy/adjustment/{adjustment.pk}/decide/", {"decision": "approve"}).status_code == 302
    assert ProgrammeRecord.objects.get(pk=record.pk).status == "paused"
    # As of June the programme was still active.
    june = checker.get(f"{url}?as_of=2026-06-30").content.decode()
    july = checker.get(f"{url}?as_of=2026-07-31").content.decode()
    assert "<dt>Status</dt><dd>Active</dd>" in june and "<dt>Status</dt><dd>Paused</dd>" in july


def test_the_export_has_one_sheet_per_level_with_exact_totals(
    plan: Plan, client_for: Callable[[User], Client], auditor: User
) -> None:
    response = english_client(client_for, auditor).get(f"/policy/export/?plan={plan.pk}&as_of=2029-12-31")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["Plan", "Strategies", "Programmes", "Funding", "Activities"]
    activities = book.get_sheet_by_name("Activities").to_python()[1:]
    total = sum(int(r[10]) for r in activities)
    assert total == sum(BudgetMonth.objects.values_list("pagu", flat=True))
    assert int(book.get_sheet_by_name("Plan").to_python()[1][7]) == total
    assert len(book.get_sheet_by_name("Programmes").to_python()) == 13


def test_the_realisation_upload_runs_as_a_job_for_the_officers_opd(
    plan: Plan, client_for: Callable[[User], Client], disnaker_officer: User, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    client = english_client(client_for, disnaker_officer)
    page = client.get("/policy/realisation/").content.decode()
    assert "2.07.03.2.01.0001" in page and "1.04.02.2.01.0014" not in page
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("r.csv", b"activity_code,month,realised\n2.07.03.2.01.0001,2025-01,5\n")
    response = client.post("/policy/realisation/", {"file": upload})
    assert response.status_code == 302
    assert Job.objects.get().kind == "policy.realisation"


def test_the_home_page_counts_the_adjustments_waiting_for_the_checker(
    plan: Plan, client_for: Callable[[User], Client], tkpk_analyst: User, bappeda: User
) -> None:
    from entas.policy import services

    services.propose_adjustment(
        record=ProgrammeRecord.objects.get(code="P4.1"), field="status", value="paused", reason="x", actor=tkpk_analyst
    )
    page = english_client(client_for, bappeda).get("/").content.decode()
    assert "Adjustments of programmes waiting for your decision" in page
    assert "Poverty programmes: realisation in" in page


def test_a_pagu_revision_is_proposed_on_the_programme_page(
    plan: Plan, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    client = english_client(client_for, tkpk_analyst)
    record = ProgrammeRecord.objects.get(code="P2.1")
    url = f"/policy/programme/{record.pk}/"
    data = {"adj-field": "pagu.2026", "adj-value": "1.300.000.000", "adj-reason": "APBD-P", "adj-activity": "9.99"}
    assert "No activity 9.99" in client.post(url, data).content.decode()
    assert client.post(url, {**data, "adj-activity": "2.07.03.2.01.0001"}).status_code == 302
    adjustment = Adjustment.objects.get()
    assert (adjustment.activity.code, adjustment.before, adjustment.after) == (  # type: ignore[union-attr]
        "2.07.03.2.01.0001",
        1_250_000_000,
        1_300_000_000,
    )
    assert "Pagu 2026" in client.get("/policy/adjustments/").content.decode()


def test_a_partner_sees_the_programmes_its_organisation_funds_and_nothing_else(
    plan: Plan, client_for: Callable[[User], Client], make_user: Callable[..., User], damai_household: Any
) -> None:
    from entas.accounts.roles import Role
    from entas.policy import services

    csr = make_user("forum", Role.PARTNER, [], organisation="Forum CSR Kota Balikpapan")
    tkpk = User.objects.get(username="tkpk")
    training = ProgrammeRecord.objects.get(code="P1.3").programme
    services.record_benefits(
        rows=[services.BenefitRow(training, damai_household, None, dt.date(2026, 2, 1), "Seragam")],
        actor=tkpk,
    )
    client = english_client(client_for, csr)
    page = client.get("/policy/funded/?as_of=2026-12-31").content.decode()
    # P1.3 (school supplies) and P4.1 (stunting campaign) name the forum; P2.3 names another CSR forum.
    assert "Bantuan Biaya Pendidikan Siswa Miskin" in page and "Kampanye Cegah Stunting" in page
    assert "Pemberdayaan Usaha Mikro" not in page and "Jaminan Kesehatan" not in page
    assert damai_household.kk_number not in page and "Warga Sintetis" not in page
    assert "Programmes we fund" in client.get("/").content.decode()
    assert client.get("/policy/").status_code == 403
    other = english_client(client_for, make_user("lain", Role.PARTNER, [], organisation="Yayasan Lain"))
    assert "No programme in the register names your organisation" in other.get("/policy/funded/").content.decode()


def test_a_draft_version_is_adopted_on_the_plan_page_after_a_confirmation(
    plan: Plan, client_for: Callable[[User], Client], tkpk_analyst: User, auditor: User
) -> None:
    import dataclasses

    from entas.policy import services

    from .conftest import example_spec

    draft = services.load_plan(
        spec=dataclasses.replace(example_spec(), version=2, status="draft", adopted_on=None), actor=tkpk_analyst
    ).plan
    client = english_client(client_for, tkpk_analyst)
    assert "Adopt this version" in client.get(f"/policy/?plan={draft.pk}").content.decode()
    url = f"/policy/plan/{draft.pk}/adopt/"
    data = {"legal_basis": "Perwali 9/2026", "adopted_on": "2026-07-01"}
    confirm = client.post(url, data).content.decode()
    assert "RPKD-2025-2029 v1 is superseded" in confirm and Plan.objects.get(pk=draft.pk).status == "draft"
    assert english_client(client_for, auditor).post(url, {**data, "confirm": "1"}).status_code == 403
    assert client.post(url, {**data, "confirm": "1"}).status_code == 302
    assert Plan.objects.get(pk=draft.pk).status == "adopted" and Plan.objects.get(pk=plan.pk).status == "superseded"


def test_the_benefits_upload_lists_the_officers_programmes_and_records_the_rows(
    plan: Plan,
    client_for: Callable[[User], Client],
    disnaker_officer: User,
    damai_household: Any,
    tmp_path: Path,
    settings: Any,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from entas.core import jobqueue
    from entas.policy.models import Benefit

    settings.MEDIA_ROOT = str(tmp_path / "media")
    client = english_client(client_for, disnaker_officer)
    page = client.get("/policy/benefits/").content.decode()
    assert "Pelatihan Kerja Berbasis Kompetensi" in page  # the Disnaker leads it
    assert "Pangan Murah" not in page  # another OPD's programme
    record = ProgrammeRecord.objects.get(programme__name="Pelatihan Kerja Berbasis Kompetensi")
    csv = (
        "programme,kk_number,date,what\n"
        f"{record.code},{damai_household.kk_number},2026-03-02,Pelatihan las\n"
        f"{record.code},9999999999999999,2026-03-02,Pelatihan las\n"
    )
    response = client.post("/policy/benefits/", {"file": SimpleUploadedFile("b.csv", csv.encode())})
    assert response.status_code == 302
    job = Job.objects.get(kind="policy.benefits")
    job = jobqueue.execute(job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert (job.result["inserted"], job.result["rejected"]) == (1, 1)
    assert Benefit.objects.filter(household=damai_household).count() == 1
    assert job.result_file.name.endswith(".csv")  # the rejected row, with its reason
    refused = client.post("/policy/benefits/", {"file": SimpleUploadedFile("b.pdf", b"%PDF-1.4")})
    assert "is not a CSV or XLSX file" in refused.content.decode()


def test_a_plan_file_loads_from_its_page_and_a_bad_one_loads_nothing(
    plan: Plan, client_for: Callable[[User], Client], tkpk_analyst: User, disnaker_officer: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.policy.conftest import EXAMPLE

    assert client_for(disnaker_officer).get("/policy/load/").status_code == 403  # realisation only
    client = english_client(client_for, tkpk_analyst)
    assert "Load a plan file" in client.get("/policy/").content.decode()
    plans = Plan.objects.count()
    bad = SimpleUploadedFile("bad.yaml", b"code: RPKD-X\nversion: one\nstrategies: 3\n")
    page = client.post("/policy/load/", {"file": bad}).content.decode()
    assert "Nothing was loaded" in page and "version" in page and "strategies" in page
    assert Plan.objects.count() == plans
    same = SimpleUploadedFile(EXAMPLE.name, EXAMPLE.read_bytes())
    response = client.post("/policy/load/", {"file": same}, follow=True)
    assert "is unchanged" in response.content.decode()
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "\n  version: 1\n" in text
    newer = SimpleUploadedFile("v2.yaml", text.replace("\n  version: 1\n", "\n  version: 2\n", 1).encode())
    response = client.post("/policy/load/", {"file": newer}, follow=True)
    assert "is loaded as a new version" in response.content.decode()
    assert Plan.objects.filter(code=plan.code, version=2).exists()


def test_an_activitys_volume_is_adjusted_and_its_page_shows_its_realisation_history(
    plan: Plan, client_for: Callable[[User], Client], tkpk_analyst: User, bappeda: User, auditor: User
) -> None:
    from entas.core.models import AuditEvent
    from entas.policy import selectors, services
    from entas.policy.models import Activity

    activity = Activity.objects.get(code="2.07.03.2.01.0001")
    record = activity.record
    old_volume = activity.volume_target
    maker = english_client(client_for, tkpk_analyst)
    url = f"/policy/programme/{record.pk}/"
    data = {
        "adj-field": "volume_target",
        "adj-value": str(old_volume + 40),
        "adj-reason": "Musrenbang 2026: dua kelas tambahan",
        "adj-evidence": "https://example.invalid/berita-acara-musrenbang-2026",
        "adj-activity": activity.code,
        "adj-effective_on": "2026-07-01",
    }
    assert "name its kode rekening" in maker.post(url, {**data, "adj-activity": ""}).content.decode()
    assert maker.post(url, data).status_code == 302
    adjustment = Adjustment.objects.get()
    checker = english_client(client_for, bappeda)
    checker.post(f"/policy/adjustment/{adjustment.pk}/decide/", {"decision": "approve"})
    activity.refresh_from_db()
    assert activity.volume_target == old_volume + 40
    events = AuditEvent.objects.filter(object_type="policy.adjustment", object_id=str(adjustment.pk))
    assert set(events.values_list("action", flat=True)) == {
        "policy.adjustment_propose",
        "policy.adjustment_approve",
    }
    # As of a day before it took effect, the register shows the volume it had.
    earlier = selectors.register(auditor, plan, dt.date(2026, 6, 30))
    row = next(
        a for s in earlier.strategies for p in s.programmes for a in p.activities if a.activity.pk == activity.pk
    )
    assert row.fields["volume_target"] == old_volume
    assert selectors.activity_on(activity, dt.date(2026, 7, 1))["volume_target"] == old_volume + 40
    # A realisation entered twice: the activity's page shows both changes, before and after, by whom.
    month = dt.date(2025, 3, 1)
    for amount in (1_000_000, 1_250_000):
        services.record_realisation(
            [services.RealisationRow(activity, month, amount, 50)], actor=tkpk_analyst, note="test"
        )
    reader = english_client(client_for, auditor)
    programme_page = reader.get(url).content.decode()
    assert f"/policy/activity/{activity.pk}/" in programme_page
    assert f"/monitoring/programme/{record.pk}/" in programme_page  # the logframe and its indicators
    page = reader.get(f"/policy/activity/{activity.pk}/?as_of=2026-06-30").content.decode()
    assert "History of the realisation" in page and "2025-03" in page
    assert "1,000,000" in page and "1,250,000" in page
    assert "Musrenbang 2026: dua kelas tambahan" in page
    assert f">{old_volume:,} " in page  # as of 30 June: the old volume
    assert reader.get("/policy/activity/999999/").status_code == 404
