"""Issue #18's journey in a browser: a training officer creates a cohort, applies people from a
targeting rule, runs the selection, records attendance for every session and a completion with its
certificate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.registry.models import Household, Member
from entas.training.models import Application, Completion, Course, Provider
from tests.browser.test_shell import login
from tests.conftest import DAMAI, MANGGAR
from tests.training.conftest import nik_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _people(regions: dict[str, Any], n: int) -> list[Member]:
    people = []
    today = dt.date.today()
    for i in range(n):
        kelurahan = regions[(MANGGAR, DAMAI)[i % 2]]
        household = Household.objects.create(
            kk_number=f"{kelurahan.code.replace('.', '')[:6]}0101{i:06d}", kelurahan=kelurahan, desil_city=1 + i % 4
        )
        birth = dt.date(today.year - 20 - i, 3, 1 + i)
        female = i % 3 != 1
        people.append(
            Member.objects.create(
                household=household,
                nik=nik_for(kelurahan, birth, female, 2000 + i),
                name=f"Peserta Jalur {i}",
                sex="2" if female else "1",
                birth_date=birth,
                relationship="1",
                worked=False,
            )
        )
    old = dt.date(today.year - 60, 1, 1)
    Member.objects.create(  # the rule leaves them out
        household=people[0].household,
        nik=nik_for(regions[MANGGAR], old, False, 2999),
        name="Warga Lansia",
        sex="1",
        birth_date=old,
        relationship="6",
    )
    return people


def test_an_officer_runs_a_cohort_from_creation_to_certificate(
    page: Any, live_server: Any, make_user: Any, regions: dict[str, Any]
) -> None:
    officer: User = make_user("pelatihan", Role.TRAINING_OFFICER, ["64.71"])
    assert officer.can("training.manage")
    provider = Provider.objects.create(code="blki", name="UPTD BLKI Balikpapan", kind="blk")
    Course.objects.create(
        provider=provider,
        code="las",
        name="Juru Las SMAW",
        competency_area="Welding",
        scheme="SKKNI Pengelasan",
        hours=40,
        class_size=4,
        min_women_share="0.50",
        max_per_kelurahan=3,
    )
    people = _people(regions, 8)
    today = dt.date.today()
    start = today - dt.timedelta(days=today.weekday() + 14)  # a Monday two weeks ago
    end = start + dt.timedelta(days=4)

    login(page, live_server, "pelatihan")
    page.goto(f"{live_server.url}/training/")
    page.get_by_role("link", name="Angkatan baru").click()
    page.locator("#id_course").select_option(label="Juru Las SMAW")
    page.locator("#id_code").fill("las-jalur-1")
    page.locator("#id_start").fill(start.isoformat())
    page.locator("#id_end").fill(end.isoformat())
    page.locator("#id_seats").fill("4")
    page.locator("#id_venue").fill("Bengkel las BLKI")
    page.get_by_role("button", name="Buat angkatan").click()
    page.get_by_text("Angkatan las-jalur-1 dibuat beserta sesinya").wait_for(timeout=5_000)

    page.locator("#id_rule").fill("any(members, 18 <= age <= 35)")
    page.get_by_role("button", name="Daftarkan", exact=True).click()
    page.get_by_text("8 terdaftar, 0 sudah mendaftar sebelumnya, 0 ditolak").wait_for(timeout=10_000)

    page.get_by_role("button", name="Jalankan seleksi").click()
    page.get_by_text("4 dari 4 kursi terisi, 4 di daftar tunggu").wait_for(timeout=5_000)
    assert page.get_by_text("kursi kuota perempuan").first.is_visible()
    selected = list(Application.objects.filter(status="selected"))
    assert len(selected) == 4 and sum(a.sex == "2" for a in selected) >= 2
    assert all(p.nik not in page.content() for p in people)  # masked on the page

    page.get_by_role("link", name="Kehadiran").click()
    for number in range(1, 6):
        page.get_by_role("heading", name=f"Kehadiran, sesi {number}").wait_for(timeout=5_000)
        if number == 1:  # one trainee missed the first day
            page.get_by_label(f"{selected[0].name}: Tidak hadir").check()
        page.get_by_role("button", name="Simpan kehadiran").click()
    page.get_by_text("Kehadiran disimpan").wait_for(timeout=5_000)
    assert page.url.endswith(f"/training/cohort/{selected[0].cohort_id}/")

    page.get_by_role("link", name="Kelulusan dan sertifikat").click()
    card = page.locator("section.card", has_text=selected[1].name)
    assert card.get_by_text("Kehadiran sejauh ini: 100%").is_visible()
    card.locator(f"#id_c{selected[1].pk}-assessment").select_option("competent")
    card.locator(f"#id_c{selected[1].pk}-certificate_number").fill("BNSP/LAS/2026/001")
    card.get_by_role("button", name="Simpan").click()
    page.get_by_text(f"Tersimpan untuk {selected[1].name}").wait_for(timeout=5_000)
    card = page.locator("section.card", has_text=selected[0].name)
    assert card.get_by_text("Kehadiran sejauh ini: 80%").is_visible()

    completion = Completion.objects.get(application=selected[1])
    assert (completion.outcome, completion.certificate_number, completion.attendance_rate) == (
        "completed",
        "BNSP/LAS/2026/001",
        100,
    )
    assert completion.certificate_scheme == "SKKNI Pengelasan"


def test_the_analyst_sees_the_placement_chart(
    page: Any, live_server: Any, make_user: Any, regions: dict[str, Any]
) -> None:
    from entas.training import services

    officer: User = make_user("pelatihan", Role.TRAINING_OFFICER, ["64.71"])
    make_user("tkpk", Role.TKPK_ANALYST, ["64.71"])
    provider = Provider.objects.create(code="lpk", name="LPK Cahaya Busana", kind="lpk")
    course = Course.objects.create(provider=provider, code="jahit", name="Menjahit", competency_area="Garment", hours=8)
    ended = dt.date.today() - dt.timedelta(days=120)
    cohort, _ = services.save_cohort(
        course=course, code="jahit-1", start=ended - dt.timedelta(days=4), end=ended, seats=4, actor=officer
    )
    services.apply_members(cohort=cohort, members=_people(regions, 4), actor=officer)
    services.select_cohort(cohort=cohort, actor=officer)
    for i, trainee in enumerate(cohort.applications.filter(status="selected")):
        for session in cohort.sessions.all():
            services.record_attendance(session=session, marks={trainee.pk: "present"}, actor=officer)
        services.complete(application=trainee, outcome="completed", ended_on=ended, actor=officer)
        services.record_tracer(
            application=trainee,
            months=3,
            surveyed_on=ended + dt.timedelta(days=95),
            employment="self" if i % 2 else "none",
            actor=officer,
        )
    login(page, live_server, "tkpk")
    page.goto(f"{live_server.url}/training/outcomes/")
    page.wait_for_selector("#placement-chart svg", timeout=15_000)  # vega-embed drew the bars
    assert page.get_by_role("heading", name="Tingkat penempatan menurut kursus, perempuan dan laki-laki").is_visible()
    assert not any(name in page.content() for name in ("Peserta Jalur 0", "Peserta Jalur 1"))
