"""A campaign officer creates an event of a campaign, imports its sign-in sheet and its answer sheet,
and reads the results. The test plays the worker (``jobqueue.execute`` on the queued job), as
``entas worker`` would."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core import jobqueue
from entas.core.models import Job
from entas.outreach import services
from entas.outreach.models import Answer, Attendance
from entas.registry.models import Household
from tests.browser.test_shell import login
from tests.conftest import CITY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user("kampanye.kota", Role.TRAINING_OFFICER, [CITY])


def _run_queued_job(page: Any) -> None:
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    for pk in Job.objects.filter(status=Job.Status.QUEUED).values_list("pk", flat=True):
        assert jobqueue.execute(pk).status == Job.Status.SUCCEEDED


def test_an_officer_creates_an_event_imports_the_sheets_and_reads_the_results(
    page: Any, live_server: Any, officer: User, manggar_household: Household, tmp_path: Path
) -> None:
    campaign, _ = services.save_campaign(
        code="jkn-manggar",
        name="Ayo Daftar JKN Manggar",
        theme="jkn",
        channel="seminar",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 12, 31),
        actor=officer,
    )
    for n, key in ((1, "b"), (2, "a")):
        services.save_question(
            campaign=campaign, number=n, text=f"Soal {n}", options=["Satu", "Dua"], key=key, actor=officer
        )
    login(page, live_server, officer.username)
    page.get_by_role("link", name="Kampanye penyadaran").first.click()
    page.get_by_role("link", name="Ayo Daftar JKN Manggar").click()
    page.locator("[name=e-code]").fill("jkn-manggar-01")
    page.locator("[name=e-date]").fill("2025-03-08")
    page.locator("[name=e-kelurahan]").select_option(str(manggar_household.kelurahan_id))
    page.locator("[name=e-venue]").fill("Aula Kelurahan Manggar")
    page.locator("[name=e-budget]").fill("3000000")
    page.get_by_role("button", name="Simpan kegiatan").click()
    page.get_by_text("Kegiatan disimpan").wait_for(timeout=5_000)
    event_url = page.url

    first, second, third = manggar_household.members.order_by("pk")
    sheet = tmp_path / "daftar-hadir.csv"
    sheet.write_text(f"nik,name,sex,birth_date\n{first.nik},,,\n{second.nik},,,\n12345,Salah,1,1990-01-01\n")
    page.locator("[name=u-kind]").select_option("outreach.attendance")
    page.locator("[name=u-file]").set_input_files(str(sheet))
    page.get_by_role("button", name="Mulai impor").click()
    _run_queued_job(page)
    assert Job.objects.latest("pk").result["rejected"] == 1
    assert Attendance.objects.filter(event__code="jkn-manggar-01").count() == 2

    answers = tmp_path / "jawaban.csv"
    answers.write_text(
        f"nik,phase,q1,q2\n{first.nik},before,a,a\n{first.nik},after,b,a\n"
        f"{second.nik},before,a,b\n{second.nik},after,b,a\n{third.nik},before,a,a\n"
    )
    page.goto(event_url)
    page.locator("[name=u-kind]").select_option("outreach.answers")
    page.locator("[name=u-file]").set_input_files(str(answers))
    page.get_by_role("button", name="Mulai impor").click()
    _run_queued_job(page)
    assert Answer.objects.count() == 8

    page.goto(event_url)
    page.get_by_role("link", name="Kembali ke kampanye").click()
    page.get_by_role("link", name="Hasil", exact=True).first.click()
    page.get_by_text("2 orang mengikuti kedua tes").wait_for(timeout=5_000)
    page.get_by_role("heading", name="Per pertanyaan (McNemar)").wait_for(timeout=5_000)
