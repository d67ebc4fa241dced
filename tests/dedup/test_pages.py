"""The duplicate pages: the queue, the side-by-side pair with its decision and merge forms, the
model page, and who may see what."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from entas.accounts.models import User
from entas.core.models import Job
from entas.dedup.models import DuplicatePair, LinkageModel, MemberMerge
from entas.registry.models import Member
from tests.helpers import english_client, make_pair

pytestmark = pytest.mark.django_db


def test_the_queue_lists_open_pairs_of_the_users_areas(
    twins: tuple[Member, Member],
    client_for: Any,
    operator_manggar: User,
    operator_damai: User,
) -> None:
    pair = make_pair(*twins)
    page = english_client(client_for, operator_manggar).get("/dedup/")
    assert page.status_code == 200
    assert f"/dedup/pair/{pair.pk}/" in page.content.decode()
    other = english_client(client_for, operator_damai).get("/dedup/").content.decode()
    assert f"/dedup/pair/{pair.pk}/" not in other and "No open pair" in other
    assert english_client(client_for, operator_damai).get(f"/dedup/pair/{pair.pk}/").status_code == 404


def test_an_empty_queue_says_how_to_start(regions: Any, client_for: Any, operator_manggar: User) -> None:
    text = english_client(client_for, operator_manggar).get("/dedup/").content.decode()
    assert "No deduplication run yet" in text
    assert "No model trained yet" in english_client(client_for, operator_manggar).get("/dedup/model/").content.decode()


def test_starting_a_run_submits_a_job(regions: Any, client_for: Any, operator_manggar: User) -> None:
    from tests.conftest import MANGGAR

    kelurahan = regions[MANGGAR]
    response = english_client(client_for, operator_manggar).post("/dedup/", {"kelurahan": kelurahan.pk})
    job = Job.objects.get()
    assert response.status_code == 302 and job.kind == "dedup.run" and job.params == {"kelurahan": MANGGAR}


def test_deciding_and_merging_from_the_pair_page(
    twins: tuple[Member, Member],
    client_for: Any,
    operator_manggar: User,
    dinsos_manager: User,
) -> None:
    pair = make_pair(*twins)
    operator = english_client(client_for, operator_manggar)
    page = operator.get(f"/dedup/pair/{pair.pk}/").content.decode()
    assert 'class="differs"' in page and "Record the decision" in page and "Merge the records" not in page
    bad = operator.post(f"/dedup/pair/{pair.pk}/", {"decide": "1", "decision": "same", "reason": ""})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
    operator.post(f"/dedup/pair/{pair.pk}/", {"decide": "1", "decision": "same", "reason": "same KTP"})
    pair.refresh_from_db()
    assert pair.decision == DuplicatePair.Decision.SAME
    manager = english_client(client_for, dinsos_manager)
    page = manager.get(f"/dedup/pair/{pair.pk}/").content.decode()
    assert "Merge the records" in page and "The right household" in page
    left = twins[0]
    refused = manager.post(f"/dedup/pair/{pair.pk}/", {"merge": "1", "survivor": left.pk, "reason": "x"})
    assert "This field is required" in refused.content.decode()  # two households: which is right?
    manager.post(
        f"/dedup/pair/{pair.pk}/",
        {
            "merge": "1",
            "confirm": "1",
            "survivor": left.pk,
            "household": left.household_id,
            "reason": "lives with the first KK",
        },
    )
    record = MemberMerge.objects.get()
    assert record.survivor == left and record.household_kept == left.household
    assert "Undo the merge" in manager.get(f"/dedup/pair/{pair.pk}/").content.decode()
    manager.post(f"/dedup/merge/{record.pk}/undo/", {"reason": "wrong"})
    record.refresh_from_db()
    assert record.unmerged_at is not None


def test_the_page_is_in_indonesian_by_default(
    twins: tuple[Member, Member], client_for: Any, operator_manggar: User
) -> None:
    pair = make_pair(*twins)
    client: Client = client_for(operator_manggar)
    text = client.get(f"/dedup/pair/{pair.pk}/").content.decode()
    assert "Kemungkinan duplikat" in text and "Catat keputusan" in text


def test_the_household_page_points_to_an_open_pair(
    twins: tuple[Member, Member], client_for: Any, operator_manggar: User, auditor: User
) -> None:
    pair = make_pair(*twins)
    url = f"/registry/{twins[0].household_id}/"
    assert f"/dedup/pair/{pair.pk}/" in english_client(client_for, operator_manggar).get(url).content.decode()
    assert "/dedup/pair/" not in english_client(client_for, auditor).get(url).content.decode()  # auditors only read


def test_the_queue_over_the_api(
    twins: tuple[Member, Member], client_for: Any, operator_manggar: User, operator_damai: User
) -> None:
    pair = make_pair(*twins)
    client = english_client(client_for, operator_manggar)
    items = client.get("/api/v1/duplicates").json()["results"]
    assert [p["id"] for p in items] == [pair.pk] and "name" not in items[0]
    bad = client.post(
        f"/api/v1/duplicates/{pair.pk}/decision", {"decision": "same", "reason": ""}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "reason" in bad.json()["message"]
    ok = client.post(
        f"/api/v1/duplicates/{pair.pk}/decision",
        {"decision": "different", "reason": "two people"},
        content_type="application/json",
    )
    assert ok.json()["decision"] == "different"
    other = english_client(client_for, operator_damai)
    assert (
        other.post(
            f"/api/v1/duplicates/{pair.pk}/decision",
            {"decision": "same", "reason": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_only_an_approver_of_both_records_can_undo_a_merge(
    twins: tuple[Member, Member], client_for: Any, dinsos_manager: User, make_user: Any
) -> None:
    """Before, an approver of Damai undid a merge of Manggar records by POSTing to its (sequential) id."""
    from entas.accounts.roles import Role
    from entas.core.errors import Refused
    from entas.dedup import services
    from tests.conftest import DAMAI

    pair = make_pair(*twins)
    services.decide(pair=pair, decision="same", reason="sama orang", actor=dinsos_manager)
    left, right = twins
    record = services.merge(
        survivor=left, merged=right, household=left.household, pair=pair, reason="sama orang", actor=dinsos_manager
    )
    damai_approver = make_user("dinsos.damai", Role.DINSOS_MANAGER, [DAMAI])
    response = client_for(damai_approver).post(f"/dedup/merge/{record.pk}/undo/", {"reason": "coba"})
    assert response.status_code == 404
    with pytest.raises(Refused) as refused:
        services.unmerge(merge_record=record, actor=damai_approver, reason="coba")
    assert refused.value.code == "forbidden"
    record.refresh_from_db()
    assert record.unmerged_at is None


def test_an_approver_can_choose_the_default_model_on_the_model_page(
    twins: tuple[Member, Member], client_for: Any, dinsos_manager: User, operator_manggar: User
) -> None:
    operator = english_client(client_for, operator_manggar)
    assert "Use the default model" not in operator.get("/dedup/model/").content.decode()
    assert operator.post("/dedup/model/default/").status_code == 403
    manager = english_client(client_for, dinsos_manager)
    assert "Use the default model" in manager.get("/dedup/model/").content.decode()
    response = manager.post("/dedup/model/default/", follow=True)
    text = response.content.decode()
    assert "Linkage model v1 is the default model shipped with entas" in text
    assert "chosen instead of learning one" in text and "Trained without labels" not in text
    assert LinkageModel.objects.get().training["reason"] == "chosen"


def test_choosing_the_default_model_for_an_empty_registry_says_why_not(
    regions: Any, client_for: Any, dinsos_manager: User
) -> None:
    text = english_client(client_for, dinsos_manager).post("/dedup/model/default/", follow=True).content.decode()
    assert "no members to compare" in text and not LinkageModel.objects.exists()


def test_a_merge_is_confirmed_first_naming_what_will_happen(
    twins: tuple[Member, Member], client_for: Any, dinsos_manager: User
) -> None:
    left, right = twins
    pair = make_pair(left, right)
    DuplicatePair.objects.filter(pk=pair.pk).update(decision=DuplicatePair.Decision.SAME)
    manager = english_client(client_for, dinsos_manager)
    data = {"merge": "1", "survivor": left.pk, "household": right.household_id, "reason": "same KTP"}
    asked = manager.post(f"/dedup/pair/{pair.pk}/", data)
    text = asked.content.decode()
    assert asked.status_code == 200 and not MemberMerge.objects.exists()  # nothing merged yet
    assert "Merge these records?" in text and 'class="danger"' in text
    assert right.name in text and left.name in text and right.household.kk_number in text
    assert 'name="confirm" value="1"' in text and "same KTP" in text
    done = manager.post(f"/dedup/pair/{pair.pk}/", {**data, "confirm": "1"})
    assert done.status_code == 302 and MemberMerge.objects.get().survivor == left
