"""The TKPK's complaint statistics and the demo's complaints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from entas.accounts.models import User
from entas.portal import demo, selectors, services
from entas.portal.models import Case
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db


def _case(regions: dict[str, Any], code: str, category: str, days_ago: int, text: str) -> Case:
    return services.file_case(
        category=category,
        kelurahan=regions[code],
        description=text,
        submitted_at=timezone.now() - dt.timedelta(days=days_ago),
        address=text,
    ).case


def test_figures_count_compliance_and_ageing_of_the_users_areas(
    regions: dict[str, Any], operator_manggar: User, tkpk_analyst: User
) -> None:
    on_time = _case(regions, MANGGAR, "usul", 40, "Mohon didaftarkan segera")
    late = _case(regions, MANGGAR, "usul", 100, "Mohon didaftarkan juga")
    _case(regions, MANGGAR, "other", 10, "Pertanyaan jadwal pencairan")
    _case(regions, DAMAI, "other", 3, "Pertanyaan dari Damai")
    spam = _case(regions, MANGGAR, "other", 1, "Iklan pinjaman online")
    services.mark_spam(case=spam, actor=operator_manggar)
    Case.objects.filter(pk=on_time.pk).update(
        state="resolved",
        resolved_at=on_time.submitted_at + dt.timedelta(days=5),
        first_response_at=on_time.submitted_at,
    )
    Case.objects.filter(pk=late.pk).update(state="resolved", resolved_at=late.submitted_at + dt.timedelta(days=90))
    city = selectors.dashboard(tkpk_analyst)
    assert city["totals"]["total"] == 4  # spam left out
    assert (city["totals"]["resolved"], city["totals"]["resolved_on_time"]) == (2, 1)
    assert city["resolved_on_time_share"] == 50.0
    assert [row["total"] for row in city["by_category"]] == [2, 2]
    assert {a[0]: a[2] for a in city["ageing"]} == {0: 1, 8: 1, 31: 0, 91: 0}
    manggar = selectors.dashboard(operator_manggar)
    assert manggar["totals"]["total"] == 3


def test_the_page_shows_figures_and_no_case(
    regions: dict[str, Any], tkpk_analyst: User, client_for: Callable[[User], Client]
) -> None:
    case = _case(regions, MANGGAR, "usul", 5, "Mohon didaftarkan segera")
    page = client_for(tkpk_analyst).get(reverse("portal:dashboard"))
    text = page.content.decode()
    assert page.status_code == 200 and 'id="sla"' in text
    assert case.reference not in text and "Mohon didaftarkan" not in text
    # The TKPK sees figures, not cases.
    assert client_for(tkpk_analyst).get(reverse("portal:cases")).status_code == 403


def test_the_demo_files_a_year_of_plausible_cases(regions: dict[str, Any], tkpk_analyst: User) -> None:
    for i in range(3):
        make_household(regions[MANGGAR], f"647101010120{i:04d}")
    assert demo.seed(count=120)["cases"] == 120
    assert demo.seed(count=120)["cases"] == 0  # once
    states = set(Case.objects.values_list("state", flat=True))
    assert {"new", "resolved", "closed"} <= states
    assert Case.objects.filter(household__isnull=False).exists()
    assert Case.objects.filter(spam=True).exists()
    oldest = Case.objects.order_by("submitted_at").first()
    assert oldest is not None and (timezone.now() - oldest.submitted_at).days > 120
    figures = selectors.dashboard(tkpk_analyst)
    assert figures["totals"]["total"] > 100 and figures["resolved_on_time_share"] is not None
    assert all(c.state != "resolved" or c.notes.filter(kind="public").exists() for c in Case.objects.all())
