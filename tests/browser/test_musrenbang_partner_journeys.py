"""The Musrenbang and the partners in a browser.

- The Manggar operator records a residents' proposal and the musrenbang kelurahan's decision on it;
  once the higher forums have accepted it, Bappeda records the programme that funds it.
- Bappeda records a CSR partner with its PKS and the partner's account, then its contribution; the
  partner signs in and finds it under "Our contributions"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.participation import services
from entas.participation.models import Contribution, Partner, Proposal
from tests.browser.test_shell import login
from tests.conftest import MANGGAR
from tests.participation.test_musrenbang import _register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(browser: Any, live_server: Any, username: str) -> Any:
    page = browser.new_context(locale="id-ID", viewport={"width": 1024, "height": 768}).new_page()
    login(page, live_server, username)
    page.set_default_timeout(10_000)
    return page


def test_a_proposal_goes_up_the_musrenbang_and_is_funded(
    browser: Any, live_server: Any, regions: dict[str, Any], operator_manggar: User, make_user: Any
) -> None:
    bappeda = make_user("bappeda", Role.TKPK_ANALYST, ["64.71"])
    day = dt.date.today()
    kel = regions[MANGGAR]
    forum = services.save_forum(
        actor=operator_manggar, kind="musrenbang_kelurahan", area=kel, held_on=day, berita_acara="BA/MUSRENBANG/UJI"
    )
    higher = [
        services.save_forum(
            actor=bappeda, kind="musrenbang_kecamatan", area=kel.parent, held_on=day, berita_acara="BA-KEC"
        ),
        services.save_forum(actor=bappeda, kind="forum_pd", area=regions["64.71"], held_on=day, berita_acara="BA-PD"),
    ]
    _register()

    page = _as(browser, live_server, "op.manggar")
    page.get_by_role("link", name="Usulan Musrenbang").first.click()
    page.get_by_role("link", name="Catat usulan").click()
    page.get_by_label("Kode").fill("USL-UJI-1")
    page.get_by_label("Judul").fill("Bedah rumah RT 7")
    page.get_by_label("Kelurahan").select_option(str(kel.pk))
    page.get_by_label("Kategori").select_option("housing")
    page.get_by_label("Masalah kemiskinan yang ditangani").fill("rumah tidak layak huni")
    page.get_by_label("Perkiraan biaya (Rp)").fill("45000000")
    page.get_by_label("Diusulkan oleh").fill("RT 7")
    page.get_by_label("Dihimpun pada").select_option("musrenbang_kelurahan")
    page.get_by_role("button", name="Catat usulan ini").click()
    page.get_by_text("Usulan USL-UJI-1 sudah dicatat.").wait_for(timeout=5_000)
    page.get_by_label("Forum").select_option(str(forum.pk))
    page.get_by_label("Skor prioritas (0–100)").fill("85")
    page.get_by_label("Suara setuju").fill("40")
    page.get_by_label("Hasil").select_option("accepted")
    page.get_by_role("button", name="Catat keputusan").click()
    page.get_by_text("Keputusan forum atas USL-UJI-1 sudah dicatat.").wait_for(timeout=5_000)
    proposal = Proposal.objects.get(code="USL-UJI-1")
    assert (proposal.status, proposal.stage) == ("accepted", "musrenbang_kelurahan")
    page.context.close()

    for f in higher:
        services.review_proposal(actor=bappeda, proposal=proposal, forum=f, outcome="accepted", score=80)
    page = _as(browser, live_server, "bappeda")
    page.goto(f"{live_server.url}/participation/proposal/{proposal.pk}/")
    page.get_by_label("Program (kode register)").fill("P3.1")
    page.get_by_label("Kegiatan (kode rekening)").fill("1.04.02.2.01.0014")
    page.get_by_role("button", name="Catat pendanaan").click()
    page.get_by_text("Usulan USL-UJI-1 didanai oleh P3.1.").wait_for(timeout=5_000)
    proposal.refresh_from_db()
    assert proposal.status == "funded" and proposal.funded_record.code == "P3.1"  # type: ignore[union-attr]
    page.context.close()


def test_bappeda_records_a_partner_and_its_contribution_and_the_partner_sees_it(
    browser: Any, live_server: Any, regions: dict[str, Any], partner: User, make_user: Any
) -> None:
    make_user("bappeda", Role.TKPK_ANALYST, ["64.71"])
    _register()
    page = _as(browser, live_server, "bappeda")
    page.get_by_role("link", name="Mitra", exact=True).first.click()
    page.get_by_role("link", name="Catat mitra", exact=True).click()
    page.get_by_label("Kode").fill("kilang")
    page.locator("#id_name").fill("CSR Kilang Sintetis")
    page.locator("#id_kind").select_option("csr")
    page.get_by_label("Akun mitra").select_option(label=partner.username)
    page.locator("#id_agreement_kind").select_option("pks")
    page.get_by_label("Nomor perjanjian").fill("PKS/07/2026")
    today = dt.date.today().isoformat()
    page.get_by_label("Ditandatangani pada").fill(today)
    page.get_by_label("Dari").fill(today)
    page.get_by_label("Sampai").fill((dt.date.today() + dt.timedelta(days=365)).isoformat())
    page.get_by_role("button", name="Catat mitra ini").click()
    page.get_by_text("Mitra CSR Kilang Sintetis sudah dicatat.").wait_for(timeout=5_000)
    page.get_by_role("link", name="Catat kontribusi", exact=True).click()
    page.locator("#id_partner").select_option(label="CSR Kilang Sintetis")
    page.locator("#id_kind").select_option("cash")
    page.get_by_label("Uraian").fill("Modal usaha kelompok")
    page.get_by_label("Program (kode register)").fill("P3.1")
    page.get_by_label("Nilai yang dijanjikan (Rp)").fill("50000000")
    page.get_by_label("Nilai yang sudah diserahkan (Rp)").fill("20000000")
    page.get_by_role("button", name="Catat kontribusi ini").click()
    page.get_by_text("Kontribusi CSR Kilang Sintetis sudah dicatat.").wait_for(timeout=5_000)
    assert Partner.objects.get(code="kilang").agreements.get().number == "PKS/07/2026"
    assert Contribution.objects.get().delivered_value == 20_000_000
    page.context.close()

    page = _as(browser, live_server, partner.username)
    page.get_by_role("link", name="Kontribusi kami").first.click()
    page.get_by_text("Modal usaha kelompok").wait_for(timeout=5_000)
    page.context.close()
