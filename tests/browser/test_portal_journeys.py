"""The citizen portal on a 390-pixel phone: a citizen files a complaint and follows it with the code;
an officer answers it; the citizen reads the answer. No page scrolls sideways."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.portal.challenge import WORDS_ID
from entas.portal.models import Case
from tests.browser.test_mobile import OVERFLOW
from tests.conftest import MANGGAR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390


def _phone(browser: Any) -> Any:
    return browser.new_context(locale="id-ID", viewport={"width": WIDTH, "height": 844}).new_page()


def _fits(page: Any) -> None:
    result = page.evaluate(OVERFLOW, WIDTH)
    assert result["scrollWidth"] <= WIDTH + 1 and not result["out"], (page.url, result)


def _answer(question: str) -> str:
    a, b = re.search(r"Berapa (\w+) ditambah (\w+)\?", question).groups()  # type: ignore[union-attr]
    return str(WORDS_ID.index(a) + WORDS_ID.index(b))


def test_a_citizen_files_follows_and_reads_the_officers_answer(
    browser: Any, live_server: Any, regions: dict[str, Any], make_user: Callable[..., User]
) -> None:
    officer = make_user("petugas.manggar", Role.OPERATOR, [MANGGAR])
    citizen = _phone(browser)
    citizen.goto(f"{live_server.url}/portal/")
    _fits(citizen)
    citizen.get_by_role("link", name="Kirim pengaduan, usul atau sanggah").first.click()
    _fits(citizen)
    citizen.get_by_label("Tentang apa?").select_option("payment_not_received")
    citizen.get_by_label("Kelurahan").select_option(MANGGAR)
    citizen.get_by_label("Ceritakan apa yang terjadi").fill("BLT bulan ini belum masuk ke rekening saya.")
    question = citizen.locator("label[for=id_answer]").inner_text()
    citizen.locator("#id_answer").fill(_answer(question))
    citizen.get_by_role("button", name="Kirim").click()
    code = citizen.locator("#tracking-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    _fits(citizen)

    citizen.get_by_role("link", name="Lacak pengaduan dengan kodenya").click()
    citizen.get_by_label("Kode pelacakan").fill(code.lower())
    citizen.get_by_role("button", name="Tampilkan").click()
    assert citizen.locator("#case-state").inner_text() == "Baru"
    assert "Belum ada jawaban." in citizen.content()
    _fits(citizen)

    # The officer, on a phone too: the queue, the case, a public answer, resolved.
    phone = _phone(browser)
    phone.goto(f"{live_server.url}/accounts/login/")
    phone.get_by_label("Nama pengguna").fill(officer.username)
    phone.get_by_label("Kata sandi").fill("correct-horse-battery")
    phone.get_by_role("button", name="Masuk").click()
    phone.wait_for_url(f"{live_server.url}/")
    phone.goto(f"{live_server.url}/portal/kasus/")
    _fits(phone)
    case = Case.objects.get()
    phone.get_by_role("link", name=case.reference).click()
    _fits(phone)
    phone.locator("button[name=step-start]").click()
    assert phone.locator("#case-state").inner_text() == "Sedang ditangani"
    phone.get_by_label("Jawaban publik").check()
    phone.get_by_label("Teks").fill("Dana sudah dikirim ulang oleh bank; silakan cek rekening Anda.")
    phone.get_by_role("button", name="Simpan").click()
    phone.locator("button[name=step-resolve]").click()
    assert phone.locator("#case-state").inner_text() == "Selesai"

    citizen.goto(f"{live_server.url}/portal/lacak/")
    citizen.get_by_label("Kode pelacakan").fill(code)
    citizen.get_by_role("button", name="Tampilkan").click()
    assert citizen.locator("#case-state").inner_text() == "Selesai"
    assert "Dana sudah dikirim ulang oleh bank" in citizen.content()
    _fits(citizen)


def test_the_other_public_pages_fit_a_phone(browser: Any, live_server: Any, regions: dict[str, Any]) -> None:
    page = _phone(browser)
    for path in ("/portal/cek-bansos/", "/portal/data/"):
        page.goto(f"{live_server.url}{path}")
        _fits(page)
