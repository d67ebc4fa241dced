"""Correcting a member through a change request, and registering one family on a page (issue #16)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.registry import services
from entas.registry.models import ChangeRequest, Household, KKNumber, Member, Membership
from tests.conftest import DAMAI, MANGGAR
from tests.helpers import english_client
from tests.registry.helpers import make_nik

pytestmark = pytest.mark.django_db


def test_a_correction_is_applied_only_when_a_second_person_approves(
    households: dict[str, Household], child: Member, operator_manggar: User, dinsos_manager: User
) -> None:
    household = households["1"]
    payload = services.correction_payload(
        child, {"name": "Andy Sintetis", "birth_date": dt.date(2010, 3, 11), "difficulty_seeing": "2"}
    )
    request = services.request_change(
        actor=operator_manggar, household=household, kind="correct_member", payload=payload, reason="akta lahir"
    )
    child.refresh_from_db()
    assert child.name == "Andi Sintetis"  # nothing changes before the approval
    with pytest.raises(Refused):
        services.decide_change(actor=operator_manggar, request=request, approve=True)
    services.decide_change(actor=dinsos_manager, request=request, approve=True)
    child.refresh_from_db()
    assert (child.name, child.birth_date, child.difficulty_seeing) == ("Andy Sintetis", dt.date(2010, 3, 11), "2")
    assert child.name_key.startswith("andy")
    event = AuditEvent.objects.get(action="member.correct")
    assert event.before == {"birth_date": "2010-03-10", "difficulty_seeing": "", "name": "Andi Sintetis"}
    assert event.after == {"birth_date": "2010-03-11", "difficulty_seeing": "2", "name": "Andy Sintetis"}


def test_a_correction_must_pass_the_import_rules(
    households: dict[str, Household], child: Member, operator_manggar: User
) -> None:
    future = dt.date.today() + dt.timedelta(days=10)
    other = households["3"].members.first()  # of a family outside the operator's areas
    assert other is not None
    refused = [
        (services.correction_payload(child, {"birth_date": future}), "in the future"),
        ({"member_id": child.pk, "changes": {"nik": "6471010101200009"}}, "cannot be corrected"),
        (services.correction_payload(child, {"name": child.name}), "Nothing to correct"),
        ({"member_id": other.pk, "changes": {"name": "X"}}, "not a current member of this family"),
    ]
    for payload, message in refused:
        with pytest.raises(Refused, match=message):
            services.request_change(
                actor=operator_manggar, household=households["1"], kind="correct_member", payload=payload, reason="x"
            )
    assert not ChangeRequest.objects.exists()


def test_the_correction_page_prefills_the_member_and_asks_only_for_changes(
    households: dict[str, Household],
    child: Member,
    operator_manggar: User,
    approver: Client,
    client_for: Callable[[User], Client],
) -> None:
    household = households["1"]
    client = english_client(client_for, operator_manggar)
    url = reverse("registry:change_request_new", args=[household.pk, "correct_member"])
    chooser = client.get(url).content.decode()  # without a member: whom to correct, each prefilling the form
    assert f'href="?member={child.pk}"' in chooser and child.nik not in chooser
    form = client.get(url, {"member": child.pk}).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data = {
        k: ("unknown" if v == "" and k in {"pregnant", "worked", "needs_caregiver"} else v) for k, v in data.items()
    }
    data.update({"member": child.pk, "reason": "akta"})
    response = client.post(url, data)
    assert response.status_code == 200, response
    assert "Nothing to correct" in str(response.context["form"].errors), response.context["form"].errors
    data.update({"name": "Andy Sintetis", "school_participation": "2"})
    response = client.post(url, data)
    assert response.status_code == 302
    request = ChangeRequest.objects.get()
    assert request.payload["changes"] == {"name": "Andy Sintetis", "school_participation": "2"}
    page = approver.get(reverse("registry:change_requests")).content.decode()
    assert "Andi Sintetis → Andy Sintetis" in page
    assert "NIK encodes" not in page  # the name alone does not touch what the NIK encodes


def test_the_queue_warns_when_a_corrected_birth_date_disagrees_with_the_nik(
    households: dict[str, Household], child: Member, operator_manggar: User, approver: Client
) -> None:
    services.request_change(
        actor=operator_manggar,
        household=households["1"],
        kind="correct_member",
        payload=services.correction_payload(child, {"birth_date": dt.date(2011, 7, 20)}),
        reason="akta",
    )
    page = approver.get(reverse("registry:change_requests")).content.decode()
    assert "differs from the one the NIK encodes" in page and child.nik not in page


def register_data(kelurahan: int, kk: str, people: list[tuple[str, str, str, dt.date, str]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kelurahan": kelurahan,
        "kk_number": kk,
        "address": "Jl. Baru",
        "rt": "003",
        "rw": "004",
        "source": "operator",
        "m-TOTAL_FORMS": 6,
        "m-INITIAL_FORMS": 1,
        "m-MIN_NUM_FORMS": 0,
        "m-MAX_NUM_FORMS": 30,
    }
    for i, (nik, name, sex, birth, relationship) in enumerate(people):
        data.update(
            {
                f"m-{i}-nik": nik,
                f"m-{i}-name": name,
                f"m-{i}-sex": sex,
                f"m-{i}-birth_date": birth.isoformat(),
                f"m-{i}-relationship": relationship,
            }
        )
    return data


def test_one_household_is_registered_on_a_page(
    households: dict[str, Household], operator_manggar: User, client_for: Callable[[User], Client], regions: Any
) -> None:
    client = client_for(operator_manggar)
    url = reverse("registry:register_household")
    assert client.get(url).status_code == 200
    head = make_nik("647101", dt.date(1975, 6, 1), "1", 7001)
    wife = make_nik("647101", dt.date(1978, 2, 3), "2", 7002)
    spaced = " ".join(head[i : i + 4] for i in range(0, 16, 4))
    data = register_data(
        regions[MANGGAR].pk,
        "6471010101207777",
        [
            (spaced, "Joko Sintetis", "1", dt.date(1975, 6, 1), "1"),
            (wife, "Ani Sintetis", "2", dt.date(1978, 2, 3), "2"),
        ],
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    household = Household.objects.get(kk_number="6471010101207777")
    assert household.verification_status == "usulan" and household.rt == "003"
    assert sorted(household.members.values_list("nik", flat=True)) == sorted([head, wife])
    assert Membership.objects.filter(household=household, end_date__isnull=True).count() == 2
    assert KKNumber.objects.filter(household=household).count() == 1
    assert AuditEvent.objects.filter(action="household.register", object_id=str(household.pk)).exists()
    assert Member.objects.get(nik=head).name_key
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert "Keluarga didaftarkan" in page and "household.register" not in page


def test_registration_applies_the_import_rules_and_says_where(
    households: dict[str, Household], operator_manggar: User, client_for: Callable[[User], Client], regions: Any
) -> None:
    client = english_client(client_for, operator_manggar)
    url = reverse("registry:register_household")
    head = make_nik("647101", dt.date(1975, 6, 1), "1", 7001)
    # two heads
    data = register_data(
        regions[MANGGAR].pk,
        "6471010101207777",
        [
            (head, "Joko", "1", dt.date(1975, 6, 1), "1"),
            (make_nik("647101", dt.date(1978, 2, 3), "2", 7002), "Ani", "2", dt.date(1978, 2, 3), "1"),
        ],
    )
    response = client.post(url, data)
    assert response.status_code == 200 and "2 heads" in response.content.decode()
    # a KK number already registered (in the user's areas: named)
    data = register_data(regions[MANGGAR].pk, "6471010101200001", [(head, "Joko", "1", dt.date(1975, 6, 1), "1")])
    assert "already registered" in client.post(url, data).content.decode()
    # a NIK held by a family outside the user's areas: said without naming it, and audited
    damai_nik = households["3"].members.first().nik  # type: ignore[union-attr]
    data = register_data(regions[MANGGAR].pk, "6471010101207778", [(damai_nik, "Joko", "1", dt.date(1980, 1, 1), "1")])
    page = client.post(url, data).content.decode()
    assert "outside your areas" in page and "6471060101200003" not in page
    assert AuditEvent.objects.filter(action="registry.lookup_outside_area").exists()
    # a kelurahan outside the user's areas is not offered
    data = register_data(regions[DAMAI].pk, "6471060101207779", [(head, "Joko", "1", dt.date(1975, 6, 1), "1")])
    assert client.post(url, data).status_code == 200
    assert Household.objects.count() == len(households)


# -- deciding a change request: a confirmation that names what will change ------------------------


def test_approving_asks_for_confirmation_naming_the_change_and_applies_it_only_then(
    correction: ChangeRequest, child: Member, approver: Client, dinsos_manager: User
) -> None:
    url = reverse("registry:change_request_decide", args=[correction.pk])
    response = approver.post(url, {"decision": "approve", "note": "akta diperiksa"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Approving applies “Correct a member&#x27;s details” to the family of KK 6471010101200001 at once" in page
    assert "Andi Sintetis → Andy Sintetis" in page and "akta lahir" in page  # what changes, and why
    assert child.nik not in page  # the member is named with a masked NIK
    assert 'name="confirm" value="1"' in page and 'value="akta diperiksa"' in page  # the note is carried over
    correction.refresh_from_db()
    child.refresh_from_db()
    assert correction.status == ChangeRequest.Status.PENDING and child.name == "Andi Sintetis"  # nothing yet
    response = approver.post(url, {"decision": "approve", "note": "akta diperiksa", "confirm": "1"})
    assert response.status_code == 302
    correction.refresh_from_db()
    child.refresh_from_db()
    assert (correction.status, correction.decided_by, correction.decision_note) == (
        ChangeRequest.Status.APPLIED,
        dinsos_manager,
        "akta diperiksa",
    )
    assert child.name == "Andy Sintetis"


def test_rejecting_asks_for_confirmation_and_changes_nothing_in_the_family(
    correction: ChangeRequest, child: Member, approver: Client
) -> None:
    url = reverse("registry:change_request_decide", args=[correction.pk])
    page = approver.post(url, {"decision": "reject"}).content.decode()
    assert (
        "Rejecting closes the request “Correct a member&#x27;s details” for the family of KK 6471010101200001" in page
    )
    assert "Yes: Reject the change" in page and "Andi Sintetis → Andy Sintetis" in page
    correction.refresh_from_db()
    assert correction.status == ChangeRequest.Status.PENDING
    assert approver.post(url, {"decision": "reject", "confirm": "1"}).status_code == 302
    correction.refresh_from_db()
    child.refresh_from_db()
    assert correction.status == ChangeRequest.Status.REJECTED and child.name == "Andi Sintetis"


def test_the_confirmation_of_a_decided_request_says_so_and_offers_no_button(
    correction: ChangeRequest, approver: Client, dinsos_manager: User
) -> None:
    services.decide_change(actor=dinsos_manager, request=correction, approve=False)
    page = approver.post(reverse("registry:change_request_decide", args=[correction.pk]), {"decision": "approve"})
    text = page.content.decode()
    assert page.status_code == 200 and "This request was already decided." in text
    assert 'name="confirm"' not in text
    correction.refresh_from_db()
    assert correction.status == ChangeRequest.Status.REJECTED


def test_the_confirmation_speaks_indonesian(correction: ChangeRequest, approver: Client) -> None:
    approver.cookies["django_language"] = "id"
    page = approver.post(reverse("registry:change_request_decide", args=[correction.pk]), {"decision": "approve"})
    text = page.content.decode()
    assert "Ya: Setujui perubahan" in text and "Andi Sintetis → Andy Sintetis" in text
    assert "Approving" not in text
