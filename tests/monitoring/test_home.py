"""The home page: each role's work (contributed by the apps through entas.core.home), scoped to the
user's areas, and the key figures for managers."""

from __future__ import annotations

from typing import Any

import pytest

from entas.accounts.models import User
from entas.core import home
from entas.core.models import Job
from entas.programs.models import Cycle
from entas.registry.models import ChangeRequest, Household
from entas.targeting import services as targeting
from tests.conftest import MANGGAR, make_household
from tests.helpers import english_client, make_pair, make_programme

pytestmark = pytest.mark.django_db


def _work(page: Any) -> dict[str, Any]:
    return {str(item.label): item for item in page.context["work"]}


def test_an_approver_sees_the_family_changes_waiting_with_a_link(
    manggar_household: Household, client_for: Any, operator_manggar: User, dinsos_manager: User
) -> None:
    ChangeRequest.objects.create(
        household=manggar_household,
        kind="new_kk",
        payload={"kk_number": "6471010101209999"},
        reason="x",
        requested_by=operator_manggar,
    )
    page = english_client(client_for, dinsos_manager).get("/")
    item = _work(page)["Family changes waiting for your approval"]
    assert item.count == 1 and item.url == "/registry/changes/"
    assert 'href="/registry/changes/"' in page.content.decode()
    own = _work(english_client(client_for, operator_manggar).get("/"))
    assert own["Your change requests waiting for a second person"].count == 1
    assert "Family changes waiting for your approval" not in own  # an operator does not approve


def test_pairs_to_review_are_counted_in_the_users_areas_only(
    regions: Any, client_for: Any, operator_manggar: User, operator_damai: User, tkpk_analyst: User
) -> None:
    one = make_household(regions[MANGGAR], "6471010101200011").members.first()
    other = make_household(regions[MANGGAR], "6471010101200012").members.first()
    make_pair(one, other)
    label = "Possible duplicate people to review"
    assert _work(english_client(client_for, operator_manggar).get("/"))[label].count == 1
    assert _work(english_client(client_for, operator_damai).get("/"))[label].count == 0
    assert label not in _work(english_client(client_for, tkpk_analyst).get("/"))  # analysts see figures only


def test_cycles_waiting_for_approval_and_jobs_running(
    regions: Any, client_for: Any, dinsos_manager: User, make_user: Any
) -> None:
    from entas.accounts.roles import Role

    other = make_user("manajer2", Role.DINSOS_MANAGER, ["64.71"])
    rule = targeting.save_rule(actor=None, name="BLT", expression="dtsen_desil <= 3", benefit=300_000)
    programme = make_programme(rule)
    Cycle.objects.create(programme=programme, number=1, period="2026-12", state="to_approve", prepared_by=other)
    Job.objects.create(kind="registry.export", status=Job.Status.RUNNING, created_by=dinsos_manager)
    page = english_client(client_for, dinsos_manager).get("/")
    work = _work(page)
    assert work["Payment cycles waiting for your approval"].count == 1
    assert work["Background jobs queued or running"].count == 1
    assert _work(english_client(client_for, other).get("/"))["Payment cycles waiting for your approval"].count == 0


def test_managers_see_the_key_figures_and_operators_do_not(
    manggar_household: Household, client_for: Any, dinsos_manager: User, operator_manggar: User
) -> None:
    page = english_client(client_for, dinsos_manager).get("/")
    labels = [str(i.label) for i in page.context["figures"]]
    assert "Poor people" in labels and "Households enrolled in a programme" in labels
    assert any(label.startswith("Paid to households in") for label in labels)
    assert "Key figures for your areas" in page.content.decode()
    assert english_client(client_for, operator_manggar).get("/").context["figures"] == []


def test_an_empty_home_page_says_nothing_waits(regions: Any, client_for: Any, operator_manggar: User) -> None:
    text = english_client(client_for, operator_manggar).get("/").content.decode()
    assert "Nothing waits for you at the moment." in text


def test_an_app_contributes_its_items_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(home, "_CONTRIBUTIONS", {})

    @home.contribute("b.items", order=2)
    def second(user: Any) -> list[home.Item]:
        return [home.Item("Second", 1, "/b/")]

    @home.contribute("a.items", order=1)
    def first(user: Any) -> list[home.Item]:
        return [home.Item("First", 0, "/a/")]

    class Someone:
        is_authenticated = True

    items = home.items_for(Someone())
    assert [i.label for i in items] == ["First", "Second"] and [i.waiting for i in items] == [False, True]
    assert home.items_for(None) == []
