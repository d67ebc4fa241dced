"""Eligibility rules and previews over the API (issue #26), with the rule editor's roles."""

from __future__ import annotations

from typing import Any

import pytest

from entas.accounts import tokens
from entas.accounts.models import User
from tests.conftest import MANGGAR, make_household

pytestmark = pytest.mark.django_db


def _bearer(user: User, scope: str) -> dict[str, str]:
    secret = tokens.create_token(actor=user, user=user, name="t", scopes=scope).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_save_list_and_preview_a_rule(client: Any, regions: Any, dinsos_manager: User, tkpk_analyst: User) -> None:
    make_household(regions[MANGGAR], "6471010101200001")
    manager = _bearer(dinsos_manager, "targeting:write")
    bad = client.post(
        "/api/v1/targeting/rules", {"name": "PKH", "expression": "size >"}, content_type="application/json", **manager
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_rule" and bad.json()["field"] == "expression"
    saved = client.post(
        "/api/v1/targeting/rules",
        {"name": "PKH", "expression": "size >= 3", "benefit": 300000},
        content_type="application/json",
        **manager,
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["versions"] == 1
    assert [r["name"] for r in client.get("/api/v1/targeting/rules", **manager).json()] == ["PKH"]

    analyst = _bearer(tkpk_analyst, "targeting:read")
    answer = client.get("/api/v1/targeting/preview?expression=size%20%3E%3D%203&benefit=100", **analyst)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["households"] == 1 and body["selected_households"] == 1 and body["cost_per_month"] == 100
    # an analyst reads rules but cannot save one
    refused = client.post(
        "/api/v1/targeting/rules", {"name": "X", "expression": "size >= 1"}, content_type="application/json", **analyst
    )
    assert refused.status_code == 403
