"""Programmes and cycles over the API: the same services, roles and maker-checker as the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from entas.accounts.models import User
from entas.programs.models import Programme
from tests.helpers import english_client

pytestmark = pytest.mark.django_db


def test_a_cycle_through_the_api(programme: Programme, dinsos_manager: User, approver: User, client_for: Any) -> None:
    maker, checker = english_client(client_for, dinsos_manager), english_client(client_for, approver)
    listed = maker.get("/api/v1/programmes").json()
    assert [p["name"] for p in listed] == [programme.name]
    enrolled = maker.post(f"/api/v1/programmes/{programme.pk}/enrol").json()
    assert enrolled["total_enrolled"] > 0
    assert (
        maker.get(f"/api/v1/programmes/{programme.pk}").json()["enrolments"]["enrolled"] == enrolled["total_enrolled"]
    )
    created = maker.post(
        f"/api/v1/programmes/{programme.pk}/cycles", {"period": "2026-12"}, content_type="application/json"
    )
    assert created.status_code == 201
    cycle = created.json()["id"]
    prepared = maker.post(f"/api/v1/cycles/{cycle}/prepare").json()
    assert prepared["entitlements"] == prepared["control_count"] > 0
    maker.post(f"/api/v1/cycles/{cycle}/submit")
    refused = maker.post(f"/api/v1/cycles/{cycle}/approve")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert "second person" in refused.json()["message"]
    assert checker.post(f"/api/v1/cycles/{cycle}/approve").json()["state"] == "approved"
    assert maker.post(f"/api/v1/cycles/{cycle}/fly").status_code == 404
    assert maker.get(f"/api/v1/programmes/{programme.pk}/cycles").json()[0]["approved_by"] == approver.username


def test_operators_cannot_use_the_programme_api(programme: Programme, operator_manggar: User, client_for: Any) -> None:
    client = english_client(client_for, operator_manggar)
    assert client.get("/api/v1/programmes").status_code == 403
    assert client.post(f"/api/v1/programmes/{programme.pk}/enrol").status_code == 403
    assert Client().get("/api/v1/programmes").status_code == 401


def test_failed_payments_are_listed_and_the_chosen_ones_retried_through_the_api(
    programme: Programme, dinsos_manager: User, approver: User, client_for: Any
) -> None:
    from entas.payees.models import Payee
    from entas.programs.models import Payment
    from tests.programs.test_programme_pages import _fail, disbursed

    cycle = disbursed(programme, dinsos_manager, approver)
    failed = _fail(cycle, dinsos_manager, failing=3)
    Payee.objects.create(
        household_id=failed[0].entitlement.household_id,
        bank_code="014",
        account_number="0123456789",
        account_holder="X",
    )
    client = english_client(client_for, dinsos_manager)
    listed = client.get(f"/api/v1/cycles/{cycle.pk}/failed-payments?limit=2").json()
    assert listed["count"] == 3 and len(listed["items"]) == 2
    rows = {r["id"]: r for r in listed["items"]}
    assert rows[failed[0].pk]["account"] == "••••••6789" and rows[failed[0].pk]["reason"] == "Rekening ditutup"
    assert "0123456789" not in str(listed)
    assert len(client.get(f"/api/v1/cycles/{cycle.pk}/failed-payments?offset=2").json()["items"]) == 1

    done = client.post(
        f"/api/v1/cycles/{cycle.pk}/retry", {"payments": [failed[0].pk]}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["retried"] == 1 and done.json()["state"] == "disbursed"
    assert Payment.objects.filter(retry_of__in=failed).count() == 1
    nothing = client.post(f"/api/v1/cycles/{cycle.pk}/retry", {"payments": []}, content_type="application/json")
    assert nothing.status_code == 400 and "Choose the failed payments" in nothing.json()["message"]
    misplaced = client.post(f"/api/v1/cycles/{cycle.pk}/close", {"payments": [1]}, content_type="application/json")
    assert (
        misplaced.status_code == 400 and misplaced.json()["message"] == "Only the retry step takes a list of payments."
    )
    garbled = client.post(f"/api/v1/cycles/{cycle.pk}/retry", {"payments": "all"}, content_type="application/json")
    assert garbled.status_code == 400 and garbled.json()["code"] == "invalid"
    assert client.post(f"/api/v1/cycles/{cycle.pk}/retry").json()["retried"] == 2  # no body: all the rest
