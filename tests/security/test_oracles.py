"""Enumeration oracles: can a user learn whether a NIK or KK number exists outside their areas?

The probe of issue #15 found that an operator of Manggar, proposing to add a member with a Damai
resident's NIK, was told the Damai family's KK number, with no trace, and that 50 guesses in 4 s found
5 of 5 targets; and that the move-member form answered whether any KK exists anywhere. Each test
below replays one such question and checks that the answer for "exists outside your areas" is the
same as for "does not exist" wherever the user has no right to know, and that where the answer must
differ (a NIK cannot be registered twice) it never names the family, is audited and is limited.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.programs.forms import AffectedForm, MemberForm
from entas.regions.models import Region
from entas.registry import services
from entas.registry.importer import import_registry
from entas.registry.models import ChangeRequest, Household, Member
from entas.targeting.forms import OverrideForm
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.helpers import english_client, make_pair
from tests.registry.helpers import make_nik, standard_family, write_csv

pytestmark = pytest.mark.django_db
LOOKUP = "registry.lookup_outside_area"
NOWHERE_KK = "6471010101299999"  # a KK number no family holds


def _newborn(nik: str, birth: dt.date = dt.date(2025, 6, 1)) -> dict[str, Any]:
    return {"nik": nik, "name": "Bayi Sintetis", "sex": "1", "birth_date": birth, "relationship": "3"}


def _unused_nik(serial: int) -> str:
    return make_nik("647101", dt.date(2025, 6, 1), "1", serial)


def _refusal(call: Callable[[], Any]) -> Refused:
    with pytest.raises(Refused) as caught:
        call()
    return caught.value


@pytest.fixture
def limit(settings: Any) -> Callable[[str], None]:
    """Set the limit of answers "registered outside your areas" for one test."""

    def set_limit(spec: str) -> None:
        settings.ENTAS_RATE_LIMITS = {**getattr(settings, "ENTAS_RATE_LIMITS", {}), LOOKUP: spec}

    return set_limit


# -- adding a member: the NIK oracle ------------------------------------------------------------


def test_adding_a_member_with_a_nik_of_another_kelurahan_does_not_name_its_family(
    operator_manggar: User, manggar_household: Household, damai_household: Household
) -> None:
    damai_nik = damai_household.members.first().nik  # type: ignore[union-attr]
    refusal = _refusal(
        lambda: services.request_change(
            actor=operator_manggar,
            household=manggar_household,
            kind="add_member",
            payload=_newborn(damai_nik),
            reason="akta kelahiran",
        )
    )
    assert damai_household.kk_number not in refusal.message
    # The import's answer, word for word.
    assert refusal.message == f"NIK {damai_nik} is already registered in a family outside your areas."
    assert not ChangeRequest.objects.exists()


def test_a_nik_answered_as_registered_outside_the_areas_is_audited_where_it_lives(
    operator_manggar: User, manggar_household: Household, damai_household: Household
) -> None:
    damai_nik = damai_household.members.first().nik  # type: ignore[union-attr]
    _refusal(
        lambda: services.request_change(
            actor=operator_manggar,
            household=manggar_household,
            kind="add_member",
            payload=_newborn(damai_nik),
            reason="akta kelahiran",
        )
    )
    event = AuditEvent.objects.get(action=LOOKUP)
    assert event.actor == operator_manggar
    assert event.region_code == DAMAI  # Damai's auditors see who looked up their residents
    assert event.object_id == str(damai_household.pk)
    assert damai_nik not in str(event.after) and event.after["number"].endswith(damai_nik[-4:])


def test_a_nik_of_the_users_own_areas_is_still_named_with_its_family(
    operator_manggar: User, manggar_household: Household, regions: dict[str, Region]
) -> None:
    other = make_household(regions[MANGGAR], "6471010101200077")
    nik = other.members.first().nik  # type: ignore[union-attr]
    refusal = _refusal(
        lambda: services.request_change(
            actor=operator_manggar,
            household=manggar_household,
            kind="add_member",
            payload=_newborn(nik),
            reason="x",
        )
    )
    assert "KK 6471010101200077" in refusal.message
    assert not AuditEvent.objects.filter(action=LOOKUP).exists()  # nothing outside was looked up


def test_an_invalid_proposal_is_answered_alike_whether_or_not_its_nik_is_registered_elsewhere(
    operator_manggar: User, manggar_household: Household, damai_household: Household
) -> None:
    """The untraced oracle: a wrong guess with a bad birth date answered with the validation error, a
    right one with the family's KK, and neither left a change request or an audit row."""
    future = dt.date.today() + dt.timedelta(days=30)
    answers = []
    for nik in (damai_household.members.first().nik, _unused_nik(9101)):  # type: ignore[union-attr]
        refusal = _refusal(
            lambda nik=nik: services.request_change(
                actor=operator_manggar,
                household=manggar_household,
                kind="add_member",
                payload=_newborn(nik, birth=future),
                reason="x",
            )
        )
        answers.append(refusal.message.replace(nik, "NIK"))
    assert answers[0] == answers[1]
    assert not AuditEvent.objects.filter(action=LOOKUP).exists()


