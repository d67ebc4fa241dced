"""Reading deduplication results, always within the user's areas: the reviewer queue, the pairs of a
household's members, the households whose payment an unresolved duplicate holds, and what the pair
page shows (the records side by side, splink's waterfall chart)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from entas.accounts.models import User
from entas.core.spreadsheet import CsvWriter
from entas.regions.models import Region
from entas.registry.models import Member

from . import linkage
from .models import DedupRun, DuplicatePair, LinkageModel, MemberMerge

# Columns of a member read for linkage (and their names in linkage.member_frame's records).
_FIELDS = {
    "id": "id",
    "nik": "nik",
    "name": "name",
    "sex": "sex",
    "birth_date": "birth_date",
    "household__kelurahan__code": "kelurahan",
    "household__rt": "rt",
    "household__rw": "rw",
    "household__address": "address",
    "household_id": "household_id",
}


def _active_members(kelurahan: Region | None) -> Any:
    qs = Member.objects.filter(exited_on__isnull=True, merged_into__isnull=True)
    if kelurahan is not None:
        qs = qs.filter(household__kelurahan=kelurahan)
    return qs


def member_records(kelurahan: Region | None = None) -> Iterator[dict[str, Any]]:
    """The active members (of one kelurahan, or all) as records for :func:`linkage.member_frame`."""
    names = list(_FIELDS.values())
    rows = _active_members(kelurahan).order_by().values_list(*_FIELDS.keys())
    for row in rows.iterator(chunk_size=20_000):
        yield dict(zip(names, row, strict=True))


def latest_model() -> LinkageModel | None:
    return LinkageModel.objects.order_by("-version").first()


def pairs_for(user: User) -> Any:
    """Pairs the user may see: both records in the user's areas (a pair across areas needs both)."""
    return DuplicatePair.objects.restrict(user, "view")


def queue_for(user: User) -> Any:
    """The reviewer queue: current pairs not yet decided (or marked unsure), most likely first."""
    return (
        pairs_for(user)
        .filter(superseded=False, decision__in=["", DuplicatePair.Decision.UNSURE])
        .filter(member_l__merged_into__isnull=True, member_r__merged_into__isnull=True)
        .select_related("member_l__household__kelurahan", "member_r__household__kelurahan", "run")
        .order_by("-probability", "pk")
    )


def open_pairs_by_member(user: User, member_ids: Any) -> dict[int, int]:
    """For the household page: member id → the id of an open pair the user may review."""
    ids = set(member_ids)
    found: dict[int, int] = {}
    # The pairs touching these members first (by their indexes), then the queue's conditions on those
    # alone: in one query SQLite's planner started from the members table and read every member of
    # the city for each household page (a tenth of a second at 160,000 members, growing with the city).
    touching = list(
        DuplicatePair.objects.filter(Q(member_l__in=ids) | Q(member_r__in=ids)).values_list("pk", flat=True)
    )
    if not touching:
        return found
    for pk, left, right in queue_for(user).filter(pk__in=touching).values_list("pk", "member_l", "member_r"):
        for member in (left, right):
            if member in ids:
                found.setdefault(member, pk)
    return found


def households_with_open_duplicates(household_ids: Any = None) -> set[int]:
    """Households (of ``household_ids``, or all) with an active member in a current pair at or above
    its run's review threshold that nobody has resolved: such a household must not be paid until a
    person decides (a duplicate can be paid twice)."""
    open_pairs = DuplicatePair.objects.filter(
        superseded=False,
        decision__in=["", DuplicatePair.Decision.UNSURE, DuplicatePair.Decision.SAME],
        member_l__exited_on__isnull=True,
        member_r__exited_on__isnull=True,
    )
    found: set[int] = set()
    for left, right in open_pairs.values_list("member_l__household_id", "member_r__household_id"):
        found.update((left, right))
    if household_ids is not None:
        found &= set(household_ids)
    return found


def waterfall_spec(pair: DuplicatePair) -> dict[str, Any]:
    """splink's waterfall chart for one pair: how each comparison moved the match weight."""
    linker = linkage.make_linker(linkage.member_frame([]), pair.run.model.splink_model)
    chart = linker.visualisations.waterfall_chart([pair.comparison], remove_sensitive_data=True)
    spec = dict(chart.chart_dict)
    for param in spec.get("params", []):
        param.pop("bind", None)  # one pair per page: no record slider
    return _translated_titles(spec, _waterfall_titles())


