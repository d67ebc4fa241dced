"""Bugs of issue #16 on the registry pages, each with the test that failed on the code before the fix."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core.ids import mask_nik
from entas.core.models import AuditEvent
from entas.registry import services
from entas.registry.models import ChangeRequest, Household, Member
from tests.conftest import MANGGAR


def test_husband_and_wife_of_the_same_serial_get_different_masks() -> None:
    husband, wife = "6471010101800001", "6471014502850001"  # the wife's birth day carries +40
    assert mask_nik(husband) != mask_nik(wife)
    for nik in (husband, wife):
        masked = mask_nik(nik)
        assert masked.startswith("6471") and masked.endswith("0001") and len(masked) == 16
        assert masked.count("•") == 7  # the kecamatan and the birth date stay hidden
    assert "0101" not in mask_nik(husband)[4:12] and "85" not in mask_nik(wife)[4:12]


@pytest.mark.django_db
def test_the_auditor_cannot_download_the_ratified_list(
    households: dict[str, Household], auditor: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(auditor)
    assert client.get(reverse("registry:ratification")).status_code == 403
    for fmt in ("pdf", "xlsx"):
        response = client.get(reverse("registry:ratified_list", args=[MANGGAR, fmt]))
        assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="registry.list_download").exists()


@pytest.mark.django_db
def test_the_change_queue_masks_a_proposed_nik_and_shows_labels(
    households: dict[str, Household], operator_manggar: User, dinsos_manager: User, approver: Client
) -> None:
    nik = "6471015503150001"
    services.request_change(
        actor=operator_manggar,
        household=households["1"],
        kind="add_member",
        payload={"nik": nik, "name": "Bayi Sintetis", "sex": "2", "birth_date": "2015-03-15", "relationship": "3"},
        reason="lahir",
    )
    client = approver
    client.cookies["django_language"] = "id"
    page = client.get(reverse("registry:change_requests")).content.decode()
    assert nik not in page and mask_nik(nik) in page
    assert "Perempuan" in page and "Anak" in page  # labels, not the codes "2" and "3"
    assert "Birth date" not in page and "Tanggal lahir" in page
    # the approver may reveal it to check it against the family card: recorded in the audit trail
    request = ChangeRequest.objects.get()
    response = client.post(reverse("registry:change_request_nik", args=[request.pk]))
    assert nik in response.content.decode()
    event = AuditEvent.objects.get(action="change_request.view_nik")
    assert (event.actor, event.object_repr) == (dinsos_manager, mask_nik(nik))


@pytest.mark.django_db
def test_the_change_history_names_fields_by_label_and_values_readably(
    households: dict[str, Household], child: Member, operator_manggar: User, dinsos_manager: User, approver: Client
) -> None:
    household = households["1"]
    services.update_household(
        actor=operator_manggar, household=household, values={"floor_material": "1"}, expected_version=1
    )
    request = services.request_change(
        actor=operator_manggar,
        household=household,
        kind="remove_member",
        payload={"member_id": child.pk},
        reason="pindah",
    )
    services.decide_change(actor=dinsos_manager, request=request, approve=True)
    response = approver.get(reverse("registry:household_detail", args=[household.pk]))
    history = response.content.decode().split("Change history", 1)[1]
    assert "floor_material" not in history and "Floor material" in history
    assert "Marble/granite" in history  # the label of code 1, not "1"
    # the change request and its approval are in the family's history too
    assert "Remove a member" in history and "Approved" in history
    assert "change_request.approve" not in history and "household.update" not in history


@pytest.mark.django_db
def test_a_nik_typed_with_spaces_is_found(
    households: dict[str, Household], operator_manggar: User, client_for: Callable[[User], Client]
) -> None:
    head = households["1"].members.get(relationship="1")
    spaced = " ".join(head.nik[i : i + 4] for i in range(0, 16, 4))
    response = client_for(operator_manggar).get(reverse("registry:household_list"), {"q": spaced})
    assert [h.pk for h in response.context["page"]] == [households["1"].pk]


@pytest.mark.django_db
def test_search_results_show_the_head_and_the_member_that_matched(
    households: dict[str, Household], operator_manggar: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(operator_manggar)
    page = client.get(reverse("registry:household_list"), {"q": "Andi Sintetis"}).content.decode()
    assert "Budi Sintetis" in page  # the head of the family
    assert "Andi Sintetis" in page  # the member whose name matched
    child = households["1"].members.get(relationship="3")
    page = client.get(reverse("registry:household_list"), {"q": child.nik}).content.decode()
    table = page.split("<table", 1)[1]
    assert "Andi Sintetis" in table and child.nik not in table  # found by NIK, shown masked
    page = client.get(reverse("registry:household_list")).content.decode()
    assert "Budi Sintetis" in page  # every result names its head


@pytest.mark.django_db
def test_ratifying_asks_for_confirmation_naming_what_will_happen(
    households: dict[str, Household], operator_manggar: User, approver: Client
) -> None:
    import datetime as dt

    household = households["1"]
    services.verify_household(actor=operator_manggar, household=household, visit_date=dt.date.today(), confirmed=True)
    client = approver
    response = client.post(reverse("registry:ratification"), {"kelurahan": household.kelurahan_id})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Ratify 1 household of Kelurahan Manggar" in text and "cannot be undone" in text
    household.refresh_from_db()
    assert household.verification_status == "diverifikasi"
    response = client.post(reverse("registry:ratification"), {"kelurahan": household.kelurahan_id, "confirm": "1"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.verification_status == "disahkan"