def test_a_new_kk_number_held_by_another_kelurahan_is_answered_without_more_and_audited(
    operator_manggar: User, manggar_household: Household, damai_household: Household
) -> None:
    refusal = _refusal(
        lambda: services.request_change(
            actor=operator_manggar,
            household=manggar_household,
            kind="new_kk",
            payload={"kk_number": damai_household.kk_number},
            reason="KK baru",
        )
    )
    assert refusal.message == f"Family KK {damai_household.kk_number} is registered outside your areas."
    assert AuditEvent.objects.get(action=LOOKUP).region_code == DAMAI


def test_fifty_guesses_find_no_family_and_at_most_the_limit_of_answers(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    manggar_household: Household,
    regions: dict[str, Region],
    limit: Callable[[str], None],
) -> None:
    """The probe: 50 guessed NIKs through the add-member page, 5 of them Damai residents'."""
    limit("3/hour")
    targets = [make_household(regions[DAMAI], f"64710601012000{20 + i}", members=1) for i in range(5)]
    target_niks = {h.members.get().nik: h for h in targets}
    guesses = [_unused_nik(9200 + i) for i in range(50)]
    for position, nik in zip((3, 11, 19, 27, 35), target_niks, strict=True):
        guesses[position] = nik
    client = english_client(client_for, operator_manggar)
    url = reverse("registry:change_request_new", args=[manggar_household.pk, "add_member"])
    answers = []
    for nik in guesses:
        response = client.post(
            url,
            {"nik": nik, "name": "Bayi Sintetis", "sex": "1", "birth_date": "2025-06-01", "relationship": "3"}
            | {"reason": "akta kelahiran"},
        )
        body = response.content.decode()
        assert not any(h.kk_number in body for h in targets)  # no family is ever named
        errors = [str(e) for e in response.context["form"].non_field_errors()] if response.status_code == 200 else []
        answers.append(errors[0].replace(nik, "NIK") if errors else "requested")
    outside = "NIK NIK is already registered in a family outside your areas."
    assert answers.count(outside) == 3
    # From the third such answer on, every guess, registered or not, gets the same refusal: the limit
    # is checked before the lookup, so it tells nothing either.
    third = answers.index(outside, answers.index(outside, answers.index(outside) + 1) + 1)
    later = answers[third + 1 :]
    assert len(set(later)) == 1 and "wait before checking another" in later[0]
    assert AuditEvent.objects.filter(action=LOOKUP, region_code=DAMAI).count() == 3
    assert AuditEvent.objects.filter(action="ratelimit.refused", actor=operator_manggar).count() == len(later)


