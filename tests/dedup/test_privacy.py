"""Retention of what deduplication keeps about people (docs/privacy.md, docs/deduplication.md): old
merges lose the snapshot of what they changed and their free-text reasons; recent ones can still be
undone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from entas.accounts.models import User
from entas.core import personaldata
from entas.core.errors import Refused
from entas.dedup import services
from entas.dedup.models import DuplicatePair, MemberMerge
from entas.registry.models import Member, Membership
from tests.helpers import make_pair

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)  # with a year's retention: merges before 2025-06-01 are old
LONG_AGO = dt.date(2024, 3, 1)


def _merge(
    twins: tuple[Member, Member], actor: User, *, reason: str = "Siti Aminah, NIK 6471 entered twice"
) -> MemberMerge:
    survivor, duplicate = twins
    pair = make_pair(survivor, duplicate)
    services.decide(pair=pair, decision="same", reason="same mother Siti, same birth date", actor=actor)
    return services.merge(
        survivor=survivor, merged=duplicate, pair=pair, household=duplicate.household, actor=actor, reason=reason
    )


def _age(record: MemberMerge, on: dt.date) -> None:
    """The merge as if made on ``on``: its date, and its tombstone's exit date (the merge's day)."""
    MemberMerge.objects.filter(pk=record.pk).update(merged_at=timezone.make_aware(dt.datetime.combine(on, dt.time(10))))
    Member.objects.filter(pk=record.merged_id).update(exited_on=on)


def test_the_dedup_purger_is_registered_before_the_registrys() -> None:
    names = personaldata.purgers()
    assert names.index("dedup.merges") < names.index("registry.members")


def test_an_old_merge_keeps_who_and_when_but_loses_what_it_changed_and_cannot_be_undone(
    settings: Any, twins: tuple[Member, Member], dinsos_manager: User
) -> None:
    settings.ENTAS_RETENTION_EXITED_MEMBER_DAYS = 365
    settings.ENTAS_RETENTION_AUDIT_DETAIL_DAYS = 0
    record = _merge(twins, dinsos_manager)
    moved = len(record.snapshot["memberships_moved"])
    _age(record, LONG_AGO)

    dry = personaldata.purge(dry_run=True, today=TODAY)
    assert dry["dedup.merge_snapshots_anonymised"] == 1 and dry["dedup.pair_reasons_cleared"] == 1
    record.refresh_from_db()
    assert "survivor" in record.snapshot and record.reason.startswith("Siti")  # a dry run changes nothing

    done = personaldata.purge(dry_run=False, today=TODAY)
    assert done["dedup.merge_snapshots_anonymised"] == 1 and done["dedup.pair_reasons_cleared"] == 1
    record.refresh_from_db()
    assert record.snapshot["_redacted"] is True
    assert record.snapshot["memberships_moved"] == moved and record.snapshot["memberships_closed"] == 1
    assert set(record.snapshot) == {"_redacted", "redacted_on", "memberships_moved", "memberships_closed"}
    assert record.reason == ""
    # What the audit and the statistics need stays: which records, which household, who and when.
    assert (record.survivor_id, record.merged_id) == (twins[0].pk, twins[1].pk)
    assert record.household_kept_id == twins[1].household_id and record.merged_by == dinsos_manager
    assert record.merged_at.date() == LONG_AGO
    pair = DuplicatePair.objects.get()
    assert pair.reason == "" and pair.decision == "same" and pair.decided_by == dinsos_manager
    # The tombstone itself is anonymised by the registry's purger in the same run.
    assert Member.objects.get(pk=record.merged_id).name == "(anonim)"
    with pytest.raises(Refused, match="retention period"):
        services.unmerge(merge_record=record, actor=dinsos_manager, reason="wrong person")
    # Idempotent.
    again = personaldata.purge(dry_run=False, today=TODAY)
    assert again["dedup.merge_snapshots_anonymised"] == 0 and again["dedup.pair_reasons_cleared"] == 0


def test_a_recent_merge_is_kept_and_can_still_be_undone(
    settings: Any, twins: tuple[Member, Member], dinsos_manager: User
) -> None:
    settings.ENTAS_RETENTION_EXITED_MEMBER_DAYS = 365
    settings.ENTAS_RETENTION_AUDIT_DETAIL_DAYS = 0
    before = {m.pk: (m.household_id, m.relationship, m.receives_pip) for m in twins}
    memberships_before = set(Membership.objects.values_list("pk", "member_id", "household_id", "end_date"))
    record = _merge(twins, dinsos_manager)
    snapshot = record.snapshot
    counts = personaldata.purge(dry_run=False, today=timezone.localdate() + dt.timedelta(days=30))
    assert counts.get("dedup.merge_snapshots_anonymised", 0) == 0
    record.refresh_from_db()
    assert record.snapshot == snapshot and record.reason.startswith("Siti")
    services.unmerge(merge_record=record, actor=dinsos_manager, reason="two people after all")
    survivor, duplicate = (Member.objects.get(pk=m.pk) for m in twins)
    assert {m.pk: (m.household_id, m.relationship, m.receives_pip) for m in (survivor, duplicate)} == before
    assert set(Membership.objects.values_list("pk", "member_id", "household_id", "end_date")) == memberships_before


def test_an_old_merge_undone_between_two_people_still_registered_is_kept(
    settings: Any, twins: tuple[Member, Member], dinsos_manager: User
) -> None:
    """Undone: both records are people in the registry again, not people who left; the purge leaves it.
    Once one of them leaves, past the retention, it goes."""
    settings.ENTAS_RETENTION_EXITED_MEMBER_DAYS = 365
    settings.ENTAS_RETENTION_AUDIT_DETAIL_DAYS = 0
    record = _merge(twins, dinsos_manager)
    services.unmerge(merge_record=record, actor=dinsos_manager, reason="two people")
    MemberMerge.objects.filter(pk=record.pk).update(
        merged_at=timezone.make_aware(dt.datetime.combine(LONG_AGO, dt.time(10)))
    )
    assert personaldata.purge(dry_run=True, today=TODAY)["dedup.merge_snapshots_anonymised"] == 0
    Member.objects.filter(pk=twins[0].pk).update(exited_on=LONG_AGO, exit_reason="meninggal")
    assert personaldata.purge(dry_run=False, today=TODAY)["dedup.merge_snapshots_anonymised"] == 1
    record.refresh_from_db()
    assert record.snapshot["_redacted"] is True and record.unmerged_by == dinsos_manager
