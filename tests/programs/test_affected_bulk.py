"""Reporting affected households in bulk from the page (issue #16): a CSV file or pasted KK numbers,
every row reported or listed with its reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.programs.models import ShockFlag
from entas.registry.models import Household
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db
EVENT = "Banjir Januari 2027"


@pytest.fixture
def families(regions: Any) -> dict[str, Household]:
    return {
        "a": make_household(regions[MANGGAR], "6471010101200001"),
        "b": make_household(regions[MANGGAR], "6471010101200002"),
        "damai": make_household(regions[DAMAI], "6471060101200003"),
    }


def test_a_csv_file_reports_every_row_or_says_why_not(
    families: dict[str, Household], operator_manggar: User, client_for: Callable[[User], Client]
) -> None:
    ShockFlag.objects.create(household=families["b"], event=EVENT, kind="other")
    client = client_for(operator_manggar)
    client.cookies["django_language"] = "en"
    csv = (
        "kk_number,kind,note\n"
        "6471010101200001,disaster,rumah terendam\n"
        "6471010101200002,,\n"
        "6471060101200003,,\n"  # Damai: outside the operator's areas, answered as unknown
        "6471010101209999,,\n"
        "6471010101200001,flood,\n"  # an unknown kind
    )
    upload = SimpleUploadedFile("banjir.csv", csv.encode(), content_type="text/csv")
    response = client.post(
        reverse("programs:affected"),
        {"bulk": "1", "event": EVENT, "kind": "lost_income", "note": "", "file": upload},
    )
    assert response.status_code == 302
    page = client.get(reverse("programs:affected")).content.decode()
    result = client.session.get("affected-result")
    assert result is None  # shown once
    flags = dict(ShockFlag.objects.filter(event=EVENT).values_list("household__kk_number", "kind"))
    assert flags == {"6471010101200001": "disaster", "6471010101200002": "lost_income"}
    assert "Reported for the first time" in page
    for line, reason in (
        ("4", "no household with this KK number in your areas"),
        ("5", "no household"),
        ("6", "Unknown kind"),
    ):
        assert f"<td>{line}</td>" in page and reason in page
    assert "6471060101200003</td><td>no household" in page.replace("\n", "")


def test_pasted_kk_numbers_are_reported_with_an_account(
    families: dict[str, Household], operator_manggar: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(operator_manggar)
    response = client.post(
        reverse("programs:affected"),
        {"bulk": "1", "event": EVENT, "kind": "disaster", "kk_numbers": "6471010101200001\n\n6471 0101 0120 0002\n123"},
        follow=True,
    )
    result = response.context["result"]
    assert (result["rows"], result["new"], result["already"]) == (3, 2, 0)
    assert result["refused"] == [{"line": 4, "kk_number": "123", "reason": result["refused"][0]["reason"]}]
    assert ShockFlag.objects.filter(event=EVENT).count() == 2


def test_a_bulk_report_needs_a_file_or_numbers(operator_manggar: User, client_for: Callable[[User], Client]) -> None:
    client = client_for(operator_manggar)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("programs:affected"), {"bulk": "1", "event": EVENT, "kind": "disaster"})
    assert response.status_code == 200 and "Choose a CSV file or paste KK numbers" in response.content.decode()
