"""The musyawarah kelurahan in a browser: the Manggar operator opens Forums from the menu, records
the musyawarah held today with its attendance, records a decision on a household (a removal with
its reason, then an addition), sees the registry's verification follow, prints the berita acara
(a PDF download) and attaches the signed scan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from entas.accounts.models import User
from entas.participation.models import Forum, ForumDecision
from entas.registry.models import Household
from tests.browser.test_shell import login
from tests.conftest import MANGGAR, make_household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_records_a_musyawarah_and_prints_its_berita_acara(
    page: Any, live_server: Any, regions: dict[str, Any], operator_manggar: User, tmp_path: Path
) -> None:
    rich = make_household(regions[MANGGAR], "6471010101200051")
    poor = make_household(regions[MANGGAR], "6471010101200052")
    login(page, live_server, "op.manggar")
    page.get_by_role("link", name="Forum", exact=True).first.click()
    page.get_by_role("heading", name="Forum", exact=True).wait_for()
    page.get_by_role("link", name="Catat forum").click()
    page.get_by_label("Jenis").select_option("musyawarah")
    page.get_by_label("Wilayah").select_option(label="Kelurahan Manggar")
    page.get_by_label("Tanggal").fill(dt.date.today().isoformat())
    page.get_by_label("Nomor berita acara").fill("BA/MUSKEL-MANGGAR/UJI")
    page.get_by_label("Ketua", exact=True).fill("Ketua Forum Sintetis")
    page.get_by_label("Warga, laki-laki").fill("21")
    page.get_by_label("Warga, perempuan").fill("26")
    page.get_by_role("button", name="Catat forum ini").click()
    page.get_by_text("Forum BA/MUSKEL-MANGGAR/UJI sudah dicatat.").wait_for(timeout=5_000)
    assert page.get_by_role("cell", name="47").first.is_visible()

    page.get_by_label("Nomor KK").fill(rich.kk_number)
    page.get_by_label("Keputusan *", exact=True).select_option("remove")
    page.get_by_role("button", name="Catat keputusan").click()
    page.get_by_text("Sebutkan alasan menambahkan atau mengeluarkan keluarga.").wait_for(timeout=5_000)
    page.get_by_label("Alasan").fill("memiliki usaha dan kendaraan")
    page.get_by_role("button", name="Catat keputusan").click()
    page.get_by_text(f"Keputusan atas KK {rich.kk_number} sudah dicatat.").wait_for(timeout=5_000)
    page.get_by_label("Nomor KK").fill(poor.kk_number)
    page.get_by_label("Keputusan *", exact=True).select_option("add")
    page.get_by_label("Alasan").fill("janda lansia tanpa penghasilan")
    page.get_by_role("button", name="Catat keputusan").click()
    page.get_by_text(f"Keputusan atas KK {poor.kk_number} sudah dicatat.").wait_for(timeout=5_000)
    assert page.get_by_text("Diterapkan pada verifikasi").count() == 2
    assert Household.objects.get(pk=rich.pk).verification_status == "ditolak"
    assert Household.objects.get(pk=poor.pk).verification_status == "diverifikasi"
    assert ForumDecision.objects.count() == 2

    with page.expect_download() as download:
        page.get_by_role("link", name="Cetak berita acara (PDF)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.endswith(".pdf") and saved.read_bytes().startswith(b"%PDF")

    scan = tmp_path / "berita-acara-ttd.pdf"
    scan.write_bytes(b"%PDF-1.4 signed scan")
    page.get_by_label("Pindaian bertanda tangan (PDF, JPEG atau PNG)").set_input_files(str(scan))
    page.get_by_role("button", name="Lampirkan pindaian bertanda tangan").click()
    page.get_by_text("Pindaian bertanda tangan BA/MUSKEL-MANGGAR/UJI sudah dilampirkan.").wait_for(timeout=5_000)
    assert Forum.objects.get().scan_name == "berita-acara-ttd.pdf"
