"""A facilitator records a business group, seats its chair, enrols its members in a management course
of the training module, records its grant and a quarterly report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core.models import AuditEvent
from entas.enterprise.models import BusinessReport, Grant, Group
from entas.registry.models import Household
from tests.browser.test_shell import login
from tests.conftest import MANGGAR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    """A DKUMKMP facilitator of Kelurahan Manggar."""
    return make_user("umkm.manggar", Role.TRAINING_OFFICER, [MANGGAR])


def test_a_facilitator_records_a_group_its_grant_and_a_quarterly_report(
    page: Any, live_server: Any, officer: User, manggar_household: Household
) -> None:
    import datetime as dt

    from entas.training import services as training
    from entas.training.models import Application, Course, Provider

    course = Course.objects.create(
        provider=Provider.objects.create(code="dkumkmp", name="DKUMKMP", kind="blk"),
        code="buku",
        name="Pembukuan usaha mikro",
        competency_area="Pembukuan",
        hours=16,
    )
    training.save_cohort(
        course=course, code="buku-1", start=dt.date(2027, 3, 1), end=dt.date(2027, 3, 5), seats=20, actor=officer
    )
    login(page, live_server, officer.username)
    page.get_by_role("link", name="Kelompok usaha").first.click()
    page.get_by_role("link", name="Kelompok baru").click()
    page.get_by_label("Nama").fill("KUBE Amplang Manggar Baru")
    page.get_by_label("Jenis").select_option("kube")
    page.get_by_label("Kode sektor KBLI").fill("10792")
    page.get_by_label("Produk utama").fill("Amplang ikan tenggiri")
    page.get_by_label("Kelurahan").select_option(label="Manggar")
    page.get_by_label("Berdiri").fill("2025-02-01")
    page.get_by_role("button", name="Catat kelompok").click()
    page.get_by_text("Kelompok tercatat").wait_for(timeout=5_000)
    group = Group.objects.get(name="KUBE Amplang Manggar Baru")

    head = manggar_household.members.order_by("nik").first()
    assert head is not None
    members = page.locator("#members")
    members.get_by_text("Tambah anggota atau ubah peran").click()
    members.get_by_label("NIK").fill(head.nik)
    members.get_by_label("Peran").select_option("chair")
    members.get_by_label("Bergabung").fill("2025-02-01")
    members.get_by_role("button", name="Simpan").click()
    page.locator("#members").get_by_text(head.name).wait_for(timeout=5_000)

    enrol = page.locator("#training")
    enrol.get_by_text("Daftarkan anggota saat ini ke suatu pelatihan").click()
    enrol.get_by_label("Angkatan").select_option(label="Pembukuan usaha mikro · buku-1 (01-03-2027)")
    enrol.get_by_role("button", name="Daftarkan").click()
    page.get_by_text("Didaftarkan ke buku-1: 1 baru").wait_for(timeout=5_000)
    assert Application.objects.get().member == head

    grants = page.locator("#grants")
    grants.get_by_text("Catat hibah").click()
    grants.get_by_label("Jenis").select_option("cash")
    grants.get_by_label("Nilai (Rp)").fill("7500000")
    grants.get_by_label("Diserahkan").fill("2025-03-10")
    grants.get_by_label("Nomor berita acara serah terima").fill("BAST/DKUMKMP/2025/041")
    grants.get_by_role("button", name="Simpan").click()
    page.get_by_text("Hibah tercatat").wait_for(timeout=5_000)
    assert page.locator("#grants").get_by_text("BAST/DKUMKMP/2025/041").is_visible()

    reports = page.locator("#reports")
    reports.get_by_text("Isi laporan").click()
    reports.get_by_label("Periode", exact=False).first.select_option("quarter")
    reports.get_by_label("Awal periode").fill("2025-04-01")
    reports.get_by_label("Omzet (Rp)").fill("9000000")
    reports.get_by_label("Biaya (Rp)").fill("6000000")
    reports.get_by_label("Pekerja keluarga").fill("3")
    reports.get_by_role("button", name="Simpan").click()
    page.get_by_text("Laporan tersimpan").wait_for(timeout=5_000)
    assert page.locator("#reports").get_by_text("Rp3.000.000").is_visible()  # the quarter's profit

    assert Grant.objects.get(group=group).amount == 7_500_000
    report = BusinessReport.objects.get(group=group)
    assert (report.period, report.profit, report.workers_family) == ("quarter", 3_000_000, 3)
    actions = set(AuditEvent.objects.filter(actor=officer).values_list("action", flat=True))
    assert {"enterprise.group_add", "enterprise.seat", "enterprise.enrol", "enterprise.grant", "enterprise.report"} <= (
        actions
    )
