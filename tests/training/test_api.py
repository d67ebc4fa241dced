"""Skills training over the API: the same services and scoping as the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from entas.accounts.models import User
from entas.training.models import Cohort
from tests.helpers import english_client
from tests.training.conftest import DAMAI, MANGGAR

pytestmark = pytest.mark.django_db


def test_a_cohort_through_the_api(
    cohort: Cohort, officer: User, add_person: Any, client_for: Any, operator_manggar: User, tkpk_analyst: User
) -> None:
    people = [add_person((MANGGAR, DAMAI)[i % 2], female=i % 2 == 0, desil=1 + i % 3) for i in range(6)]
    client = english_client(client_for, officer)
    listed = client.get("/api/v1/training/cohorts").json()
    assert [c["code"] for c in listed] == [cohort.code] and listed[0]["seats"] == 4
    applied = client.post(
        f"/api/v1/training/cohorts/{cohort.pk}/apply",
        {"rule": "any(members, 18 <= age <= 35)"},
        content_type="application/json",
    ).json()
    assert applied["accepted"] == 6
    selected = client.post(f"/api/v1/training/cohorts/{cohort.pk}/select").json()
    assert selected["selected"] == 4 and len(selected["selected_niks"]) == 4 and selected["waiting"] == 2
    applications = client.get(f"/api/v1/training/cohorts/{cohort.pk}/applications").json()
    assert len(applications) == 6 and all(p.nik not in str(applications) for p in people)  # masked
    operator = english_client(client_for, operator_manggar)
    mine = operator.get(f"/api/v1/training/cohorts/{cohort.pk}/applications").json()
    assert {a["kelurahan"] for a in mine} == {MANGGAR} and len(mine) == 3
    refused = operator.post(f"/api/v1/training/cohorts/{cohort.pk}/select")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    analyst = english_client(client_for, tkpk_analyst)
    assert analyst.get("/api/v1/training/cohorts").status_code == 403
    outcomes = analyst.get("/api/v1/training/outcomes", {"course": cohort.course.code}).json()
    assert outcomes["total"]["selected"] == 4 and outcomes["cohorts"][0]["id"] == cohort.pk
    assert Client().get("/api/v1/training/cohorts").status_code == 401