def _waterfall_titles() -> dict[str, str]:
    """splink's English chart titles and tooltips, in the user's language."""
    return {
        "Match weights waterfall chart": _("Match weights waterfall chart"),
        "How each comparison contributes to the final match score": _(
            "How each comparison contributes to the final match score"
        ),
        "Comparison column": _("Comparison column"),
        "Value (L)": _("Value (record 1)"),
        "Value (R)": _("Value (record 2)"),
        "Label": _("Comparison level"),
        "SQL condition": _("SQL condition"),
        "Comparison vector value": _("Comparison vector value"),
        "Bayes factor = m/u": _("Bayes factor = m/u"),
        "Match weight = log2(m/u)": _("Match weight = log2(m/u)"),
        "Cumulative match probability": _("Cumulative match probability"),
        "Match weight description": _("Match weight description"),
        "Column": _("Comparison"),
        "Match Weight": _("Match weight"),
        "Probability": _("Probability"),
    }


def _translated_titles(node: Any, titles: dict[str, str]) -> Any:
    """A Vega-Lite spec with its ``title``/``text``/``subtitle`` strings translated (data untouched)."""
    if isinstance(node, list):
        return [_translated_titles(n, titles) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "data" or key == "datasets":
            out[key] = value
        elif key in {"title", "text", "subtitle"} and isinstance(value, str):
            out[key] = str(titles.get(value, value))
        else:
            out[key] = _translated_titles(value, titles)
    return out


def differing_fields(left: Member, right: Member) -> list[tuple[str, Any, Any, bool]]:
    """Label, left value, right value and whether they differ, for the side-by-side review."""
    from entas.core.ids import mask_nik

    def kel(m: Member) -> str:
        return f"{m.household.kelurahan.name} RT {m.household.rt}/RW {m.household.rw}"

    rows = [
        (_("NIK"), mask_nik(left.nik), mask_nik(right.nik), left.nik != right.nik),
        (_("Name"), left.name, right.name, left.name != right.name),
        (_("Sex"), left.get_sex_display(), right.get_sex_display(), left.sex != right.sex),
        (_("Birth date"), left.birth_date, right.birth_date, left.birth_date != right.birth_date),
        (
            _("Relationship to head"),
            left.get_relationship_display(),
            right.get_relationship_display(),
            left.relationship != right.relationship,
        ),
        (_("KK number"), left.household.kk_number, right.household.kk_number, left.household_id != right.household_id),
        (
            _("Address"),
            left.household.address,
            right.household.address,
            left.household.address != right.household.address,
        ),
        (_("Kelurahan, RT/RW"), kel(left), kel(right), kel(left) != kel(right)),
    ]
    return [(str(label), a, b, differ) for label, a, b, differ in rows]


def merges_for(user: User, limit: int = 20) -> Any:
    """The latest merges of records in the user's areas (for approvers, who may undo them)."""
    return (
        MemberMerge.objects.restrict(user, "approve")
        .select_related("survivor", "merged", "merged_by", "unmerged_by")
        .order_by("-merged_at")[:limit]
    )


def merge_for(user: User, pk: int) -> MemberMerge:
    """One merge the user may undo (both records in the user's areas); MemberMerge.DoesNotExist otherwise."""
    return MemberMerge.objects.restrict(user, "approve").get(pk=pk)


def write_pairs_csv(dedup_run: DedupRun, path: Path) -> int:
    """One row per candidate pair: both members' registry ids and NIKs, probability, cluster id."""
    pairs = dedup_run.pair_set.select_related("member_l", "member_r").order_by("cluster", "-probability")
    with path.open("w", newline="", encoding="utf-8") as f:
        w = CsvWriter(f)
        w.writerow(
            [
                "id_l",
                "nik_l",
                "id_r",
                "nik_r",
                "match_probability",
                "match_weight",
                "cluster_id",
                "auto_link",
                "decision",
            ]
        )
        n = 0
        for p in pairs.iterator(chunk_size=5000):
            w.writerow(
                [
                    p.member_l_id,
                    p.member_l.nik,
                    p.member_r_id,
                    p.member_r.nik,
                    f"{p.probability:.6f}",
                    f"{p.match_weight:.3f}",
                    p.cluster,
                    int(p.auto_link),
                    p.decision,
                ]
            )
            n += 1
    return n
