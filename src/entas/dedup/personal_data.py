"""What deduplication holds about a person, for the access report and retention (entas.core.personaldata)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import REDACTED_KEY, model_provider, purger

model_provider(
    "dedup.merge",
    _("Deduplication: records merged"),
    "dedup.MemberMerge",
    member="survivor",
    fields=["survivor", "merged", "reason", "merged_at", "unmerged_at"],
    order=15,
)

BATCH = 2000


def redacted_snapshot(snapshot: Any, on: dt.date) -> dict[str, Any]:
    """What a merge's snapshot keeps once anonymised: how much the merge moved (for the statistics of
    deduplication), no longer what (the households, relationships, scheme flags, the reason and date
    a record had left). Built from an allow-list: any other key a snapshot holds (a name, a NIK, an
    address) goes too."""
    snapshot = snapshot if isinstance(snapshot, dict) else {}
    return {
        REDACTED_KEY: True,
        "redacted_on": on.isoformat(),
        "memberships_moved": len(snapshot.get("memberships_moved") or []),
        "memberships_closed": len(snapshot.get("memberships_closed") or []),
    }


def is_redacted(snapshot: Any) -> bool:
    return isinstance(snapshot, dict) and bool(snapshot.get(REDACTED_KEY))


@purger("dedup.merges", order=20)
def purge_merges(before: dt.date, dry_run: bool) -> dict[str, int]:
    """Merges older than the retention period (``merged_at`` before ``before``) whose snapshot is no
    longer needed to undo them: the merge still in force (its tombstone left the registry on the day
    of the merge, so the registry's purger anonymises that record now too), or undone, when one of
    its two people has since left the registry before ``before``. Their snapshot becomes counts only
    (:func:`redacted_snapshot`) and the free-text reason is cleared; who merged, who undid, when, and
    which records and household stay (the audit). Such a merge can no longer be undone
    (entas.dedup.services.unmerge refuses). The reviewers' free-text reasons on candidate pairs of
    members who left before ``before`` are cleared too (the decision stays).

    A recent merge is never touched: its unmerge still restores everything."""
    from .models import DuplicatePair, MemberMerge

    start = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
    gone = Q(merged__exited_on__lt=before) | Q(survivor__exited_on__lt=before)
    merges = (
        MemberMerge.objects.filter(merged_at__lt=start)
        .filter(Q(unmerged_at__isnull=True) | gone)
        .exclude(snapshot__has_key=REDACTED_KEY)
    )
    pairs = (
        DuplicatePair.objects.filter(Q(member_l__exited_on__lt=before) | Q(member_r__exited_on__lt=before))
        .exclude(reason="")
        .order_by()
    )
    if dry_run:
        return {"dedup.merge_snapshots_anonymised": merges.count(), "dedup.pair_reasons_cleared": pairs.count()}
    today = timezone.localdate()
    done = 0
    while True:
        batch = list(merges.order_by("pk").values("pk", "snapshot")[:BATCH])
        if not batch:
            break
        # One UPDATE per distinct redacted snapshot (most merges move one or two memberships).
        groups: dict[str, tuple[dict[str, Any], list[int]]] = {}
        for row in batch:
            redacted = redacted_snapshot(row["snapshot"], today)
            groups.setdefault(json.dumps(redacted, sort_keys=True), (redacted, []))[1].append(row["pk"])
        for redacted, pks in groups.values():
            MemberMerge.objects.filter(pk__in=pks).update(snapshot=redacted, reason="")
        done += len(batch)
    return {"dedup.merge_snapshots_anonymised": done, "dedup.pair_reasons_cleared": pairs.update(reason="")}
