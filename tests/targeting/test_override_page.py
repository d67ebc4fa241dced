"""The page where an operator records a musyawarah kelurahan's decisions on a rule's list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core.models import AuditEvent
from entas.participation.models import ForumDecision
from entas.registry.models import Household
from entas.targeting import services
from entas.targeting.models import EligibilityRule

pytestmark = pytest.mark.django_db
URL = reverse("targeting:overrides")


@pytest.fixture
def rule(regions: Any) -> EligibilityRule:
    return services.save_rule(actor=None, name="BLT", expression="dtsen_desil <= 3", benefit=300_000)


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    """A signed-in client that asked for the English interface."""

    def make(user: User) -> Client:
        client = client_for(user)
        client.cookies["django_language"] = "en"
        return client

    return make


def decision(rule: EligibilityRule, kk: str, **changes: str) -> dict[str, Any]:
    return {
        "rule": rule.pk,
        "kk_number": kk,
        "action": "add",
        "reason": "janda lansia, tanpa penghasilan",
        "berita_acara": "BA-07/MK/2026",
        "decided_on": "2026-11-20",
        **changes,
    }


def test_an_operator_records_a_decision_and_sees_it_listed(
    rule: EligibilityRule,
    manggar_household: Household,
    operator_manggar: User,
    english: Callable[[User], Client],
) -> None:
    client = english(operator_manggar)
    assert "No decision has been recorded" in client.get(URL).content.decode()
    response = client.post(URL, decision(rule, manggar_household.kk_number))
    assert response.status_code == 302
    saved = ForumDecision.objects.get()  # the one record: the musyawarah's decision
    assert (saved.household, saved.action, saved.recorded_by) == (manggar_household, "add", operator_manggar)
    assert saved.decided_on == dt.date(2026, 11, 20) and saved.forum.kind == "musyawarah"
    assert AuditEvent.objects.filter(action="targeting.community_add").exists()
    page = client.get(URL).content.decode()
    assert "BA-07/MK/2026" in page and manggar_household.kk_number in page
    assert services.rule_overrides(rule) == ({manggar_household.pk}, set())
    # a later musyawarah's decision on the same household and rule replaces the earlier one in the
    # rule's selection; the earlier forum keeps its own decision (its berita acara stands)
    client.post(
        URL, decision(rule, manggar_household.kk_number, action="remove", berita_acara="BA-09", decided_on="2026-11-27")
    )
    assert list(ForumDecision.objects.order_by("pk").values_list("action", "forum__berita_acara")) == [
        ("add", "BA-07/MK/2026"),
        ("remove", "BA-09"),
    ]
    assert services.rule_overrides(rule) == (set(), {manggar_household.pk})


def test_bad_input_is_refused_with_the_reason_and_nothing_is_recorded(
    rule: EligibilityRule,
    manggar_household: Household,
    damai_household: Household,
    operator_manggar: User,
    english: Callable[[User], Client],
) -> None:
    client = english(operator_manggar)
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    cases = [
        (decision(rule, damai_household.kk_number), "No household with this KK number in your area."),
        (decision(rule, "6471010101209999"), "No household with this KK number in your area."),
        (decision(rule, manggar_household.kk_number, reason=""), "This field is required."),
        (decision(rule, manggar_household.kk_number, decided_on=future), "cannot be in the future"),
        (decision(rule, "123"), "at least 16 characters"),
    ]
    for data, message in cases:
        response = client.post(URL, data)
        assert response.status_code == 200 and message in response.content.decode(), message
    assert not ForumDecision.objects.exists()
    client.cookies["django_language"] = "id"
    page = client.post(URL, decision(rule, damai_household.kk_number)).content.decode()
    assert "Tidak ada keluarga dengan nomor KK ini di wilayah Anda." in page


def test_the_page_needs_the_right_to_change_the_registry(
    rule: EligibilityRule, tkpk_analyst: User, auditor: User, client_for: Callable[[User], Client]
) -> None:
    for user in (tkpk_analyst, auditor):
        assert client_for(user).get(URL).status_code == 403
    assert Client().get(URL).status_code == 302  # to the login page


def test_without_a_rule_the_page_says_how_to_make_one(
    operator_manggar: User, english: Callable[[User], Client]
) -> None:
    page = english(operator_manggar).get(URL).content.decode()
    assert "No eligibility rule is saved yet" in page and '<form method="post"' not in page
