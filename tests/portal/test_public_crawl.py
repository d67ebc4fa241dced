"""Every public page and download, crawled as an anonymous visitor over a city with families,
complaints and programmes: no answer holds a NIK-shaped number, a KK number or a person's name."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.portal import opendata, services
from entas.registry.models import Member
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.security.test_url_matrix import PUBLIC

pytestmark = pytest.mark.django_db

NIK_SHAPED = re.compile(r"(?<!\d)\d{16}(?!\d)")
LINK = re.compile(r'href="([^"#]+)"')


def _text(response: Any) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return " ".join(book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml"))
    return body.decode("utf-8", errors="replace")


@pytest.fixture
def city(regions: dict[str, Any], dinsos_manager: User, operator_manggar: User) -> dict[str, Any]:
    from entas.targeting import services as targeting
    from tests.helpers import make_programme

    families = [
        make_household(regions[code], f"64710{n}0101200{i:03d}", 3)
        for n, code in ((1, MANGGAR), (6, DAMAI))
        for i in range(12)
    ]
    rule = targeting.save_rule(actor=dinsos_manager, name="Semua", expression="true", benefit=100_000)
    programme = make_programme(rule, name="BLT Kota")
    for family in families[:11]:
        programme.enrolments.create(household=family, state="enrolled")
    codes = []
    for n, family in enumerate(families[:4]):
        head = family.members.order_by("pk").first()
        filed = services.file_case(
            category="payment_not_received",
            kelurahan=family.kelurahan,
            description=f"Bantuan untuk {head.name} NIK {head.nik} belum cair.",
            contact_name=head.name,
            contact_phone="081234567890",
            address=f"10.0.0.{n}",
        )
        services.add_note(case=filed.case, kind="public", text="Sedang diperiksa.", actor=dinsos_manager)
        codes.append(filed.code)
    secrets = [m.nik for m in Member.objects.all()] + [m.name for m in Member.objects.all()]
    secrets += [f.kk_number for f in families]
    return {"codes": codes, "secrets": secrets, "member": families[0].members.order_by("pk").first()}


def test_no_public_answer_holds_personal_data(city: dict[str, Any], client_for: Callable[[User], Client]) -> None:
    client = Client()
    answers: dict[str, str] = {}
    queue = [reverse(name) for name in sorted(PUBLIC - {"portal:open_data_download"}) if name.startswith("portal:")]
    queue += [
        f"{reverse('portal:open_data_download')}?dataset={slug}&format={fmt}"
        for slug in opendata.DATASETS
        for fmt in opendata.FORMATS
    ]
    while queue:  # every page, and every page a public page links to under /portal/
        url = queue.pop()
        if url in answers:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        answers[url] = _text(response)
        for href in LINK.findall(answers[url]):
            target = urljoin(url, href.replace("&amp;", "&"))
            officers = any(p in target for p in ("/kasus/", "/statistik/", "/lampiran/"))
            if urlparse(target).path.startswith("/portal/") and target not in answers and not officers:
                queue.append(target)
    # What the POSTs answer: the status by code, and cek bansos for a matching person.
    member = city["member"]
    for code in city["codes"]:
        answers[f"track {code}"] = _text(client.post(reverse("portal:track"), {"code": code}))
    answers["check"] = _text(
        client.post(reverse("portal:check"), {"kelurahan": MANGGAR, "nik": member.nik, "letters": member.name[:4]})
    )
    assert "BLT Kota" in answers["check"] and "Sedang diperiksa." in answers[f"track {city['codes'][0]}"]
    assert len([u for u in answers if "unduh" in u]) == len(opendata.DATASETS) * len(opendata.FORMATS)
    failures = []
    for url, text in answers.items():
        if NIK_SHAPED.search(text):
            failures.append(f"{url}: a NIK-shaped number {NIK_SHAPED.search(text).group(0)}")  # type: ignore[union-attr]
        failures += [f"{url}: {secret}" for secret in city["secrets"] if secret in text]
    assert not failures, "\n".join(failures)
