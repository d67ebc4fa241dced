"""Partners: loaded with their MoU/PKS and contributions (row-level accounting), the delivered money
rolled into the policy register's funding, the CSR coordination view, and the partner portal that
shows a partner its own contributions and the programmes it funds as figures — never a person."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.participation import services
from entas.participation.models import Contribution, Partner
from entas.policy import selectors as policy
from entas.policy.models import Benefit, Plan, ProgrammeRecord
from tests.conftest import MANGGAR, make_household
from tests.policy import conftest as policy_fixtures

plan, cash_programme, bappeda = policy_fixtures.plan, policy_fixtures.cash_programme, policy_fixtures.bappeda
pytestmark = pytest.mark.django_db
EXAMPLES = Path(settings.PROJECT_ROOT) / "docs" / "examples"


def run(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("partner", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def loaded(plan: Plan, bappeda: User, partner: User) -> dict[str, Any]:
    partners = run("load", str(EXAMPLES / "partners.csv"), "--as", "bappeda", "--no-progress")
    contributions = run("contribution", str(EXAMPLES / "partner-contributions.csv"), "--as", "bappeda", "--no-progress")
    return {"partners": partners, "contributions": contributions}


def test_the_examples_load_and_load_again_unchanged(loaded: dict[str, Any], tmp_path: Path) -> None:
    assert (loaded["partners"]["inserted"], loaded["partners"]["rejected"]) == (6, 0)
    assert (loaded["contributions"]["inserted"], loaded["contributions"]["rejected"]) == (8, 0)
    again = run("contribution", str(EXAMPLES / "partner-contributions.csv"), "--as", "bappeda", "--no-progress")
    assert again["unchanged"] == 8 and Contribution.objects.count() == 8
    assert list(Partner.objects.get(code="forum-csr").users.values_list("username", flat=True)) == ["mitra"]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "partner,kind,description,programme,year,pledged_value,pledged_quantity\n"
        "nobody,cash,x,P3.1,2026,1000,\n"
        "baznas,cash,x,P9.9,2026,1000,\n"
        "baznas,cash,x,P3.1,2026,,\n"  # no value
        "baznas,volunteer_hours,x,P3.1,2026,,\n"  # no hours
        "baznas,cash,x,P3.1,2026,1.000.000,\n",
        encoding="utf-8",
    )
    result = run("contribution", str(bad), "--as", "bappeda", "--no-progress")
    assert (result["total"], result["inserted"], result["rejected"]) == (5, 1, 4)
    text = Path(result["rejection_file"]).read_text(encoding="utf-8-sig")
    assert "No partner nobody" in text and "P9.9" in text and "value pledged" in text and "hours or places" in text


def test_an_operator_may_not_keep_partners(loaded: dict[str, Any], operator_manggar: User) -> None:
    with pytest.raises(Refused, match="editors"):
        services.save_partner(actor=operator_manggar, code="x", name="X", kind="ngo")


def test_delivered_money_rolls_into_the_register(loaded: dict[str, Any], plan: Plan, tkpk_analyst: User) -> None:
    day = dt.date(2026, 12, 31)
    register = policy.register(tkpk_analyst, plan, day)
    rows = {p.record.code: p for p in register.programmes()}
    # cash and goods delivered by the day; volunteer hours and training places are not money
    assert rows["P3.1"].funding.get("partner") == 500_000_000 + 450_000_000
    assert rows["P3.2"].funding.get("partner") == 250_000_000
    assert "partner" not in rows["P2.3"].funding
    assert register.funding["partner"] == 950_000_000 + 250_000_000 + 180_000_000 + 35_000_000 + 200_000_000
    before = policy.register(tkpk_analyst, plan, dt.date(2026, 6, 1))
    assert {p.record.code: p for p in before.programmes()}["P3.1"].funding.get("partner") is None
    page = Client()
    page.force_login(tkpk_analyst)
    html = page.get(reverse("policy:plan") + "?as_of=2026-12-31").content.decode()
    assert "Partner contributions (delivered)" in html or "Kontribusi mitra (terealisasi)" in html


def test_the_coordination_view_shows_who_funds_what_where(
    loaded: dict[str, Any], regions: dict[str, Any], tkpk_analyst: User
) -> None:
    client = Client()
    client.force_login(tkpk_analyst)
    html = client.get(reverse("participation:partners") + "?year=2026").content.decode()
    assert "PT Kilang Sintetis Balikpapan (TJSL)" in html and "Forum CSR Kota Balikpapan" in html
    # Manggar gets the same programme (bedah rumah, P3.1) from two partners: an overlap
    assert "Forum CSR Kota Balikpapan, PT Kilang Sintetis Balikpapan (TJSL)" in html


def test_the_partner_portal_shows_only_its_own_and_no_person(
    loaded: dict[str, Any], regions: dict[str, Any], partner: User, tkpk_analyst: User
) -> None:
    record = ProgrammeRecord.objects.get(code="P3.1")
    household = make_household(regions[MANGGAR], "6471010101200061")
    Benefit.objects.create(
        programme=record.programme,
        household=household,
        member=household.members.first(),
        received_on=dt.date(2026, 7, 1),
        description="Bedah rumah",
    )
    client = Client()
    client.force_login(partner)
    html = client.get(reverse("participation:portal")).content.decode()
    assert "Dana TJSL anggota forum untuk bedah rumah" in html and "Paket pangan keluarga rawan" in html
    assert "Bedah rumah pesisir Manggar" not in html  # the refinery's, not the forum's
    secrets = [household.kk_number, *household.members.values_list("name", flat=True)]
    secrets += list(household.members.values_list("nik", flat=True))
    assert not any(s in html for s in secrets)
    assert ">1<" in html  # one household reached, as a count
    for name in ("participation:partners", "participation:forums", "participation:proposals"):
        assert client.get(reverse(name)).status_code == 403
    own = Contribution.objects.filter(partner__code="forum-csr").first()
    other = Contribution.objects.filter(partner__code="kilang-tjsl").first()
    assert own is not None and other is not None
    upload = reverse("participation:report_upload", args=[own.pk])
    response = client.post(upload, {"scan": SimpleUploadedFile("laporan.pdf", b"%PDF-1.4 laporan")})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.report_name == "laporan.pdf"
    download = client.get(reverse("participation:report_download", args=[own.pk]))
    assert b"".join(download.streaming_content) == b"%PDF-1.4 laporan"  # type: ignore[attr-defined]
    assert (
        client.post(
            reverse("participation:report_upload", args=[other.pk]), {"scan": SimpleUploadedFile("x.pdf", b"%PDF")}
        ).status_code
        == 404
    )
    assert client.get(reverse("participation:report_download", args=[other.pk])).status_code == 404


def test_partners_and_contributions_are_recorded_on_pages(
    plan: Plan, bappeda: User, operator_manggar: User, partner: User, regions: Any
) -> None:
    client = Client()
    client.force_login(bappeda)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("participation:partner_new"),
        {
            "code": "kilang",
            "name": "CSR Kilang Balikpapan",
            "kind": "csr",
            "contact_person": "Bagian CSR",
            "users": [partner.pk],
            "agreement_kind": "pks",
            "agreement_number": "PKS/01/2026",
            "signed_on": "2026-01-05",
            "start": "2026-01-05",
            "end": "2026-12-31",
            "kelurahan": [regions[MANGGAR].pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    kilang = Partner.objects.get(code="kilang")
    assert list(kilang.users.all()) == [partner] and kilang.agreements.get().number == "PKS/01/2026"
    half = client.post(
        reverse("participation:partner_new"), {"code": "x", "name": "X", "kind": "ngo", "agreement_number": "1"}
    )
    assert half.status_code == 200 and "An agreement needs its kind" in half.content.decode()
    body = {"partner": kilang.pk, "kind": "cash", "description": "Modal usaha", "programme": "P3.1", "year": 2026}
    response = client.post(reverse("participation:contribution_new"), {**body, "pledged_value": 40_000_000})
    assert response.status_code == 302
    contribution = Contribution.objects.get(partner=kilang)
    unknown = client.post(reverse("participation:contribution_new"), {**body, "programme": "P9.9", "pledged_value": 1})
    assert "No programme with register code P9.9" in unknown.content.decode()
    no_value = client.post(reverse("participation:contribution_new"), body)
    assert "Give the value pledged" in no_value.content.decode()
    # A delivery recorded on the same contribution: pledged versus delivered.
    edit = reverse("participation:contribution_edit", args=[contribution.pk])
    assert "Modal usaha" in client.get(edit).content.decode()
    client.post(
        edit, {**body, "pledged_value": 40_000_000, "delivered_value": 15_000_000, "delivered_on": "2026-03-01"}
    )
    contribution.refresh_from_db()
    assert (contribution.pledged_value, contribution.delivered_value) == (40_000_000, 15_000_000)
    assert Contribution.objects.count() == 1
    listing = client.get(reverse("participation:partners") + "?year=2026").content.decode()
    assert "CSR Kilang Balikpapan" in listing and edit in listing
    for user in (operator_manggar, partner):
        other = Client()
        other.force_login(user)
        assert other.get(reverse("participation:partner_new")).status_code == 403
        assert other.post(edit, body).status_code == 403
