"""Reading the registry, always within the user's areas."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import region_q
from entas.core.bulk import IN_CHUNK
from entas.core.ids import mask_nik
from entas.core.models import Job
from entas.regions.models import Region, RegionLevel

from . import variables
from .choices import Relationship, Sex, VerificationStatus
from .models import ChangeRequest, Household, Member
from .names import name_key, within_one_edit

if TYPE_CHECKING:
    from entas.accounts.models import User


def households_for(user: User) -> QuerySet[Household]:
    """Households the user may see: none without the registry capability, else those in their areas."""
    if not user.is_authenticated or not user.can(Capability.VIEW_REGISTRY):
        return Household.objects.none()
    return Household.objects.filter(region_q(user, "kelurahan")).select_related("kelurahan", "kelurahan__parent")


MIN_KK_PREFIX = 8


@dataclass(frozen=True)
class SearchFilters:
    query: str = ""
    kelurahan: str = ""  # Kemendagri code
    status: str = ""
    max_desil: int | None = None


def _prefix_q(field: str, prefix: str) -> Q:
    """Rows whose ``field`` starts with ``prefix``, as an index range scan on both databases.

    PostgreSQL indexes LIKE 'x%' (Django adds a pattern_ops index); SQLite's LIKE is case-insensitive
    and skips a binary index, so there a range comparison is used instead.
    """
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{field}__startswith": prefix})


NAME_CANDIDATES = 100_000  # per index: a bound for a two-letter prefix, far above any surname's count


def matching_household_ids(query: str, base: QuerySet[Member], limit: int = 500) -> list[int]:
    """Households with a member whose name matches ``query`` allowing one wrong, missing or extra letter.

    One typo leaves either the first or the second half of the name intact, so candidates come
    from two index range scans (the name key's first half, the reversed key's first half) and are
    then compared exactly. A query that is the start of a name (``siti``) also matches.

    The scans read the two name-key indexes alone (each holds the key and the member id: no member,
    household or region row is touched), so every candidate is compared, even for a surname that
    14,000 members of the city share; ``base`` (the user's areas, members not exited) is applied to
    the matches only, a chunk at a time until ``limit`` households are found.
    """
    key = name_key(query)
    if len(key) < 3:
        return []
    # A typo at position p leaves key[:half] intact when p >= half, and key[half:] when p < half
    # (both halves at least two letters: a three-letter key then overlaps, as it always did).
    half = max(2, len(key) // 2)
    tail = key[::-1][: max(half, len(key) - half)]
    matches: dict[int, None] = {}
    for field, prefix, forward in (("name_key", key[:half], True), ("name_key_rev", tail, False)):
        rows = Member.objects.order_by().filter(_prefix_q(field, prefix)).values_list("pk", field)
        for pk, value in rows[:NAME_CANDIDATES]:
            candidate = value if forward else value[::-1]
            if (
                candidate.startswith(key)
                or within_one_edit(key, candidate)
                or within_one_edit(key, candidate[: len(key)])
            ):
                matches[pk] = None
    ids = list(matches)
    found: dict[int, None] = {}
    for start in range(0, len(ids), IN_CHUNK):
        scoped = base.filter(pk__in=ids[start : start + IN_CHUNK]).order_by()
        found.update(dict.fromkeys(scoped.values_list("household_id", flat=True)))
        if len(found) >= limit:
            break
    return list(found)[:limit]


def search_households(user: User, filters: SearchFilters | str = "") -> QuerySet[Household]:
    """Households in the user's areas matching a NIK, a KK number (or its start), a name (typo-tolerant)
    or an address, and the filters."""
    if isinstance(filters, str):
        filters = SearchFilters(query=filters)
    qs = households_for(user)
    if filters.kelurahan:
        qs = qs.filter(kelurahan__code=filters.kelurahan)
    if filters.status:
        qs = qs.filter(verification_status=filters.status)
    if filters.max_desil is not None:
        qs = qs.filter(desil_city__lte=filters.max_desil)
    query = normalise_query(filters.query)
    if query:
        # Each way of matching is a subquery of its own and the household is picked by id from their
        # UNION: an OR of a LIKE with the rest made both databases walk every household of the
        # user's areas (a NIK took 235 ms on PostgreSQL, a name 0.8 s on SQLite; now 5 ms, 0.1 s).
        if query.isdigit():
            # A NIK matches whole; a KK number by its start, from 8 digits (a shorter prefix is only a region).
            matches: QuerySet[Any] = Member.objects.filter(nik=query).order_by().values("household_id")
            if len(query) >= MIN_KK_PREFIX:
                matches = matches.union(Household.objects.filter(_prefix_q("kk_number", query)).order_by().values("pk"))
        else:
            # Scope the members by a join on their kelurahan's code (cheap), not by an IN over the households.
            members = Member.objects.filter(region_q(user, "household__kelurahan"), exited_on__isnull=True)
            if filters.kelurahan:
                members = members.filter(household__kelurahan__code=filters.kelurahan)
            by_name = Household.objects.filter(pk__in=matching_household_ids(query, members)).order_by().values("pk")
            matches = by_name.union(Household.objects.filter(address__icontains=query).order_by().values("pk"))
        qs = qs.filter(pk__in=matches)
    # The size as a correlated subquery, not a GROUP BY: counting a page of results then costs nothing
    # (Django drops unused subquery annotations from count()).
    size = (
        Member.objects.filter(household=OuterRef("pk"), exited_on__isnull=True)
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    head = Member.objects.filter(
        household=OuterRef("pk"), exited_on__isnull=True, relationship=Relationship.HEAD
    ).order_by("pk")
    return qs.annotate(size=Coalesce(Subquery(size), 0), head_name=Subquery(head.values("name")[:1])).order_by(
        "kelurahan__code", "rt", "pk"
    )


_NUMBER = re.compile(r"[\d\s.\-]+")


def normalise_query(query: str) -> str:
    """The search text as matched: a number typed with spaces, dots or dashes (``6471 0101 …``, as
    printed on a KK) loses them; anything else is only trimmed."""
    query = query.strip()
    if _NUMBER.fullmatch(query) and any(ch.isdigit() for ch in query):
        return re.sub(r"\D", "", query)
    return query


def matched_members(households: list[Household], query: str) -> dict[int, list[Member]]:
    """For a page of search results, the members (not the head) whose NIK or name matched ``query``:
    one query over the members of those households; the head is already shown on every row."""
    query = normalise_query(query)
    if not query or not households:
        return {}
    members = Member.objects.filter(household__in=[h.pk for h in households], exited_on__isnull=True).exclude(
        relationship=Relationship.HEAD
    )
    found: dict[int, list[Member]] = {}
    if query.isdigit():
        members = members.filter(nik=query)
    else:
        key = name_key(query)
        if len(key) < 3:
            return {}
        members = [  # type: ignore[assignment]
            m
            for m in members.order_by("household_id", "birth_date")
            if m.name_key.startswith(key)
            or within_one_edit(key, m.name_key)
            or within_one_edit(key, m.name_key[: len(key)])
        ]
    for member in members:
        found.setdefault(member.household_id, []).append(member)
    return found


def household_for(user: User, pk: int) -> Household:
    """One household, or Household.DoesNotExist when it does not exist *or* lies outside the user's
    areas (the two are indistinguishable on purpose: existence is itself personal data).
    """
    return households_for(user).get(pk=pk)


def pending_changes(user: User) -> list[ChangeRequest]:
    """The change requests waiting for ``user``'s decision: of families in their areas and, for a
    move, into a family in their areas too (a move writes into both, so an approver of both decides
    it). Each carries ``details``: (label, value) pairs naming people and families, not ids."""
    return _described(user, list(_pending(user)))


def pending_change(user: User, pk: int) -> ChangeRequest | None:
    """One change request of :func:`pending_changes`, with its ``details`` (None: not one waiting for
    ``user``'s decision: decided already, of a family outside their areas, or a move into one)."""
    change = _pending(user).filter(pk=pk).first()
    described = _described(user, [change]) if change is not None else []
    return described[0] if described else None


def pending_changes_page(user: User, *, after: int = 0, limit: int = 100) -> tuple[list[ChangeRequest], int | None]:
    """One page of :func:`pending_changes`, by id after ``after`` (a keyset: each page costs the same),
    and the id to continue after (None on the last page). A page may hold fewer than ``limit`` when
    moves into families outside ``user``'s areas are left out."""
    rows = list(_pending(user).filter(pk__gt=after).order_by("pk")[: limit + 1])
    following = rows[limit - 1].pk if len(rows) > limit else None
    return _described(user, rows[:limit]), following


def _pending(user: User) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(
        status=ChangeRequest.Status.PENDING, household__in=households_for(user)
    ).select_related("household__kelurahan", "requested_by")


def _described(user: User, pending: list[ChangeRequest]) -> list[ChangeRequest]:
    """``pending`` with their ``details``, less the moves into a family outside ``user``'s areas."""
    Kind = ChangeRequest.Kind
    member_ids = {
        r.payload.get("member_id")
        for r in pending
        if r.kind in {Kind.REMOVE_MEMBER, Kind.MOVE_MEMBER, Kind.CORRECT_MEMBER}
    }
    target_ids = {r.payload.get("target_household_id") for r in pending if r.kind == Kind.MOVE_MEMBER}
    members = Member.objects.in_bulk([i for i in member_ids if isinstance(i, int)])
    targets = households_for(user).in_bulk([i for i in target_ids if isinstance(i, int)])
    shown = []
    for request in pending:
        payload = request.payload
        member = members.get(payload.get("member_id"))
        who = f"{member.name} ({member.masked_nik})" if member is not None else "–"
        details: list[tuple[Any, Any]]
        if request.kind == Kind.ADD_MEMBER:
            birth = payload.get("birth_date", "")
            details = [
                # Masked like every NIK shown without being revealed (entas.core.ids.mask_nik).
                (_("NIK"), mask_nik(str(payload.get("nik", "")))),
                (_("Name"), payload.get("name", "")),
                (_("Sex"), _label(Sex, payload.get("sex"))),
                (_("Birth date"), dt.date.fromisoformat(birth) if isinstance(birth, str) and birth else birth),
                (_("Relationship to head"), _label(Relationship, payload.get("relationship"))),
            ]
        elif request.kind == Kind.REMOVE_MEMBER:
            details = [(_("Member"), who)]
        elif request.kind == Kind.MOVE_MEMBER:
            target = targets.get(payload.get("target_household_id"))
            if target is None:
                continue  # the family it joins is outside this approver's areas: not theirs to decide
            details = [
                (_("Member"), who),
                (_("From family"), f"KK {request.household.kk_number} · {request.household.kelurahan.name}"),
                (_("To family"), f"KK {target.kk_number} · {target.kelurahan.name}"),
                (_("Relationship to the new head"), _label(Relationship, payload.get("relationship"))),
            ]
        elif request.kind == Kind.CORRECT_MEMBER:
            from .history import request_changes

            details = [(_("Member"), who)]
            details += [
                (label, f"{_shown(before)} → {_shown(after)}")
                for label, before, after in request_changes(request, payload)
            ]
            if member is not None:
                details += [(_("Warning"), warning) for warning in _nik_warnings(member, payload)]
        else:
            details = [(_("New KK number"), payload.get("kk_number", ""))]
        request.details = details  # type: ignore[attr-defined]
        shown.append(request)
    return shown


def _nik_warnings(member: Member, payload: dict[str, Any]) -> list[Any]:
    """What the NIK says against a corrected birth date or sex: a warning for the approver, as at
    import (DOMAIN §4), worded without the NIK's digits (the queue shows NIKs masked)."""
    from entas.core.ids import check_nik

    changes = payload.get("changes") or {}
    if "birth_date" not in changes and "sex" not in changes:
        return []
    birth = changes.get("birth_date")
    birth_date = dt.date.fromisoformat(birth) if isinstance(birth, str) and birth else member.birth_date
    codes = {i.code for i in check_nik(member.nik, birth_date=birth_date, sex=changes.get("sex", member.sex))}
    warnings = []
    if "nik_birth_date" in codes:
        warnings.append(
            _(
                "The corrected birth date differs from the one the NIK encodes: check the family card and "
                "birth certificate."
            )
        )
    if "nik_sex" in codes:
        warnings.append(_("The corrected sex differs from the one the NIK encodes: check the family card."))
    return warnings


def _shown(value: Any) -> str:
    from django.utils.formats import date_format

    if value is None:
        return "–"
    if isinstance(value, dt.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _label(choices: Any, value: Any) -> Any:
    return dict(choices.choices).get(value, value or "–")


def members_of(household: Household) -> QuerySet[Member]:
    return household.members.filter(exited_on__isnull=True).order_by("relationship", "birth_date")


SECTIONS: list[tuple[Any, list[str]]] = [
    (_("Housing"), variables.HOUSING),
    (_("Water, energy and sanitation"), variables.UTILITIES),
    (_("Assets"), [*variables.ASSETS, *variables.PROPERTY, *variables.ACCESS]),
    (_("Livestock"), variables.LIVESTOCK),
    (
        _("Ranking and registration"),
        [
            "desil_national",
            "desil_city",
            "desil_date",
            "registration_source",
            "verification_status",
            "rejection_reason",
            "visit_date",
        ],
    ),
]


def household_sections(household: Household) -> list[tuple[Any, list[tuple[Any, Any]]]]:
    """The household's recorded answers by theme, as (label, shown value) pairs; blanks left out."""
    out = []
    for title, names in SECTIONS:
        rows = []
        for name in names:
            field: Any = Household._meta.get_field(name)
            value = getattr(household, name)
            if value in (None, ""):
                continue
            if field.choices:
                value = getattr(household, f"get_{name}_display")()
            elif isinstance(value, bool):
                value = _("yes") if value else _("no")
            rows.append((field.verbose_name, value))
        if rows:
            out.append((title, rows))
    return out


def summary_by_kelurahan(user: User) -> list[dict[str, Any]]:
    """Households and people per kelurahan in the user's areas: two GROUP BY queries over the
    registry (no join between the two big tables) and one over the regions.
    """
    if not user.is_authenticated or not user.can(Capability.VIEW_SUMMARY):
        return []
    regions = list(
        Region.objects.filter(region_q(user), level=RegionLevel.KELURAHAN).select_related("parent").order_by("code")
    )
    ids = [r.pk for r in regions]
    households = dict(
        Household.objects.filter(kelurahan_id__in=ids)
        .order_by()
        .values_list("kelurahan_id")
        .annotate(n=Count("id"))
        .values_list("kelurahan_id", "n")
    )
    people = dict(
        Member.objects.filter(household__kelurahan_id__in=ids, exited_on__isnull=True)
        .order_by()
        .values_list("household__kelurahan_id")
        .annotate(n=Count("id"))
        .values_list("household__kelurahan_id", "n")
    )
    return [
        {
            "kecamatan_code": r.parent.code if r.parent else "",
            "kecamatan": r.parent.name if r.parent else "",
            "code": r.code,
            "name": r.name,
            "households": households.get(r.pk, 0),
            "people": people.get(r.pk, 0),
            "lat": r.centroid_lat,
            "lng": r.centroid_lng,
            "boundary": r.boundary,
        }
        for r in regions
    ]


def verification_counts(user: User) -> list[dict[str, Any]]:
    """Per kelurahan in the user's areas: households by verification status (one GROUP BY)."""
    regions = list(Region.objects.filter(region_q(user), level=RegionLevel.KELURAHAN).order_by("code"))
    counts: dict[int, dict[str, int]] = {}
    for kelurahan_id, status, n in (
        Household.objects.filter(kelurahan__in=regions)
        .order_by()
        .values_list("kelurahan_id", "verification_status")
        .annotate(n=Count("id"))
        .values_list("kelurahan_id", "verification_status", "n")
    ):
        counts.setdefault(kelurahan_id, {})[status] = n
    return [{"kelurahan": r, **{s: counts.get(r.pk, {}).get(s, 0) for s in VerificationStatus.values}} for r in regions]


def home_counts(user: User) -> dict[str, int]:
    """What waits for ``user`` in the registry, for the home page (two queries whatever the size):
    change requests to decide, their own requests still waiting, and verified households waiting
    for ratification — all in their areas."""
    counts = {"to_decide": 0, "mine_waiting": 0, "to_ratify": 0}
    if user.can(Capability.APPROVE_REGISTRY) or user.can(Capability.CHANGE_REGISTRY):
        pending = ChangeRequest.objects.restrict(user, "view").filter(status=ChangeRequest.Status.PENDING)
        figures = pending.aggregate(
            to_decide=Count("pk", filter=~Q(requested_by=user)),
            mine_waiting=Count("pk", filter=Q(requested_by=user)),
        )
        if user.can(Capability.APPROVE_REGISTRY):
            counts["to_decide"] = figures["to_decide"] or 0
        counts["mine_waiting"] = figures["mine_waiting"] or 0
    if user.can(Capability.APPROVE_REGISTRY):
        counts["to_ratify"] = (
            households_for(user).filter(verification_status=VerificationStatus.DIVERIFIKASI).order_by().count()
        )
    return counts


def own_job(user: User, job_id: int, kind: str) -> Job | None:
    """A registry job of ``kind`` (an export, an import) the user may follow and fetch the file of:
    their own, or anyone's for a city-wide user (as the job pages show them)."""
    jobs = Job.objects.filter(pk=job_id, kind=kind)
    if not user.is_city_wide:
        jobs = jobs.filter(created_by=user)
    return jobs.first()
