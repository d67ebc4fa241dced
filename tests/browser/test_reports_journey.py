"""The TKPK analyst generates an LP2KD, writes its problems, and a Bappeda checker finalises it and
downloads the archived PDF. The test plays the worker (``jobqueue.execute`` on the queued job), as
``entas worker`` would."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core import jobqueue
from entas.core.models import Job
from entas.reports.models import ReportVersion
from tests.browser.test_shell import login
from tests.conftest import CITY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_generate_write_the_narrative_finalise_and_download(
    page: Any, live_server: Any, tkpk_analyst: User, make_user: Callable[..., User]
) -> None:
    from pypdf import PdfReader

    checker = make_user("bappeda", Role.TKPK_ANALYST, [CITY])
    login(page, live_server, tkpk_analyst.username)
    page.get_by_role("link", name="Laporan resmi").first.click()
    page.get_by_role("link", name="Laporan baru").click()
    page.get_by_label("Jenis").select_option("lp2kd")
    page.get_by_label("Tahun", exact=True).fill("2026")
    page.get_by_role("button", name="Buat dan susun").click()
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    for pk in Job.objects.filter(status=Job.Status.QUEUED).values_list("pk", flat=True):
        assert jobqueue.execute(pk).status == Job.Status.SUCCEEDED
    version = ReportVersion.objects.get()
    page.goto(f"{live_server.url}/reports/{version.report_id}/")
    assert page.get_by_role("button", name="Finalkan (pemeriksa)").count() == 0  # the maker cannot
    page.get_by_label("Permasalahan yang dihadapi dalam pelaksanaan program.").fill("Laporan OPD terlambat.")
    page.get_by_role("button", name="Simpan narasi").click()
    page.get_by_text("Narasi tersimpan.").wait_for(timeout=5_000)

    page.context.clear_cookies()
    login(page, live_server, checker.username)
    page.goto(f"{live_server.url}/reports/{version.report_id}/")
    page.get_by_label("Saya sudah memeriksa angka dan narasi", exact=False).check()
    page.get_by_role("button", name="Finalkan (pemeriksa)").click()
    page.get_by_text("Laporan sudah final; berkasnya diarsipkan.").wait_for(timeout=20_000)
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF", exact=True).click()
    content = Path(download.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Laporan OPD terlambat." in text and "BALIKPAPAN" in text
    assert ReportVersion.objects.get().is_final
