"""The eligibility rule pages: the list, the editor with its live preview, versions and history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core.models import AuditEvent
from entas.targeting import services
from entas.targeting.models import EligibilityRule, RuleVersion
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db
PREVIEW = reverse("targeting:rule_preview")


@pytest.fixture
def client_for(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    """Signed-in clients that asked for the English interface."""

    def make(user: User) -> Client:
        client = client_for(user)
        client.cookies["django_language"] = "en"
        return client

    return make


@pytest.fixture
def city(regions: Any) -> None:
    make_household(regions[MANGGAR], "6471010101200001", members=5)
    make_household(regions[MANGGAR], "6471010101200002", members=2)
    make_household(regions[DAMAI], "6471060101200003", members=4)


def test_the_preview_counts_households_people_and_cost_by_kelurahan(
    city: None, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    answer = client_for(tkpk_analyst).get(PREVIEW, {"expression": "size >= 4", "benefit": "300000"}).json()
    assert answer["ok"] and answer["selected_households"] == 2 and answer["selected_people"] == 9
    assert answer["words"] == "family size ≥ 4"
    assert [(r["name"], r["households"], r["people"]) for r in answer["by_kelurahan"]] == [
        ("Manggar", 1, 5),
        ("Damai", 1, 4),
    ]
    assert "600.000" in answer["cost"] or "600,000" in answer["cost"]
    assert answer["errors"] is None  # no survey round loaded


def test_the_preview_gives_the_error_and_its_column(
    city: None, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    answer = client_for(tkpk_analyst).get(PREVIEW, {"expression": "size >= 4 and age < 3"}).json()
    assert answer == {
        "ok": False,
        "message": "'age' is a member field: use it inside count(members, …), any(members, …) …",
        "column": 15,
        "text": "column 15: 'age' is a member field: use it inside count(members, …), any(members, …) …",
    }


def test_a_manager_outside_analytics_previews_only_their_areas(
    city: None, client_for: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    from entas.accounts.roles import Role

    manager = make_user("dinsos.manggar", Role.DINSOS_MANAGER, [MANGGAR])
    answer = client_for(manager).get(PREVIEW, {"expression": "true"}).json()
    assert answer["households"] == 2 and [r["code"] for r in answer["by_kelurahan"]] == [MANGGAR]


def test_saving_adds_a_version_with_who_and_when_and_the_history_shows_them(
    city: None, client_for: Callable[[User], Client], dinsos_manager: User
) -> None:
    client = client_for(dinsos_manager)
    page = client.post(reverse("targeting:rule_new"), {"name": "BLT", "expression": "size >= 4", "benefit": "300000"})
    rule = EligibilityRule.objects.get(name="BLT")
    assert page.status_code == 302 and page["Location"] == reverse("targeting:rule", args=[rule.pk])
    url = reverse("targeting:rule", args=[rule.pk])
    client.post(url, {"name": "BLT", "expression": "size >= 5", "benefit": "300000", "note": "lebih ketat"})
    client.post(url, {"name": "BLT", "expression": "size >= 5", "benefit": "300000"})  # unchanged: no version
    versions = list(
        RuleVersion.objects.filter(rule=rule).values_list("number", "expression", "saved_by__username", "note")
    )
    assert versions == [(2, "size >= 5", "dinsos1", "lebih ketat"), (1, "size >= 4", "dinsos1", "")]
    assert EligibilityRule.objects.get(pk=rule.pk).expression == "size >= 5"
    assert AuditEvent.objects.filter(action="targeting.rule_update", object_id=str(rule.pk)).exists()
    history = client.get(url).content.decode()
    assert "lebih ketat" in history and "family size ≥ 4" in history and "dinsos1" in history
    older = client.get(url, {"version": 1}).content.decode()
    assert "&gt;= 4</textarea>" in older  # the editor starts from the older version


def test_an_invalid_rule_is_not_saved_and_the_error_names_its_column(
    city: None, client_for: Callable[[User], Client], dinsos_manager: User
) -> None:
    page = client_for(dinsos_manager).post(
        reverse("targeting:rule_new"), {"name": "BLT", "expression": "desil <= 4 and", "benefit": "0"}
    )
    assert page.status_code == 200 and "column 15: syntax error" in page.content.decode()
    assert not EligibilityRule.objects.exists()


def test_an_analyst_reads_rules_but_does_not_save_them(
    city: None, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    rule = services.save_rule(actor=None, name="BLT", expression="desil <= 4", benefit=1)
    client = client_for(tkpk_analyst)
    listing = client.get(reverse("targeting:rules")).content.decode()
    assert "desil ≤ 4" in listing and "No PMT model has scored the registry yet" in listing
    assert client.get(reverse("targeting:rule", args=[rule.pk])).status_code == 200
    denied = client.post(reverse("targeting:rule", args=[rule.pk]), {"name": "BLT", "expression": "true", "benefit": 1})
    assert denied.status_code == 403 and RuleVersion.objects.filter(rule=rule).count() == 1


def test_operators_and_partners_do_not_see_rules(
    city: None, client_for: Callable[[User], Client], operator_manggar: User, partner: User
) -> None:
    for user in (operator_manggar, partner):
        client = client_for(user)
        assert client.get(reverse("targeting:rules")).status_code == 403
        assert client.get(PREVIEW, {"expression": "true"}).status_code == 403


def test_the_report_says_no_pmt_model_has_scored_instead_of_an_exclusion_error_of_one(
    city: None, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    from entas.monitoring.models import SurveyRound
    from entas.monitoring.services import DEFAULT_LINES_FILE, load_poverty_lines

    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    SurveyRound.objects.create(name="Susenas", year=2025)
    services.save_rule(actor=None, name="BLT", expression="desil <= 4", benefit=1)
    page = client_for(tkpk_analyst).get(reverse("targeting:report")).content.decode()
    assert "No PMT model has scored the registry yet" in page and reverse("targeting:pmt") in page
    assert "Exclusion error" not in page


def test_a_new_rule_with_the_name_of_another_is_refused(
    city: None, client_for: Callable[[User], Client], dinsos_manager: User
) -> None:
    services.save_rule(actor=None, name="BLT", expression="size >= 4", benefit=1)
    page = client_for(dinsos_manager).post(
        reverse("targeting:rule_new"), {"name": "BLT", "expression": "true", "benefit": "0"}
    )
    assert page.status_code == 200 and "Another rule has this name." in page.content.decode()
    assert EligibilityRule.objects.get().expression == "size >= 4"
