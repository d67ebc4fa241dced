"""Deduplication services: train a model, run it over the registry or a kelurahan, review pairs,
merge and unmerge members, and tell cycle preparation which households have an open duplicate.

Every decision is taken by a person, with a reason, and audited; the model only proposes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.accounts.scoping import area_codes, can_act_in
from entas.core import audit
from entas.core.errors import Refused
from entas.core.services import service
from entas.regions.models import Region
from entas.registry.models import Household, Member, Membership

from . import linkage, selectors
from .models import DedupRun, DuplicatePair, LinkageModel, MemberMerge
from .personal_data import is_redacted

Log = Callable[[str], None]


def review_threshold() -> float:
    return float(getattr(settings, "ENTAS_DEDUP_REVIEW_THRESHOLD", 0.5))


def auto_link_threshold() -> float:
    return float(getattr(settings, "ENTAS_DEDUP_AUTO_LINK_THRESHOLD", 0.99))


def _require(actor: User | None, capability: Capability) -> None:
    if actor is not None and not actor.can(capability):
        raise Refused(_("You are not allowed to do this."), code="forbidden")


# The fewest members a registry trains its own model on: below it, too few pairs even for u.
MIN_MEMBERS = 1000


def train(
    *,
    actor: User | None,
    db_api: Any = None,
    log: Log | None = None,
    table: Any = None,
    default: bool = False,
    backend: str | None = None,
) -> LinkageModel:
    """Train a new model version on the whole registry (EM needs the city's duplicates to learn from).
    ``table``: the registry's linkage table when the caller has already read it. ``default``: use the
    default model shipped with entas instead (its m and u, this registry's prior), for a registry too
    small to learn from. A registry with too few duplicates for EM takes the default model's m
    probabilities on its own (see :func:`linkage.train` and :func:`training_note`). ``backend``: the
    engine splink runs on (``duckdb`` or ``spark``; default ``ENTAS_DEDUP_BACKEND``), unless ``db_api``
    is given."""
    _require(actor, Capability.APPROVE_REGISTRY)
    say = log or (lambda _m: None)
    start = time.perf_counter()
    if table is None:
        table = linkage.member_frame(selectors.member_records())
        say(_("%(n)d members read") % {"n": table.num_rows})
    members = table.num_rows
    if members < 2:
        raise Refused(_("The registry holds no members to compare yet: import the registry first."))
    db_api = db_api or _database_api(backend)
    if default:
        trained = linkage.use_default(table, db_api=db_api, log=say)
    elif members < MIN_MEMBERS:
        raise Refused(
            _(
                "The registry holds %(n)d members: too few to learn a linkage model from (training needs at "
                "least %(min)s). Use the default model shipped with entas instead: “entas dedup train "
                "--default”, or “Use the default model” on the linkage model page (Dinas Sosial)."
            )
            % {"n": members, "min": number_format(MIN_MEMBERS, force_grouping=True)}
        )
    else:
        trained = linkage.train(table, db_api=db_api, log=say)
    chart = trained.linker.visualisations.match_weights_chart().chart_dict
    version = (LinkageModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    model = LinkageModel.objects.create(
        version=version,
        splink_model=trained.model,
        training={
            "members": members,
            "seconds": round(time.perf_counter() - start, 1),
            "prior": trained.model.get("probability_two_random_records_match"),
            "backend": _backend_name(db_api),
            **trained.summary,
        },
        match_weights_chart=chart,
        trained_by=actor,
    )
    audit.record(actor=actor, action="dedup.train", obj=model, after=model.training)
    if note := training_note(model):
        say(note)
    return model


def _database_api(backend: str | None) -> Any:
    """splink's database API for ``backend``; a refusal, not a traceback, when Spark is not installed."""
    try:
        return linkage.database_api(backend)
    except (RuntimeError, ValueError) as exc:
        raise Refused(str(exc), code="invalid") from exc


def _backend_name(db_api: Any) -> str:
    """``duckdb`` or ``spark``: the dialect of a splink database API."""
    return str(getattr(db_api, "sql_dialect", None) and db_api.sql_dialect.sql_dialect_str)


def training_note(model: LinkageModel) -> str:
    """What a model's m probabilities were learnt from, when not from this registry by EM."""
    t = model.training
    if t.get("m_source") != "default":
        return ""
    if t.get("reason") == "chosen":
        return _(
            "The default model shipped with entas (v%(v)s, trained on the synthetic city), chosen instead "
            "of learning one, with this registry's prior."
        ) % {"v": t.get("default_model")}
    if t.get("reason") == "few_duplicates":
        return _(
            "Too few duplicates to learn from: %(likely)d pairs share a birth date and a name within one "
            "edit, and about %(chance)s would by chance alone. How duplicates differ (the m probabilities) "
            "comes from the default model v%(v)s; what the records look like by chance (u) and the prior "
            "are this registry's. Train again when the registry has grown."
        ) % {
            "likely": t.get("likely_pairs", 0),
            "chance": f"{t.get('by_chance', 0):.0f}",
            "v": t.get("default_model"),
        }
    return _(
        "Expectation-maximisation found no consistent class of duplicates in this registry. How "
        "duplicates differ (the m probabilities) comes from the default model v%(v)s; what the records "
        "look like by chance (u) and the prior are this registry's."
    ) % {"v": t.get("default_model")}


def _waterfall_keys(record: dict[str, Any]) -> dict[str, Any]:
    """What the waterfall chart needs of a predicted pair: levels and weights, no personal data."""
    return {
        k: v
        for k, v in record.items()
        if k.startswith(("gamma_", "bf_", "mw_")) or k in ("match_weight", "match_probability")
    }


def run(
    *,
    actor: User | None,
    kelurahan: Region | None = None,
    model: LinkageModel | None = None,
    db_api: Any = None,
    backend: str | None = None,
    progress: Callable[[int], None] | None = None,
    log: Log | None = None,
) -> DedupRun:
    """Compare the members of ``kelurahan`` (or the whole registry) and store the candidate pairs at
    or above the review threshold, clustered. Trains a model first when there is none. Earlier pending
    pairs of the same scope are superseded; decisions already taken on a pair carry over. ``backend``:
    the engine splink runs on (``duckdb`` or ``spark``; default ``ENTAS_DEDUP_BACKEND``), unless
    ``db_api`` is given."""
    _require(actor, Capability.CHANGE_REGISTRY)
    if actor is not None:
        city_wide = actor.is_city_wide or any(code.count(".") <= 1 for code in area_codes(actor))
        if kelurahan is None and not city_wide:
            raise Refused(_("Only a city-wide user may run deduplication over the whole registry."))
        if kelurahan is not None and not can_act_in(actor, kelurahan):
            raise Refused(_("Kelurahan %(code)s is outside your areas.") % {"code": kelurahan.code}, code="forbidden")
    say = log or (lambda _m: None)
    step = progress or (lambda _n: None)
    start, started_at = time.perf_counter(), timezone.now()
    table = linkage.member_frame(selectors.member_records(kelurahan))
    say(_("%(n)d members read") % {"n": table.num_rows})
    db_api = db_api or _database_api(backend)
    # The first run trains a model; over the whole registry it trains on the table just read.
    model = (
        model
        or selectors.latest_model()
        or train(actor=None, db_api=db_api, log=say, table=None if kelurahan else table)
    )
    review, auto = review_threshold(), auto_link_threshold()
    step(1)
    records: list[dict[str, Any]] = []
    clusters: dict[int, int] = {}
    if table.num_rows > 1:
        linker = linkage.make_linker(table, model.splink_model, db_api=db_api)
        predicted = linkage.predict(linker, threshold=review)
        records = predicted.as_record_list()
        say(_("%(n)d candidate pairs at or above %(t).2f") % {"n": len(records), "t": review})
        step(1)
        if records:
            clustered = linkage.cluster(linker, predicted, threshold=review)
            for row in clustered.as_record_list():
                clusters[int(row["unique_id"])] = int(row["cluster_id"])
        step(1)
    with transaction.atomic():  # the run and its pairs land together, or not at all
        dedup_run = DedupRun.objects.create(
            model=model,
            kelurahan=kelurahan,
            review_threshold=review,
            auto_link_threshold=auto,
            members=table.num_rows,
            started_by=actor,
            started_at=started_at,
        )
        scope = DuplicatePair.objects.filter(superseded=False, decision__in=["", DuplicatePair.Decision.UNSURE])
        if kelurahan is not None:
            scope = scope.filter(member_l__household__kelurahan=kelurahan, member_r__household__kelurahan=kelurahan)
        scope.exclude(run=dedup_run).update(superseded=True)
        earlier = {
            (p.member_l_id, p.member_r_id): p
            for p in DuplicatePair.objects.filter(decided_at__isnull=False).order_by("decided_at")
        }
        pairs = []
        for r in records:
            left, right = sorted((int(r["unique_id_l"]), int(r["unique_id_r"])))
            before = earlier.get((left, right))
            pairs.append(
                DuplicatePair(
                    run=dedup_run,
                    member_l_id=left,
                    member_r_id=right,
                    probability=float(r["match_probability"]),
                    match_weight=float(r["match_weight"]),
                    cluster=clusters.get(left, left),
                    comparison=_waterfall_keys(r),
                    auto_link=float(r["match_probability"]) >= auto,
                    decision=before.decision if before else "",
                    reason=before.reason if before else "",
                    decided_by_id=before.decided_by_id if before else None,
                    decided_at=before.decided_at if before else None,
                )
            )
        DuplicatePair.objects.bulk_create(pairs, batch_size=5000)
        dedup_run.pairs = len(pairs)
        dedup_run.clusters = len({p.cluster for p in pairs})
        dedup_run.seconds = round(time.perf_counter() - start, 1)
        dedup_run.finished_at = timezone.now()
        dedup_run.save(update_fields=["pairs", "clusters", "seconds", "finished_at"])
        audit.record(
            actor=actor,
            action="dedup.run",
            obj=dedup_run,
            after={"members": dedup_run.members, "pairs": len(pairs), "kelurahan": kelurahan.code if kelurahan else ""},
        )
    step(1)
    return dedup_run


@service
def decide(*, pair: DuplicatePair, decision: str, reason: str, actor: User) -> DuplicatePair:
    """Record a reviewer's decision on a pair (same person, different people, unsure)."""
    _require(actor, Capability.CHANGE_REGISTRY)
    if not selectors.pairs_for(actor).filter(pk=pair.pk).exists():
        raise Refused(_("This pair is outside your areas."), code="forbidden")
    if decision not in (DuplicatePair.Decision.SAME, DuplicatePair.Decision.DIFFERENT, DuplicatePair.Decision.UNSURE):
        raise Refused(_("Unknown decision %(d)r: use same, different or unsure.") % {"d": decision}, code="invalid")
    if not reason.strip():
        raise Refused(_("Give a reason for the decision."), code="invalid")
    before = {"decision": pair.decision, "reason": pair.reason}
    pair.decision, pair.reason = decision, reason.strip()
    pair.decided_by, pair.decided_at = actor, timezone.now()
    pair.save(update_fields=["decision", "reason", "decided_by", "decided_at"])
    audit.record(
        actor=actor, action="dedup.decide", obj=pair, before=before, after={"decision": decision, "reason": pair.reason}
    )
    return pair


# Member-level scheme flags: a merge keeps "yes" from either record (the person did receive it).
_FLAGS = ["receives_pip", "receives_prakerja", "receives_kur", "receives_umi", "employment_insurance"]


def _open_membership(member: Member) -> Membership | None:
    return member.memberships.filter(end_date__isnull=True).first()


@service
def merge(
    *,
    survivor: Member,
    merged: Member,
    actor: User,
    reason: str,
    household: Household | None = None,
    pair: DuplicatePair | None = None,
) -> MemberMerge:
    """Make ``merged`` a tombstone of ``survivor``: its membership history moves to the survivor, the
    scheme flags it carried are kept, and it leaves its family. When the two records sit in two
    different active households, ``household`` says which one is right (the other membership closes)."""
    _require(actor, Capability.APPROVE_REGISTRY)
    survivor = Member.objects.select_for_update().get(pk=survivor.pk)
    merged = Member.objects.select_for_update().get(pk=merged.pk)
    visible = Member.objects.restrict(actor, "approve").filter(pk__in=[survivor.pk, merged.pk])
    if visible.count() != 2:
        raise Refused(_("Both records must be in your areas."))
    if survivor.pk == merged.pk:
        raise Refused(_("A record cannot be merged with itself."))
    if merged.merged_into_id or survivor.merged_into_id:
        raise Refused(_("One of these records has already been merged."))
    if not reason.strip():
        raise Refused(_("Give a reason for the merge."), code="invalid")
    if pair is not None and pair.decision != DuplicatePair.Decision.SAME:
        raise Refused(_("Only a pair decided 'same person' can be merged."))
    two_homes = survivor.household_id != merged.household_id and merged.exited_on is None
    if two_homes and household is None:
        raise Refused(
            _("These records are in two active households (%(a)s and %(b)s): choose which household is right.")
            % {"a": survivor.household.kk_number, "b": merged.household.kk_number}
        )
    keep = household or survivor.household
    if keep.pk not in (survivor.household_id, merged.household_id):
        raise Refused(_("The household kept must be one of the two records' households."))
    today = timezone.localdate()
    moved = list(merged.memberships.values_list("pk", flat=True))
    snapshot: dict[str, Any] = {
        "survivor": {
            "household_id": survivor.household_id,
            "relationship": survivor.relationship,
            **{f: getattr(survivor, f) for f in _FLAGS},
        },
        "merged": {
            "exited_on": merged.exited_on.isoformat() if merged.exited_on else None,
            "exit_reason": merged.exit_reason,
        },
        "memberships_moved": moved,
        "memberships_closed": [],
    }
    # The record whose household is not kept leaves it: its open family membership ends. When that is
    # the survivor, it takes the merged record's place (whose open membership moves to it below).
    leaving = survivor if keep.pk != survivor.household_id else merged
    current = _open_membership(leaving)
    if current is not None:
        current.end_date = today
        current.save(update_fields=["end_date"])
        snapshot["memberships_closed"].append(current.pk)
    if leaving is survivor:
        survivor.household = keep
        survivor.relationship = merged.relationship
    Membership.objects.filter(pk__in=moved).update(member=survivor)
    for f in _FLAGS:
        if getattr(merged, f):
            setattr(survivor, f, True)
    survivor.updated_at = timezone.now()
    survivor.save()
    merged.merged_into = survivor
    merged.exited_on = today
    merged.exit_reason = _("merged into record %(id)d (duplicate)") % {"id": survivor.pk}
    merged.updated_at = timezone.now()
    merged.save(update_fields=["merged_into", "exited_on", "exit_reason", "updated_at"])
    record = MemberMerge.objects.create(
        survivor=survivor,
        merged=merged,
        pair=pair,
        household_kept=keep,
        reason=reason.strip(),
        snapshot=snapshot,
        merged_by=actor,
    )
    audit.record(
        actor=actor,
        action="dedup.merge",
        obj=record,
        after={"survivor": survivor.pk, "merged": merged.pk, "household_kept": keep.kk_number, "reason": record.reason},
    )
    return record


@service
def unmerge(*, merge_record: MemberMerge, actor: User, reason: str) -> MemberMerge:
    """Undo a merge: both records come back as they were, with their memberships."""
    _require(actor, Capability.APPROVE_REGISTRY)
    record = MemberMerge.objects.select_for_update().get(pk=merge_record.pk)
    if not MemberMerge.objects.restrict(actor, "approve").filter(pk=record.pk).exists():
        raise Refused(_("Both records of this merge must be in your areas."), code="forbidden")
    if record.unmerged_at is not None:
        raise Refused(_("This merge has already been undone."))
    if is_redacted(record.snapshot):
        raise Refused(
            _(
                "This merge is older than the retention period: what it changed has been anonymised, so it "
                "can no longer be undone. Correct the two records by hand."
            )
        )
    if not reason.strip():
        raise Refused(_("Give a reason for undoing the merge."), code="invalid")
    survivor = Member.objects.select_for_update().get(pk=record.survivor_id)
    merged = Member.objects.select_for_update().get(pk=record.merged_id)
    snap = record.snapshot
    Membership.objects.filter(pk__in=snap["memberships_moved"]).update(member=merged)
    Membership.objects.filter(pk__in=snap["memberships_closed"]).update(end_date=None)
    s = snap["survivor"]
    survivor.household_id = s["household_id"]
    survivor.relationship = s["relationship"]
    for f in _FLAGS:
        setattr(survivor, f, s[f])
    survivor.updated_at = timezone.now()
    survivor.save()
    merged.merged_into = None
    exited_on = snap["merged"]["exited_on"]
    merged.exited_on = dt.date.fromisoformat(exited_on) if exited_on else None
    merged.exit_reason = snap["merged"]["exit_reason"]
    merged.updated_at = timezone.now()
    merged.save(update_fields=["merged_into", "exited_on", "exit_reason", "updated_at"])
    record.unmerged_by, record.unmerged_at = actor, timezone.now()
    record.save(update_fields=["unmerged_by", "unmerged_at"])
    audit.record(
        actor=actor,
        action="dedup.unmerge",
        obj=record,
        after={"survivor": survivor.pk, "merged": merged.pk, "reason": reason},
    )
    return record
