"""Budget realisation entered over the API (issue #26): the same rules as the realisation file, every
row or none."""

from __future__ import annotations

from typing import Any

import pytest

from entas.accounts import tokens
from entas.accounts.models import User
from entas.policy.models import Activity, BudgetMonth, Plan

pytestmark = pytest.mark.django_db


def _post(client: Any, user: User, rows: list[dict[str, Any]]) -> Any:
    secret = tokens.create_token(actor=user, user=user, name="t", scopes="policy:write").secret
    return client.post(
        "/api/v1/policy/realisation", {"rows": rows}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )  # fmt: skip


def test_an_opd_officer_enters_their_own_activities_only(client: Any, plan: Plan, disnaker_officer: User) -> None:
    manual = Activity.objects.filter(realised_from_payments=False).select_related("record__programme", "opd")
    own = manual.filter(opd=disnaker_officer.opd).first()
    other = manual.exclude(opd=disnaker_officer.opd).first()
    assert own is not None and other is not None
    month = f"{own.record.programme.start:%Y-%m}"
    row = {"activity_code": own.code, "month": month, "realised": 1_500_000, "physical": 20}
    answer = _post(client, disnaker_officer, [row])
    assert answer.status_code == 200, answer.content
    counts = answer.json()
    assert counts["inserted"] + counts["updated"] == 1 and counts["unchanged"] == 0
    assert BudgetMonth.objects.get(activity=own, month=own.record.programme.start.replace(day=1)).realised == 1_500_000
    assert _post(client, disnaker_officer, [row]).json() == {"inserted": 0, "updated": 0, "unchanged": 1}
    # Another OPD's activity, a bad month: refused with their row numbers, and nothing written.
    mixed = [
        row | {"realised": 9},
        {"activity_code": other.code, "month": month, "realised": 1},
        {"activity_code": own.code, "month": "2026-13", "realised": 1},
    ]
    refused = _post(client, disnaker_officer, mixed)
    assert refused.status_code == 400
    assert {i["field"] for i in refused.json()["issues"]} == {"rows.1", "rows.2.month"}
    assert BudgetMonth.objects.get(activity=own, month=own.record.programme.start.replace(day=1)).realised == 1_500_000
