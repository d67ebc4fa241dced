"""Cek bansos: what it says, to whom, and that it says nothing about a NIK without its name."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from entas.accounts.models import User
from entas.portal import selectors
from entas.portal.models import Visit
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(regions: dict[str, Any], dinsos_manager: User) -> Any:
    from entas.targeting import services as targeting
    from tests.helpers import make_programme

    household = make_household(regions[MANGGAR], "6471010101200001", members=2)
    rule = targeting.save_rule(actor=dinsos_manager, name="Semua", expression="true", benefit=100_000)
    programme = make_programme(rule, name="BLT Kota")
    programme.enrolments.create(household=household, state="enrolled")
    return household


def _ask(client: Client, nik: str, letters: str, kelurahan: str = MANGGAR) -> Any:
    return client.post(reverse("portal:check"), {"kelurahan": kelurahan, "nik": nik, "letters": letters})


def _body(response: Any) -> str:
    """The page without its CSRF tokens (masked afresh in every answer)."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", text)


def test_the_matching_person_sees_status_and_programmes_only(family: Any) -> None:
    member = family.members.order_by("pk").last()
    response = _ask(Client(), member.nik, member.name[:4])
    text = response.content.decode()
    assert response.status_code == 200 and 'id="check-result"' in text
    assert "BLT Kota" in text
    assert member.nik not in text
    assert not any(m.name in text for m in family.members.all())
    assert family.kk_number not in text


def test_unknown_nik_wrong_name_and_wrong_kelurahan_get_one_answer_at_one_cost(family: Any) -> None:
    member = family.members.order_by("pk").first()
    client = Client()
    answers, costs = [], []
    for nik, letters, kelurahan in [
        ("6471019999999999", member.name[:4], MANGGAR),  # unknown NIK
        (member.nik, "Zzz", MANGGAR),  # wrong name
        (member.nik, member.name[:4], DAMAI),  # another kelurahan
    ]:
        with CaptureQueriesContext(connection) as queries:
            answers.append(_body(_ask(client, nik, letters, kelurahan)))
        costs.append(len(queries))
    assert answers[0] == answers[1] == answers[2]
    assert costs[0] == costs[1] == costs[2]
    assert "BLT Kota" not in answers[0]
    # The selector itself: the same queries for a match and for none.
    with CaptureQueriesContext(connection) as hit:
        assert selectors.status_check(kelurahan_code=MANGGAR, nik=member.nik, letters=member.name[:3])
    with CaptureQueriesContext(connection) as miss:
        assert selectors.status_check(kelurahan_code=MANGGAR, nik="6471019999999999", letters="abc") is None
    assert len(hit) == len(miss)


def test_every_check_is_logged_without_the_nik(family: Any) -> None:
    member = family.members.order_by("pk").first()
    client = Client()
    _ask(client, member.nik, member.name[:4])
    _ask(client, member.nik, "Zzz")
    _ask(client, "12", "abc")  # malformed: counted, not looked up
    visits = list(Visit.objects.filter(action="portal.check").order_by("pk"))
    assert [v.outcome for v in visits] == ["match", "no_match", ""]
    assert visits[0].subject_key == visits[1].subject_key != ""
    stored = " ".join(f"{v.address_key} {v.subject_key}" for v in visits)
    assert member.nik not in stored and "127.0.0.1" not in stored


@override_settings(ENTAS_RATE_LIMITS={"portal.check": "3/hour"})
def test_checks_are_rate_limited_per_address(family: Any) -> None:
    client = Client(REMOTE_ADDR="10.5.5.5")
    statuses = [_ask(client, f"647101999999999{i}", "abc").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    member = family.members.order_by("pk").first()
    limited = _ask(client, member.nik, member.name[:4])
    assert limited.status_code == 429 and "BLT Kota" not in limited.content.decode()