def test_the_limit_counts_only_the_last_window(
    operator_manggar: User,
    manggar_household: Household,
    damai_household: Household,
    limit: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.utils import timezone

    limit("1/hour")
    damai_niks = list(damai_household.members.values_list("nik", flat=True))

    def propose(nik: str) -> Refused:
        return _refusal(
            lambda: services.request_change(
                actor=operator_manggar,
                household=manggar_household,
                kind="add_member",
                payload=_newborn(nik),
                reason="x",
            )
        )

    assert propose(damai_niks[0]).code == "conflict"
    assert propose(damai_niks[1]).code == "too_many"
    later = timezone.now() + dt.timedelta(minutes=61)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert propose(damai_niks[1]).code == "conflict"


@pytest.mark.django_db(transaction=True)
def test_the_lookup_is_audited_and_counted_even_though_the_request_is_refused(
    operator_manggar: User, manggar_household: Household, damai_household: Household, limit: Callable[[str], None]
) -> None:
    """Committed for real (no test transaction around it): the refusal rolls back nothing it must keep."""
    limit("1/hour")
    nik = damai_household.members.first().nik  # type: ignore[union-attr]
    for expected in ("conflict", "too_many"):
        refusal = _refusal(
            lambda: services.request_change(
                actor=operator_manggar,
                household=manggar_household,
                kind="add_member",
                payload=_newborn(nik),
                reason="x",
            )
        )
        assert refusal.code == expected
    assert AuditEvent.objects.filter(action=LOOKUP).count() == 1
    assert AuditEvent.objects.filter(action="ratelimit.refused").count() == 1


# -- the import ---------------------------------------------------------------------------------


def _family_with(nik: str, kk: str, serial: int) -> list[dict[str, str]]:
    rows = standard_family(MANGGAR, kk, serial=serial)
    rows[-1]["nik"] = nik
    return rows


def test_an_import_answers_outside_your_areas_and_audits_each_answer(
    operator_manggar: User, damai_household: Household, tmp_path: Path
) -> None:
    """A Manggar family with a Damai resident's NIK, and one claiming a Damai family's KK number."""
    nik = damai_household.members.first().nik  # type: ignore[union-attr]
    rows = _family_with(nik, "6471010101200101", 1100) + standard_family(MANGGAR, damai_household.kk_number, 1200)
    summary = import_registry(
        write_csv(tmp_path / "in.csv", rows), actor=operator_manggar, rejection_path=tmp_path / "rejected.csv"
    )
    with (tmp_path / "rejected.csv").open(encoding="utf-8-sig", newline="") as handle:
        reasons = {row["kk_number"]: row["reasons"] for row in csv.DictReader(handle)}
    assert summary.rejected == 6
    assert f"NIK {nik} is already registered in a family outside your areas." in reasons["6471010101200101"]
    assert damai_household.kk_number not in reasons["6471010101200101"]
    assert (
        reasons[damai_household.kk_number] == f"Family KK {damai_household.kk_number} is registered outside your areas."
    )
    events = AuditEvent.objects.filter(action=LOOKUP)
    assert events.count() == 2  # the NIK and the family's KK number
    assert {e.region_code for e in events} == {DAMAI}


def test_an_import_meeting_more_such_numbers_than_the_limit_leaves_stops_without_answering(
    operator_manggar: User, regions: dict[str, Region], tmp_path: Path, limit: Callable[[str], None]
) -> None:
    limit("2/hour")
    rows = standard_family(MANGGAR, "6471010101200109", serial=1290)  # a good family, in the same batch
    for i in range(3):
        target = make_household(regions[DAMAI], f"64710601012000{50 + i}", members=1)
        rows += _family_with(target.members.get().nik, f"64710101012001{10 + i}", 1300 + 10 * i)
    path = write_csv(tmp_path / "in.csv", rows)
    refusal = _refusal(lambda: import_registry(path, actor=operator_manggar, rejection_path=tmp_path / "r.csv"))
    assert refusal.code == "too_many"
    assert not (tmp_path / "r.csv").exists() or "outside your areas" not in (tmp_path / "r.csv").read_text()
    assert not Household.objects.filter(kelurahan__code=MANGGAR).exists()  # the batch was rolled back
    # The lookups happened: counted, so the next import is refused whatever it holds.
    assert AuditEvent.objects.filter(action=LOOKUP).count() == 3
    clean = write_csv(tmp_path / "clean.csv", standard_family(MANGGAR, "6471010101200199", serial=1500))
    again = _refusal(lambda: import_registry(clean, actor=operator_manggar, rejection_path=tmp_path / "r2.csv"))
    assert again.code == "too_many"


def test_a_dry_run_import_counts_like_a_real_one(
    operator_manggar: User, damai_household: Household, tmp_path: Path, limit: Callable[[str], None]
) -> None:
    limit("1/hour")
    nik = damai_household.members.first().nik  # type: ignore[union-attr]
    path = write_csv(tmp_path / "in.csv", _family_with(nik, "6471010101200121", 1600))
    import_registry(path, actor=operator_manggar, rejection_path=tmp_path / "r.csv", dry_run=True)
    assert AuditEvent.objects.filter(action=LOOKUP).count() == 1
    assert _refusal(lambda: import_registry(path, actor=operator_manggar, rejection_path=tmp_path / "r2.csv")).code == (
        "too_many"
    )


# -- moving a member: the KK oracle and the write into another kelurahan ------------------------


def _form_errors(response: Any) -> list[str]:
    return [str(e) for errors in response.context["form"].errors.values() for e in errors]


def test_the_move_form_answers_alike_for_a_family_elsewhere_and_one_that_does_not_exist(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    manggar_household: Household,
    damai_household: Household,
) -> None:
    client = english_client(client_for, operator_manggar)
    url = reverse("registry:change_request_new", args=[manggar_household.pk, "move_member"])
    member = manggar_household.members.filter(relationship="3").first()
    answers = []
    for kk in (damai_household.kk_number, NOWHERE_KK):
        response = client.post(url, {"member": member.pk, "target_kk": kk, "relationship": "8", "reason": "pindah"})
        assert response.status_code == 200
        answers.append([e.replace(kk, "KK") for e in _form_errors(response)])
    assert answers[0] == answers[1] == ["No household with this KK number in your area."]
    assert not ChangeRequest.objects.exists()


def test_a_move_into_a_family_of_another_kelurahan_is_refused_as_if_it_did_not_exist(
    operator_manggar: User, manggar_household: Household, damai_household: Household
) -> None:
    member = manggar_household.members.filter(relationship="3").first()
    answers = []
    for target in (damai_household.pk, 999_999):
        refusal = _refusal(
            lambda target=target: services.request_change(
                actor=operator_manggar,
                household=manggar_household,
                kind="move_member",
                payload={"member_id": member.pk, "target_household_id": target, "relationship": "8"},
                reason="pindah",
            )
        )
        answers.append(refusal.message)
    assert answers[0] == answers[1] == "Choose the family the person moves to."
    assert not ChangeRequest.objects.exists()


@pytest.fixture
def move_across(dinsos_manager: User, manggar_household: Household, damai_household: Household) -> ChangeRequest:
    """A city-wide manager proposes moving a Manggar child into a Damai family."""
    member = manggar_household.members.filter(relationship="3").first()
    return services.request_change(
        actor=dinsos_manager,
        household=manggar_household,
        kind="move_member",
        payload={"member_id": member.pk, "target_household_id": damai_household.pk, "relationship": "8"},
        reason="pindah domisili",
    )


def test_the_approval_page_names_both_families_and_their_kelurahan(
    move_across: ChangeRequest,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
    manggar_household: Household,
    damai_household: Household,
) -> None:
    approver = make_user("dinsos2", Role.DINSOS_MANAGER, ["64.71"])
    page = english_client(client_for, approver).get(reverse("registry:change_requests")).content.decode()
    member = manggar_household.members.filter(relationship="3").first()
    assert f"From family: KK {manggar_household.kk_number} · Manggar" in page
    assert f"To family: KK {damai_household.kk_number} · Damai" in page
    assert f"Member: {member.name} ({member.masked_nik})" in page
    assert "Relationship to the new head: Other" in page
    assert "target_household_id" not in page and "member_id" not in page


def test_a_move_is_decided_only_by_an_approver_of_both_families(
    move_across: ChangeRequest, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    """An approver of Kecamatan Balikpapan Timur (Manggar's) but not of Damai's kecamatan neither sees
    the move nor may decide it."""
    approver = make_user("dinsos.timur", Role.DINSOS_MANAGER, ["64.71.01"])
    page = english_client(client_for, approver).get(reverse("registry:change_requests")).content.decode()
    assert "Move a member" not in page
    refusal = _refusal(lambda: services.decide_change(actor=approver, request=move_across, approve=True))
    assert refusal.code == "forbidden"
    move_across.refresh_from_db()
    assert move_across.status == ChangeRequest.Status.PENDING


# -- the KK look-ups of other pages, search, the API and the duplicate pages ---------------------


@pytest.mark.parametrize("form_class", [OverrideForm, MemberForm, AffectedForm])
def test_the_forms_that_name_a_household_by_kk_answer_alike_outside_and_nowhere(
    form_class: Any, operator_manggar: User, damai_household: Household
) -> None:
    answers = []
    for kk in (damai_household.kk_number, NOWHERE_KK):
        form = form_class({"kk_number": kk}, user=operator_manggar)
        form.is_valid()
        answers.append(form.errors["kk_number"])
    assert answers[0] == answers[1]


def test_search_and_the_api_answer_alike_outside_and_nowhere(
    client_for: Callable[[User], Client], operator_manggar: User, damai_household: Household
) -> None:
    client = english_client(client_for, operator_manggar)
    nik = damai_household.members.first().nik  # type: ignore[union-attr]
    for outside, nowhere in ((nik, _unused_nik(9300)), (damai_household.kk_number, NOWHERE_KK)):
        pages = [client.get(reverse("registry:household_list"), {"q": q}) for q in (outside, nowhere)]
        assert [len(p.context["page"].object_list) for p in pages] == [0, 0]
        api = [client.get("/api/v1/households", {"q": q}).json() for q in (outside, nowhere)]
        assert api[0]["results"] == api[1]["results"] == []
    statuses = [client.get(f"/api/v1/households/{pk}").status_code for pk in (damai_household.pk, 999_999)]
    assert statuses == [404, 404]


def test_a_duplicate_pair_across_areas_is_hidden_like_one_that_does_not_exist(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    manggar_household: Household,
    damai_household: Household,
) -> None:
    pair = make_pair(manggar_household.members.first(), damai_household.members.first())
    client = english_client(client_for, operator_manggar)
    assert [client.get(f"/dedup/pair/{pk}/").status_code for pk in (pair.pk, 999_999)] == [404, 404]
    assert f"/dedup/pair/{pair.pk}/" not in client.get("/dedup/").content.decode()
    decisions = [
        client.post(
            f"/api/v1/duplicates/{pk}/decision",
            {"decision": "same", "reason": "x"},
            content_type="application/json",
        )
        for pk in (pair.pk, 999_999)
    ]
    assert [r.status_code for r in decisions] == [404, 404] and decisions[0].content == decisions[1].content


def test_a_member_is_never_looked_up_for_a_city_wide_user_as_outside(
    dinsos_manager: User, manggar_household: Household, damai_household: Household
) -> None:
    nik = damai_household.members.first().nik  # type: ignore[union-attr]
    refusal = _refusal(
        lambda: services.request_change(
            actor=dinsos_manager,
            household=manggar_household,
            kind="add_member",
            payload=_newborn(nik),
            reason="x",
        )
    )
    assert f"KK {damai_household.kk_number}" in refusal.message  # Damai is within the city
    assert not AuditEvent.objects.filter(action=LOOKUP).exists()
    assert Member.objects.filter(nik=nik).count() == 1


def test_the_answers_come_in_indonesian(
    operator_manggar: User, manggar_household: Household, damai_household: Household
) -> None:
    from django.utils import translation

    nik = damai_household.members.first().nik  # type: ignore[union-attr]
    with translation.override("id"):
        refusal = _refusal(
            lambda: services.request_change(
                actor=operator_manggar,
                household=manggar_household,
                kind="add_member",
                payload=_newborn(nik),
                reason="x",
            )
        )
    assert refusal.message == f"NIK {nik} sudah terdaftar di keluarga di luar wilayah Anda."
