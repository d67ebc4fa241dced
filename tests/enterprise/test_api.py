"""The enterprise API: scoped reads, the same services for writes, aggregates for analysts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from entas.accounts.models import User
from entas.enterprise import services
from entas.enterprise.models import Group, Repayment

pytestmark = pytest.mark.django_db


def test_the_api_reads_and_writes_through_the_services(
    group: Group,
    officer: User,
    officer_damai: User,
    tkpk_analyst: User,
    client_for: Callable[[User], Client],
) -> None:
    loan = services.record_loan(
        actor=officer,
        group=group,
        reference="DB-API",
        principal=1_200_000,
        term_months=12,
        disbursed_on=dt.date(2026, 1, 1),
    ).obj
    client = client_for(officer)
    listed = client.get("/api/v1/enterprise/groups").json()
    assert [g["name"] for g in listed["results"]] == ["KUBE Amplang"]
    assert listed["results"][0]["kelurahan_code"] == group.kelurahan.code
    assert listed["results"][0]["members"] == 1
    detail = client.get(f"/api/v1/enterprise/groups/{group.pk}").json()
    assert detail["loans"][0]["reference"] == "DB-API"
    payment = {"reference": "TRX-API", "paid_on": "2026-02-01", "amount": 100_000}
    url = f"/api/v1/enterprise/loans/{loan.pk}/repayments"
    first = client.post(url, payment, content_type="application/json").json()
    again = client.post(url, payment, content_type="application/json").json()
    assert (first["outcome"], again["outcome"]) == ("inserted", "unchanged")
    assert Repayment.objects.count() == 1
    report = {"period": "month", "period_start": "2026-01-01", "revenue": -5, "costs": 1}
    refused = client.post(f"/api/v1/enterprise/groups/{group.pk}/reports", report, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["issues"][0]["field"] == "revenue"
    # Another kelurahan: 404; an analyst: aggregates only.
    assert client_for(officer_damai).get(f"/api/v1/enterprise/groups/{group.pk}").status_code == 404
    analyst = client_for(tkpk_analyst)
    assert analyst.get("/api/v1/enterprise/groups").status_code == 403
    assert analyst.get("/api/v1/enterprise/results").json()[0]["groups"] == 1
