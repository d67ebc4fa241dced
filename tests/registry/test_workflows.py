"""Editing with optimistic locking, maker-checker change requests, verification and ratification."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.registry import services
from entas.registry.models import ChangeRequest, Household, KKNumber, Member, Membership
from tests.helpers import pdf_text
from tests.registry.helpers import make_nik

pytestmark = pytest.mark.django_db
MANGGAR, DAMAI = "64.71.01.1001", "64.71.06.1005"


@pytest.fixture
def second_manager(make_user: Callable[..., User]) -> User:
    return make_user("dinsos2", Role.DINSOS_MANAGER, ["64.71"])


def test_an_edit_saves_raises_the_version_and_is_audited(households: dict, operator_manggar: User) -> None:
    household = households["1"]
    services.update_household(
        actor=operator_manggar, household=household, values={"floor_area_m2": 42}, expected_version=1
    )
    household.refresh_from_db()
    assert (household.floor_area_m2, household.version) == (42, 2)
    event = AuditEvent.objects.get(action="household.update")
    assert (event.before, event.after) == ({"floor_area_m2": 36}, {"floor_area_m2": 42})


def test_the_second_of_two_concurrent_edits_gets_a_conflict_not_an_overwrite(
    households: dict, operator_manggar: User, make_user: Callable[..., User]
) -> None:
    colleague = make_user("op.manggar2", Role.OPERATOR, [MANGGAR])
    household = households["1"]
    services.update_household(
        actor=operator_manggar, household=household, values={"floor_area_m2": 40}, expected_version=1
    )
    with pytest.raises(Refused, match="Someone else saved this household") as caught:
        services.update_household(
            actor=colleague, household=household, values={"floor_area_m2": 50}, expected_version=1
        )
    assert caught.value.code == "conflict" and caught.value.status == 409
    household.refresh_from_db()
    assert household.floor_area_m2 == 40


def test_the_edit_page_shows_the_conflict(
    households: dict, client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    household = households["1"]
    client = client_for(operator_manggar)
    client.cookies["django_language"] = "en"
    form = client.get(reverse("registry:household_edit", args=[household.pk])).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update({"floor_area_m2": 44, "version": 1})
    Household.objects.filter(pk=household.pk).update(version=2)  # a colleague saved meanwhile
    response = client.post(reverse("registry:household_edit", args=[household.pk]), data)
    assert response.status_code == 200
    assert "Someone else saved this household" in response.content.decode()
    household.refresh_from_db()
    assert household.floor_area_m2 == 36
    data["version"] = 2
    assert client.post(reverse("registry:household_edit", args=[household.pk]), data).status_code == 302


def test_an_operator_cannot_edit_outside_their_kelurahan(
    households: dict, client_for: Callable[[User], Client], operator_damai: User
) -> None:
    assert (
        client_for(operator_damai).get(reverse("registry:household_edit", args=[households["1"].pk])).status_code == 404
    )
    with pytest.raises(Refused):
        services.update_household(
            actor=operator_damai, household=households["1"], values={"rt": "009"}, expected_version=1
        )


def test_an_edit_with_a_bad_value_is_refused(households: dict, operator_manggar: User) -> None:
    with pytest.raises(Refused, match="RT 'x1' must be digits"):
        services.update_household(
            actor=operator_manggar, household=households["1"], values={"rt": "x1"}, expected_version=1
        )
    with pytest.raises(Refused, match="cannot be edited here"):
        services.update_household(
            actor=operator_manggar, household=households["1"], values={"kk_number": "1"}, expected_version=1
        )


def test_an_edit_or_a_change_request_with_a_control_character_is_refused(
    households: dict, operator_manggar: User
) -> None:
    with pytest.raises(Refused, match="address holds the control character U\\+001B"):
        services.update_household(
            actor=operator_manggar,
            household=households["1"],
            values={"address": "Jl. \x1b[31mMerah"},
            expected_version=1,
        )
    person = {
        "nik": make_nik("647101", dt.date(2025, 6, 1), "2", 9001),
        "name": "Bayi\u202eSintetis",
        "sex": "2",
        "birth_date": dt.date(2025, 6, 1),
        "relationship": "3",
    }
    with pytest.raises(Refused, match="name holds the control character U\\+202E"):
        services.request_change(
            actor=operator_manggar, household=households["1"], kind="add_member", payload=person, reason="Akta"
        )
    assert not ChangeRequest.objects.exists()
    assert not Household.objects.filter(address__contains="\x1b").exists()


def test_the_edit_page_shows_a_control_character_next_to_its_field(
    households: dict, client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    household = households["1"]
    client = client_for(operator_manggar)
    client.cookies["django_language"] = "en"
    form = client.get(reverse("registry:household_edit", args=[household.pk])).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update({"address": "Jl. Mawar\x01", "version": 1})
    response = client.post(reverse("registry:household_edit", args=[household.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["address"] == [
        "address holds the control character U+0001 at position 10; remove it."
    ]


def test_adding_a_member_needs_a_second_person(
    households: dict, operator_manggar: User, dinsos_manager: User, second_manager: User
) -> None:
    household = households["1"]
    baby = {
        "nik": make_nik("647101", dt.date(2025, 6, 1), "2", 9001),
        "name": "Bayi Sintetis",
        "sex": "2",
        "birth_date": dt.date(2025, 6, 1),
        "relationship": "3",
    }
    request = services.request_change(
        actor=dinsos_manager, household=household, kind="add_member", payload=baby, reason="Akta kelahiran 123"
    )
    assert household.members.count() == 3  # nothing applied yet
    with pytest.raises(Refused, match="second person"):
        services.decide_change(actor=dinsos_manager, request=request, approve=True)
    with pytest.raises(Refused, match="may not change"):
        services.decide_change(actor=operator_manggar, request=request, approve=True)  # operators do not approve
    services.decide_change(actor=second_manager, request=request, approve=True, note="ok")
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.APPLIED and request.decided_by == second_manager
    assert household.members.filter(name="Bayi Sintetis").exists()
    assert Membership.objects.filter(member__name="Bayi Sintetis", household=household, end_date__isnull=True).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"change_request.create", "change_request.approve"} <= actions
    with pytest.raises(Refused, match="already decided"):
        services.decide_change(actor=second_manager, request=request, approve=False)


def test_a_request_that_breaks_a_rule_is_refused_when_made(households: dict, operator_manggar: User) -> None:
    second_head = {
        "nik": make_nik("647101", dt.date(1970, 1, 1), "1", 9002),
        "name": "Kepala Kedua",
        "sex": "1",
        "birth_date": dt.date(1970, 1, 1),
        "relationship": "1",
    }
    with pytest.raises(Refused, match="2 heads"):
        services.request_change(
            actor=operator_manggar, household=households["1"], kind="add_member", payload=second_head, reason="x"
        )
    existing = households["2"].members.first()
    duplicate = {
        "nik": existing.nik,
        "name": "X",
        "sex": existing.sex,
        "birth_date": existing.birth_date,
        "relationship": "3",
    }
    with pytest.raises(Refused, match="already registered in family KK 6471010101200002"):
        services.request_change(
            actor=operator_manggar, household=households["1"], kind="add_member", payload=duplicate, reason="x"
        )
    with pytest.raises(Refused, match="reason"):
        services.request_change(
            actor=operator_manggar,
            household=households["1"],
            kind="new_kk",
            payload={"kk_number": "6471010101209999"},
            reason=" ",
        )


def test_removing_moving_and_a_new_kk_are_applied_on_approval(
    households: dict, operator_manggar: User, dinsos_manager: User
) -> None:
    one, two = households["1"], households["2"]
    child = one.members.get(relationship="3")
    spouse = one.members.get(relationship="2")
    for kind, payload in [
        ("remove_member", {"member_id": child.pk}),
        ("move_member", {"member_id": spouse.pk, "target_household_id": two.pk, "relationship": "8"}),
        ("new_kk", {"kk_number": "6471010101209999"}),
    ]:
        request = services.request_change(
            actor=operator_manggar, household=one, kind=kind, payload=payload, reason="berita acara"
        )
        services.decide_change(actor=dinsos_manager, request=request, approve=True)
    child.refresh_from_db()
    spouse.refresh_from_db()
    one.refresh_from_db()
    assert child.exited_on is not None and child.exit_reason == "berita acara"
    assert spouse.household == two and spouse.relationship == "8"
    periods = [(m.household_id, m.end_date is None) for m in Membership.objects.filter(member=spouse).order_by("pk")]
    assert periods == [(one.pk, False), (two.pk, True)]
    assert one.kk_number == "6471010101209999"
    numbers = [(k.kk_number, k.valid_to is None) for k in KKNumber.objects.filter(household=one).order_by("pk")]
    assert numbers == [("6471010101200001", False), ("6471010101209999", True)]
    assert [m.relationship for m in one.members.filter(exited_on__isnull=True)] == ["1"]


def test_the_head_cannot_leave_while_others_remain(households: dict, operator_manggar: User) -> None:
    head = households["1"].members.get(relationship="1")
    with pytest.raises(Refused, match="head of the family cannot leave"):
        services.request_change(
            actor=operator_manggar,
            household=households["1"],
            kind="remove_member",
            payload={"member_id": head.pk},
            reason="x",
        )


def test_the_approval_page_lists_and_decides(
    households: dict, client_for: Callable[[User], Client], operator_manggar: User, dinsos_manager: User
) -> None:
    request = services.request_change(
        actor=operator_manggar,
        household=households["1"],
        kind="new_kk",
        payload={"kk_number": "6471010101209998"},
        reason="KK baru",
    )
    client = client_for(dinsos_manager)
    assert "6471010101209998" in client.get(reverse("registry:change_requests")).content.decode()
    url = reverse("registry:change_request_decide", args=[request.pk])
    assert "6471010101209998" in client.post(url, {"decision": "reject", "note": "no"}).content.decode()  # confirm
    client.post(url, {"decision": "reject", "note": "no", "confirm": "1"})
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.REJECTED
    assert client_for(operator_manggar).get(reverse("registry:change_requests")).status_code == 403


def test_the_change_request_page_creates_a_request(
    households: dict, client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    household = households["1"]
    client = client_for(operator_manggar)
    url = reverse("registry:change_request_new", args=[household.pk, "new_kk"])
    response = client.post(url, {"kk_number": "6471010101209997", "reason": "Dukcapil"})
    assert response.status_code == 302
    assert ChangeRequest.objects.get().payload == {"kk_number": "6471010101209997"}
    assert client.get(reverse("registry:change_request_new", args=[household.pk, "nonsense"])).status_code == 404


def test_verification_and_batch_ratification(
    households: dict, operator_manggar: User, dinsos_manager: User, client_for: Callable[[User], Client]
) -> None:
    today = dt.date.today()
    services.verify_household(actor=operator_manggar, household=households["1"], visit_date=today, confirmed=True)
    with pytest.raises(Refused, match="reason"):
        services.verify_household(actor=operator_manggar, household=households["2"], visit_date=today, confirmed=False)
    services.verify_household(
        actor=operator_manggar, household=households["2"], visit_date=today, confirmed=False, reason="tidak ditemukan"
    )
    with pytest.raises(Refused, match="future"):
        services.verify_household(
            actor=operator_manggar, household=households["1"], visit_date=today + dt.timedelta(days=3), confirmed=True
        )
    with pytest.raises(Refused):
        services.ratify_kelurahan(actor=operator_manggar, kelurahan_id=households["1"].kelurahan_id)
    ids = services.ratify_kelurahan(actor=dinsos_manager, kelurahan_id=households["1"].kelurahan_id)
    assert ids == [households["1"].pk]
    statuses = dict(Household.objects.values_list("kk_number", "verification_status"))
    assert statuses == {"6471010101200001": "disahkan", "6471010101200002": "ditolak", "6471060101200003": "usulan"}
    response = client_for(dinsos_manager).get(reverse("registry:ratified_list", args=[MANGGAR, "xlsx"]))
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body[:2] == b"PK"
    response = client_for(dinsos_manager).get(reverse("registry:ratified_list", args=[MANGGAR, "pdf"]))
    text = pdf_text(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert "(6471010101200001)" in text and "(Kepala Dinas Sosial)" in text and "(Jumlah keluarga: 1)" in text
    assert client_for(dinsos_manager).get(reverse("registry:ratified_list", args=[MANGGAR, "doc"])).status_code == 404
    assert AuditEvent.objects.filter(action="registry.list_download").exists()
    page = client_for(dinsos_manager).get(reverse("registry:ratification")).content.decode()
    assert "Manggar" in page


def test_member_counts_leave_out_people_who_left(
    households: dict, operator_manggar: User, dinsos_manager: User
) -> None:
    from entas.registry.selectors import summary_by_kelurahan

    child = households["1"].members.get(relationship="3")
    request = services.request_change(
        actor=operator_manggar,
        household=households["1"],
        kind="remove_member",
        payload={"member_id": child.pk},
        reason="meninggal",
    )
    services.decide_change(actor=dinsos_manager, request=request, approve=True)
    manggar = next(r for r in summary_by_kelurahan(dinsos_manager) if r["code"] == MANGGAR)
    assert manggar["people"] == 5
    assert Member.objects.filter(exited_on__isnull=True).count() == 8
