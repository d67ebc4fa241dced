"""An operator of Kelurahan Manggar can neither see nor change a household of Kelurahan Damai,
through any surface: pages, the export, the API."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core import jobqueue
from entas.registry.models import Household
from entas.registry.selectors import households_for, summary_by_kelurahan

pytestmark = pytest.mark.django_db


def test_the_selector_returns_only_households_in_the_users_areas(
    operator_manggar: User, manggar_household: Household, damai_household: Household
) -> None:
    assert list(households_for(operator_manggar)) == [manggar_household]


def test_a_city_wide_manager_sees_every_kelurahan(
    dinsos_manager: User, manggar_household: Household, damai_household: Household
) -> None:
    assert set(households_for(dinsos_manager)) == {manggar_household, damai_household}


def test_a_user_without_areas_sees_nothing(
    partner: User, manggar_household: Household, damai_household: Household
) -> None:
    assert not households_for(partner).exists()
    assert summary_by_kelurahan(partner) == []


def test_the_household_list_page_hides_other_kelurahan(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    manggar_household: Household,
    damai_household: Household,
) -> None:
    page = client_for(operator_manggar).get(reverse("registry:household_list")).content.decode()
    assert manggar_household.kk_number in page
    assert damai_household.kk_number not in page


def test_searching_for_a_damai_nik_from_manggar_finds_nothing(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    damai_household: Household,
) -> None:
    nik = damai_household.members.first().nik  # type: ignore[union-attr]
    page = client_for(operator_manggar).get(reverse("registry:household_list"), {"q": nik}).content.decode()
    assert damai_household.kk_number not in page


def test_the_detail_page_of_a_damai_household_is_not_found_for_manggar(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    damai_household: Household,
) -> None:
    response = client_for(operator_manggar).get(reverse("registry:household_detail", args=[damai_household.pk]))
    assert response.status_code == 404


def test_revealing_a_damai_nik_from_manggar_is_not_found(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    damai_household: Household,
) -> None:
    member = damai_household.members.first()
    url = reverse("registry:reveal_nik", args=[damai_household.pk, member.pk])  # type: ignore[union-attr]
    response = client_for(operator_manggar).post(url)
    assert response.status_code == 404
    assert member.nik.encode() not in response.content  # type: ignore[union-attr]


def test_the_api_lists_and_shows_only_own_area_households(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    manggar_household: Household,
    damai_household: Household,
) -> None:
    client = client_for(operator_manggar)
    listing = client.get("/api/v1/households").json()
    assert [h["kk_number"] for h in listing["results"]] == [manggar_household.kk_number]
    assert client.get(f"/api/v1/households/{damai_household.pk}").status_code == 404
    detail = client.get(f"/api/v1/households/{manggar_household.pk}").json()
    assert len(detail["members"]) == 3
    assert all("•" in m["nik_masked"] for m in detail["members"])


def test_the_api_refuses_anonymous_callers(manggar_household: Household) -> None:
    assert Client().get("/api/v1/households").status_code == 401


def test_the_export_contains_only_own_area_households(
    operator_manggar: User,
    manggar_household: Household,
    damai_household: Household,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    job = jobqueue.submit(kind="registry.export", params={}, actor=operator_manggar)
    job = jobqueue.execute(job.pk)
    assert job.status == job.Status.SUCCEEDED, job.error
    rows = list(csv.DictReader(io.StringIO(job.result_file.read().decode())))
    assert {r["kk_number"] for r in rows} == {manggar_household.kk_number}
    assert len(rows) == 3  # one row per member


def test_the_home_summary_counts_only_own_areas(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    manggar_household: Household,
    damai_household: Household,
) -> None:
    response = client_for(operator_manggar).get(reverse("home"))
    assert [k["name"] for k in response.context["kecamatan"]] == ["Balikpapan Timur"]
    assert response.context["total_households"] == 1
    assert response.context["total_people"] == 3


def test_a_tkpk_analyst_sees_city_figures_but_not_names(
    client_for: Callable[[User], Client],
    tkpk_analyst: User,
    manggar_household: Household,
    damai_household: Household,
) -> None:
    client = client_for(tkpk_analyst)
    home = client.get(reverse("home"))
    assert home.context["total_households"] == 2
    assert client.get(reverse("registry:household_list")).status_code == 403
    assert client.get(f"/api/v1/households/{manggar_household.pk}").status_code == 404


def test_a_job_of_another_user_cannot_be_seen_or_downloaded(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    operator_damai: User,
    damai_household: Household,
) -> None:
    job = jobqueue.execute(jobqueue.submit(kind="registry.export", params={}, actor=operator_damai).pk)
    client = client_for(operator_manggar)
    assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404
    assert client.get(f"/api/v1/jobs/{job.pk}").status_code == 404
