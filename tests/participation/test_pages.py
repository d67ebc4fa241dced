"""The operator's pages: record a musyawarah, its decisions, print its berita acara, attach the scan;
who sees what (the partner and the analyst never see a household)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.participation.models import Forum, ForumDecision
from entas.registry.models import Household
from tests.conftest import MANGGAR
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db


def _forum_data(area: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "kind": "musyawarah",
        "area": area.pk,
        "held_on": "2026-03-14",
        "berita_acara": "BA/MK-MANGGAR/2026/03",
        "place": "Aula Kelurahan",
        "chair": "Ketua Sintetis",
        "agenda": "Pembahasan DTSEN",
        **{f"{g}_{s}": 2 for g in ("officials", "rt_rw", "figures", "residents") for s in ("men", "women")},
    }
    return {**data, **changes}


def test_an_operator_records_a_musyawarah_decides_and_prints(
    regions: dict[str, Any],
    manggar_household: Household,
    operator_manggar: User,
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(operator_manggar)
    client.cookies["django_language"] = "en"
    assert client.get(reverse("participation:forum_new")).status_code == 200
    response = client.post(reverse("participation:forum_new"), _forum_data(regions[MANGGAR]))
    forum = Forum.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("participation:forum", args=[forum.pk])
    url = reverse("participation:forum", args=[forum.pk])
    response = client.post(url, {"kk_number": manggar_household.kk_number, "action": "remove", "reason": ""})
    assert "Give the reason for adding or removing the household." in response.content.decode()
    assert not ForumDecision.objects.exists()
    response = client.post(url, {"kk_number": manggar_household.kk_number, "action": "remove", "reason": "pindah"})
    assert response.status_code == 302
    manggar_household.refresh_from_db()
    assert manggar_household.verification_status == "ditolak"
    page = client.get(url).content.decode()
    assert manggar_household.kk_number in page and "pindah" in page and "16" in page  # 8 groups × 2
    pdf = client.get(reverse("participation:minutes", args=[forum.pk]))
    body = b"".join(pdf.streaming_content)  # type: ignore[attr-defined]
    assert pdf["Content-Type"] == "application/pdf" and manggar_household.kk_number in pdf_text(body)
    client.post(
        reverse("participation:scan", args=[forum.pk]), {"scan": SimpleUploadedFile("ba.pdf", b"%PDF-1.4 signed")}
    )
    scan = client.get(reverse("participation:scan_download", args=[forum.pk]))
    assert b"".join(scan.streaming_content) == b"%PDF-1.4 signed"  # type: ignore[attr-defined]
    listing = client.get(reverse("participation:forums") + "?year=2026").content.decode()
    assert forum.berita_acara in listing
    household_page = client.get(reverse("registry:household_detail", args=[manggar_household.pk])).content.decode()
    assert forum.berita_acara in household_page


def test_a_bad_forum_is_refused_beside_its_field_in_indonesian(
    regions: dict[str, Any], operator_manggar: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(operator_manggar)
    client.post(reverse("participation:forum_new"), _forum_data(regions[MANGGAR]))
    client.cookies["django_language"] = "id"
    page = client.post(reverse("participation:forum_new"), _forum_data(regions[MANGGAR])).content.decode()
    assert "Forum lain sudah memakai nomor berita acara ini." in page
    assert Forum.objects.count() == 1


def test_who_sees_households(
    regions: dict[str, Any],
    manggar_household: Household,
    operator_manggar: User,
    tkpk_analyst: User,
    partner: User,
    client_for: Callable[[User], Client],
) -> None:
    from entas.participation import services

    forum = services.save_forum(
        actor=operator_manggar, kind="musyawarah", area=regions[MANGGAR], held_on=dt.date(2026, 3, 1), berita_acara="BA"
    )
    services.record_decision(actor=operator_manggar, forum=forum, household=manggar_household, action="keep")
    analyst = client_for(tkpk_analyst)
    page = analyst.get(reverse("participation:forum", args=[forum.pk])).content.decode()
    assert manggar_household.kk_number not in page
    assert analyst.get(reverse("participation:minutes", args=[forum.pk])).status_code == 403
    stranger = client_for(partner)
    for name in ("participation:forums",):
        assert stranger.get(reverse(name)).status_code == 403
    assert stranger.get(reverse("participation:forum", args=[forum.pk])).status_code == 403
