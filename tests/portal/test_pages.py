"""The public pages (no login) and the officers' pages of the portal."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import signing
from django.test import Client, override_settings
from django.urls import reverse

from entas.accounts.models import User
from entas.portal import challenge, services
from entas.portal.models import Case, Visit
from tests.conftest import DAMAI, MANGGAR

pytestmark = pytest.mark.django_db

CODE = re.compile(r'id="tracking-code">([A-Z2-9-]{14})<')


def _form(**kw: Any) -> dict[str, Any]:
    question = challenge.new()
    answer = signing.loads(question.token, salt=challenge.SALT)["s"]
    return {
        "category": "payment_not_received",
        "kelurahan": MANGGAR,
        "description": "Bantuan belum cair sejak bulan lalu.",
        "contact_name": "",
        "token": question.token,
        "answer": str(answer),
    } | kw


def _file(client: Client, **kw: Any) -> str:
    response = client.post(reverse("portal:complaint"), _form(**kw))
    assert response.status_code == 200, response.content.decode()[:2000]
    match = CODE.search(response.content.decode())
    assert match
    return match.group(1)


def test_a_citizen_files_without_logging_in_and_follows_with_the_code(
    regions: dict[str, Any], operator_manggar: User
) -> None:
    client = Client()
    page = client.get(reverse("portal:complaint"))
    assert page.status_code == 200 and b'name="token"' in page.content and b"<script>" not in page.content
    code = _file(client, contact_name="Warga Pelapor", contact_phone="081234567890")
    case = Case.objects.get()
    services.add_note(case=case, kind="internal", text="RAHASIA internal", actor=operator_manggar)
    services.add_note(case=case, kind="public", text="Kami sedang memeriksa ke bank.", actor=operator_manggar)
    services.take_step(case=case, action="start", actor=operator_manggar)
    status = client.post(reverse("portal:track"), {"code": code.lower()})
    text = status.content.decode()
    assert status.status_code == 200
    assert "Kami sedang memeriksa ke bank." in text
    assert "RAHASIA" not in text and "Warga Pelapor" not in text and "081234567890" not in text
    assert "Bantuan belum cair" not in text  # the description is not shown back
    assert code not in text  # nor the code itself


def test_a_wrong_code_says_only_that(regions: dict[str, Any]) -> None:
    response = Client().post(reverse("portal:track"), {"code": "AAAA-BBBB-CCCC"})
    assert response.status_code == 404
    assert Visit.objects.filter(action="portal.track").count() == 1


def test_the_challenge_must_be_answered(regions: dict[str, Any]) -> None:
    client = Client()
    response = client.post(reverse("portal:complaint"), _form(answer="99"))
    assert response.status_code == 400 and not Case.objects.exists()
    tampered = _form()
    tampered["token"] = tampered["token"][:-2] + "xx"
    assert client.post(reverse("portal:complaint"), tampered).status_code == 400
    assert not Case.objects.exists()


def test_the_form_needs_the_csrf_token(regions: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("portal:complaint"), _form()).status_code == 403
    assert not Case.objects.exists()


def test_a_filled_honeypot_files_the_case_as_spam(regions: dict[str, Any]) -> None:
    _file(Client(), website="http://spam.example")
    assert Case.objects.get().spam


@override_settings(ENTAS_RATE_LIMITS={"portal.submit": "2/hour"})
def test_an_address_is_limited(regions: dict[str, Any]) -> None:
    client = Client(REMOTE_ADDR="10.3.3.3")
    _file(client, description="Keluhan pertama tentang bantuan.")
    _file(client, description="Keluhan kedua tentang bantuan.")
    response = client.post(reverse("portal:complaint"), _form(description="Keluhan ketiga tentang bantuan."))
    assert response.status_code == 429 and Case.objects.count() == 2
    other = Client(REMOTE_ADDR="10.3.3.4")
    _file(other, description="Keluhan dari alamat lain.")


def test_a_repeated_submission_is_refused(regions: dict[str, Any]) -> None:
    client = Client()
    _file(client)
    response = client.post(reverse("portal:complaint"), _form())
    assert response.status_code == 400 and Case.objects.count() == 1


def test_the_queue_is_scoped_and_an_officer_answers(
    regions: dict[str, Any], operator_manggar: User, operator_damai: User, client_for: Callable[[User], Client]
) -> None:
    code = _file(Client())
    case = Case.objects.get()
    damai = client_for(operator_damai)
    assert case.reference not in damai.get(reverse("portal:cases")).content.decode()
    assert damai.get(reverse("portal:case", args=[case.pk])).status_code == 404
    officer = client_for(operator_manggar)
    assert case.reference in officer.get(reverse("portal:cases")).content.decode()
    url = reverse("portal:case", args=[case.pk])
    assert officer.get(url).status_code == 200
    officer.post(url, {"op": "step", "action": "start"})
    officer.post(url, {"op": "note", "kind": "public", "text": "Sudah dibayar ulang."})
    officer.post(url, {"op": "assign", "user": operator_manggar.pk})
    officer.post(url, {"op": "step", "action": "resolve"})
    case.refresh_from_db()
    assert (case.state, case.assigned_to) == ("resolved", operator_manggar)
    status = Client().post(reverse("portal:track"), {"code": code}).content.decode()
    assert "Sudah dibayar ulang." in status


def test_a_payment_case_shows_the_payment_status_and_bank_reason(
    regions: dict[str, Any], operator_manggar: User, dinsos_manager: User, client_for: Callable[[User], Client]
) -> None:
    from entas.programs import services as programmes
    from entas.programs.models import Entitlement, Payment
    from entas.targeting import services as targeting
    from tests.conftest import make_household
    from tests.helpers import make_programme

    household = make_household(regions[MANGGAR], "6471010101200001")
    rule = targeting.save_rule(actor=dinsos_manager, name="Semua", expression="true", benefit=100_000)
    cycle = programmes.create_cycle(programme=make_programme(rule, name="BLT"), period="2026-06", actor=dinsos_manager)
    entitlement = Entitlement.objects.create(cycle=cycle, household=household, amount=100_000)
    Payment.objects.create(
        entitlement=entitlement, reference="E2E-1", amount=100_000, status="failed", reason="AC04 rekening ditutup"
    )
    _file(Client())
    case = Case.objects.get()
    officer = client_for(operator_manggar)
    url = reverse("portal:case", args=[case.pk])
    officer.post(url, {"op": "link", "kk_number": "", "payment_reference": "E2E-1"})
    case.refresh_from_db()
    assert case.household == household and case.cycle == cycle
    page = officer.get(url).content.decode()
    assert "AC04 rekening ditutup" in page and 'id="payment-status"' in page


def test_an_officer_takes_in_a_walk_in(
    regions: dict[str, Any], operator_manggar: User, client_for: Callable[[User], Client]
) -> None:
    officer = client_for(operator_manggar)
    assert officer.get(reverse("portal:intake")).status_code == 200
    data = {"channel": "walk_in", "category": "usul", "kelurahan": MANGGAR, "description": "Minta didaftarkan DTSEN."}
    response = officer.post(reverse("portal:intake"), data)
    assert response.status_code == 200 and CODE.search(response.content.decode())
    assert Case.objects.get().channel == "walk_in"
    response = officer.post(reverse("portal:intake"), data | {"kelurahan": DAMAI})
    assert not Case.objects.filter(kelurahan__code=DAMAI).exists()


def test_the_musyawarah_agenda_lists_usul_and_sanggah_of_the_area(
    regions: dict[str, Any], operator_manggar: User, operator_damai: User, client_for: Callable[[User], Client]
) -> None:
    usul = services.file_case(
        category="usul", kelurahan=regions[MANGGAR], description="Mohon didaftarkan sebagai penerima.", address="a"
    ).case
    other = services.file_case(
        category="other", kelurahan=regions[MANGGAR], description="Pertanyaan tentang jadwal.", address="b"
    ).case
    page = client_for(operator_manggar).get(reverse("portal:agenda")).content.decode()
    assert usul.reference in page and other.reference not in page
    assert usul.reference not in client_for(operator_damai).get(reverse("portal:agenda")).content.decode()


def test_a_photo_goes_with_the_form_and_a_disguised_file_is_refused(
    regions: dict[str, Any], settings: Any, tmp_path: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client = Client()
    photo = SimpleUploadedFile("bukti.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 50, content_type="image/jpeg")
    second = SimpleUploadedFile("surat.pdf", b"%PDF-1.4 surat", content_type="application/pdf")
    _file(client, attachment=[photo, second])
    assert sorted(Case.objects.get().attachments.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/jpeg",
    ]
    html = SimpleUploadedFile("foto.jpg", b"<html><script>alert(1)</script>", content_type="image/jpeg")
    response = client.post(
        reverse("portal:complaint"), _form(description="Keluhan lain dengan lampiran palsu.", attachment=html)
    )
    assert response.status_code == 400 and Case.objects.count() == 1
