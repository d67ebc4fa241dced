"""A Dinas Sosial manager imports the national DTSEN file on the data exchange page and reads the
comparison with the city's registry; then the administrator registers a DCI caller system and gets
its secret once. The test plays the worker (``jobqueue.execute`` on the queued job)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.models import Job
from entas.interop.models import CallerSystem
from entas.registry.models import Household
from tests.browser.test_shell import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dtsen_import_comparison_and_caller_registration(
    page: Any,
    live_server: Any,
    dinsos_manager: User,
    admin_user: User,
    auditor: User,
    manggar_household: Household,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.ENTAS_DCI_KEY_DIR = tmp_path / "keys"
    file = tmp_path / "dtsen.csv"
    file.write_text(
        f"no_kk,desil_nasional,status_dtsen,jumlah_art\n{manggar_household.kk_number},2,AKTIF,7\n6471019999999997,1,AKTIF,3\n",
        encoding="utf-8",
    )
    login(page, live_server, dinsos_manager.username)
    page.get_by_role("link", name="Pertukaran data").first.click()
    page.locator("[name=dtsen-file]").set_input_files(str(file))
    page.locator("form:has([name=dtsen-file]) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    for pk in Job.objects.filter(status=Job.Status.QUEUED).values_list("pk", flat=True):
        assert jobqueue.execute(pk).status == Job.Status.SUCCEEDED
    page.goto(f"{live_server.url}/interop/")
    page.locator("a[href*='/interop/comparison/']").first.click()
    body = page.locator("main").inner_text()
    assert "6471019999999997" in body and manggar_household.kk_number in body
    page.context.clear_cookies()
    login(page, live_server, admin_user.username)
    page.goto(f"{live_server.url}/interop/systems/")
    page.locator("[name=sender_id]").fill("spmis.kemensos.go.id")
    page.locator("[name=name]").fill("SPMIS Kemensos")
    page.locator("[name=service_user]").select_option(str(auditor.pk))
    page.locator("[name=jwks_url]").fill("https://spmis.kemensos.go.id/.well-known/jwks.json")
    page.locator("form:has([name=sender_id]) button[type=submit]").click()
    secret = page.get_by_test_id("client-secret").inner_text()
    assert len(secret) > 30
    assert CallerSystem.objects.get(sender_id="spmis.kemensos.go.id").client_secret_hash != secret
