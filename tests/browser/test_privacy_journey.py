"""A Dinas Sosial manager answers a citizen's request for their data: finds them by NIK in the menu's
Laporan data pribadi, produces the PDF and downloads it; the report is in the audit trail."""

from __future__ import annotations

from typing import Any

import pytest

from entas.accounts.models import User
from entas.core.models import AuditEvent
from entas.registry.models import Household
from tests.browser.test_shell import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_finds_a_person_and_downloads_their_report(
    page: Any, live_server: Any, dinsos_manager: User, manggar_household: Household
) -> None:
    person = manggar_household.members.order_by("pk").first()
    assert person is not None
    login(page, live_server, "dinsos1")
    page.get_by_role("link", name="Laporan data pribadi").first.click()
    page.get_by_label("NIK").fill(person.nik)
    page.get_by_role("button", name="Cari").click()
    assert page.get_by_text(person.name).is_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Buat laporan (PDF)").click()
    path = download.value.path()
    with open(path, "rb") as f:
        assert f.read(4) == b"%PDF"
    assert download.value.suggested_filename.endswith(".pdf")
    assert AuditEvent.objects.filter(action="privacy.access_report", actor=dinsos_manager).count() == 1
