"""A musyawarah's decision is recorded once and read by both the registry's verification and the
targeting overrides; forums are recorded by whom they belong to; the berita acara and its scan."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.participation import services
from entas.participation.minutes import minutes_pdf
from entas.participation.models import Forum, ForumDecision
from entas.registry import services as registry
from entas.registry.models import Household
from entas.targeting import services as targeting
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 14)


@pytest.fixture
def forum(regions: dict[str, Any], operator_manggar: User) -> Forum:
    return services.save_forum(
        actor=operator_manggar,
        kind="musyawarah",
        area=regions[MANGGAR],
        held_on=DAY,
        berita_acara="BA/MUSKEL-MANGGAR/2026/03",
        agenda="Pembahasan usulan",
        chair="Ketua Forum Sintetis",
        secretary="Notulis Sintetis",
        attendance={"officials": (3, 2), "rt_rw": (10, 4), "figures": (4, 3), "residents": (20, 25)},
    )


def test_one_decision_is_read_by_the_verification_and_by_targeting(
    forum: Forum, regions: dict[str, Any], operator_manggar: User
) -> None:
    rule = targeting.save_rule(actor=None, name="BLT", expression="true", benefit=300_000)
    poor = make_household(regions[MANGGAR], "6471010101200011")
    rich = make_household(regions[MANGGAR], "6471010101200012")
    services.record_decision(actor=operator_manggar, forum=forum, household=poor, action="add", reason="janda lansia")
    services.record_decision(
        actor=operator_manggar, forum=forum, household=rich, action="remove", reason="punya usaha dan mobil"
    )
    services.record_decision(
        actor=operator_manggar, forum=forum, household=poor, action="add", reason="belum terdata", rule=rule
    )
    poor.refresh_from_db()
    rich.refresh_from_db()
    # the registry's verification took the decisions on the registry's list…
    assert (poor.verification_status, poor.visit_date) == ("diverifikasi", DAY)
    assert rich.verification_status == "ditolak" and "punya usaha dan mobil" in rich.rejection_reason
    assert forum.berita_acara in rich.rejection_reason
    # …and targeting reads the same rows: no copy anywhere
    assert targeting.rule_overrides(rule) == ({poor.pk}, {rich.pk})
    assert ForumDecision.objects.count() == 3
    assert set(ForumDecision.objects.values_list("verification", flat=True)) == {"applied", "rule"}
    assert AuditEvent.objects.filter(action="participation.decision_remove").exists()
    assert (
        AuditEvent.objects.filter(action="household.verify").exists()
        or AuditEvent.objects.filter(action__startswith="household.").exists()
    )


def test_a_decision_corrected_at_the_same_forum_replaces_it(
    forum: Forum, manggar_household: Household, operator_manggar: User
) -> None:
    services.record_decision(
        actor=operator_manggar, forum=forum, household=manggar_household, action="remove", reason="pindah"
    )
    services.record_decision(actor=operator_manggar, forum=forum, household=manggar_household, action="keep")
    assert list(ForumDecision.objects.values_list("action", flat=True)) == ["keep"]
    manggar_household.refresh_from_db()
    assert manggar_household.verification_status == "diverifikasi"


def test_a_ratified_household_is_not_changed_the_decision_waits(
    forum: Forum, manggar_household: Household, operator_manggar: User, dinsos_manager: User
) -> None:
    registry.verify_household(actor=operator_manggar, household=manggar_household, visit_date=DAY, confirmed=True)
    registry.ratify_kelurahan(actor=dinsos_manager, kelurahan_id=manggar_household.kelurahan_id)
    decision = services.record_decision(
        actor=operator_manggar, forum=forum, household=manggar_household, action="remove", reason="meninggal"
    )
    manggar_household.refresh_from_db()
    assert manggar_household.verification_status == "disahkan" and decision.verification == "ratified"


def test_decisions_are_refused_with_the_reason(
    forum: Forum, regions: dict[str, Any], manggar_household: Household, operator_manggar: User, operator_damai: User
) -> None:
    damai = make_household(regions[DAMAI], "6471060101200009")
    with pytest.raises(Refused, match="may not record"):
        services.record_decision(actor=operator_damai, forum=forum, household=manggar_household, action="keep")
    with pytest.raises(Refused, match="may not record"):
        services.record_decision(actor=operator_manggar, forum=forum, household=damai, action="keep")
    with pytest.raises(Refused, match="reason"):
        services.record_decision(actor=operator_manggar, forum=forum, household=manggar_household, action="remove")
    later = services.save_forum(
        actor=operator_manggar,
        kind="musyawarah",
        area=regions[MANGGAR],
        held_on=dt.date.today() + dt.timedelta(days=7),
        berita_acara="BA-NEXT",
    )
    with pytest.raises(Refused, match="once it has been held"):
        services.record_decision(actor=operator_manggar, forum=later, household=manggar_household, action="keep")
    rembug = services.save_forum(
        actor=operator_manggar, kind="rembug_warga", area=regions[MANGGAR], held_on=DAY, berita_acara="BA-RW"
    )
    with pytest.raises(Refused, match="musyawarah kelurahan"):
        services.record_decision(actor=operator_manggar, forum=rembug, household=manggar_household, action="keep")
    assert not ForumDecision.objects.exists()


def test_forums_are_recorded_by_whom_they_belong_to(
    regions: dict[str, Any], operator_manggar: User, tkpk_analyst: User, dinsos_manager: User, forum: Forum
) -> None:
    with pytest.raises(Refused, match="may not record"):
        services.save_forum(
            actor=operator_manggar, kind="musyawarah", area=regions[DAMAI], held_on=DAY, berita_acara="BA-X"
        )
    with pytest.raises(Refused, match="may not record"):  # the kecamatan's musrenbang is Bappeda's
        services.save_forum(
            actor=operator_manggar,
            kind="musrenbang_kecamatan",
            area=regions[MANGGAR].parent,
            held_on=DAY,
            berita_acara="BA-K",
        )
    with pytest.raises(Refused, match="already has this berita acara"):
        services.save_forum(
            actor=operator_manggar,
            kind="musyawarah",
            area=regions[MANGGAR],
            held_on=DAY,
            berita_acara=forum.berita_acara,
        )
    with pytest.raises(Refused, match="held in a kelurahan"):
        services.save_forum(
            actor=dinsos_manager, kind="musyawarah", area=regions[MANGGAR].parent, held_on=DAY, berita_acara="BA-Y"
        )
    kec = services.save_forum(
        actor=tkpk_analyst, kind="musrenbang_kecamatan", area=regions[MANGGAR].parent, held_on=DAY, berita_acara="BA-K"
    )
    assert kec.area.code == MANGGAR.rsplit(".", 1)[0]
    assert {a.group: a.total for a in forum.attendance.all()} == {
        "officials": 5,
        "rt_rw": 14,
        "figures": 7,
        "residents": 45,
    }


def test_the_berita_acara_lists_every_decision_with_signature_blocks(
    forum: Forum, regions: dict[str, Any], operator_manggar: User
) -> None:
    households = [make_household(regions[MANGGAR], f"64710101012000{20 + i}") for i in range(3)]
    for household, action in zip(households, ("add", "remove", "keep"), strict=True):
        services.record_decision(actor=operator_manggar, forum=forum, household=household, action=action, reason="r")
    import io

    out = io.BytesIO()
    assert minutes_pdf(operator_manggar, forum, out) == 3
    text = pdf_text(out.getvalue())
    assert "Berita Acara Musyawarah Kelurahan" in text and forum.berita_acara in text
    for household in households:
        assert household.kk_number in text
    assert "Pimpinan musyawarah, Ketua Forum Sintetis" in text and "Mengetahui, Lurah" in text
    assert "hadir 71 orang" in text and "ditambahkan 1, dikeluarkan 1, tetap 1" in text
    assert "Warga Sintetis" in text  # the head of each family, named on the official list


def test_the_signed_scan_is_attached_and_checked(forum: Forum, operator_manggar: User, auditor: User) -> None:
    with pytest.raises(Refused, match="PDF, JPEG or PNG"):
        services.attach_scan(actor=operator_manggar, forum=forum, upload=SimpleUploadedFile("ba.exe", b"MZ"))
    with pytest.raises(Refused, match="not the kind of file"):
        services.attach_scan(actor=operator_manggar, forum=forum, upload=SimpleUploadedFile("ba.pdf", b"MZ.."))
    with pytest.raises(Refused, match="may not record"):
        services.attach_scan(actor=auditor, forum=forum, upload=SimpleUploadedFile("ba.pdf", b"%PDF-1.4"))
    services.attach_scan(actor=operator_manggar, forum=forum, upload=SimpleUploadedFile("ba.pdf", b"%PDF-1.4 x"))
    forum.refresh_from_db()
    assert forum.scan_name == "ba.pdf" and forum.scan_uploaded_by == operator_manggar


def test_targeting_records_through_the_forum_of_its_berita_acara(
    manggar_household: Household, operator_manggar: User
) -> None:
    rule = targeting.save_rule(actor=None, name="BLT", expression="true", benefit=1)
    targeting.record_override(
        actor=operator_manggar,
        rule=rule,
        household=manggar_household,
        action="remove",
        reason="mampu",
        berita_acara="BA-77",
        decided_on=DAY,
    )
    forum = Forum.objects.get(berita_acara="BA-77")
    assert (forum.kind, forum.area_id, forum.held_on) == ("musyawarah", manggar_household.kelurahan_id, DAY)
    assert targeting.rule_overrides(rule) == (set(), {manggar_household.pk})
    with pytest.raises(Refused, match="is of the musyawarah of"):
        targeting.record_override(
            actor=operator_manggar,
            rule=rule,
            household=manggar_household,
            action="add",
            reason="x",
            berita_acara="BA-77",
            decided_on=DAY - dt.timedelta(days=1),
        )
