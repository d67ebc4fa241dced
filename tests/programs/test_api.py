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
