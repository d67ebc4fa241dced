"""Who is in a programme: enrolment by the rule (set-based, for a whole city at once), by hand with a
reason, exits, and households reported as affected by a shock."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.accounts.roles import Capability
from entas.accounts.scoping import can_act_in
from entas.core import audit
from entas.core.bulk import Inserter
from entas.core.errors import Refused
from entas.core.services import service
from entas.dedup.selectors import households_with_open_duplicates
from entas.targeting import services as targeting

from ..models import Enrolment, Programme, ShockFlag

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household

# Shown on an entitlement whose household has an unresolved possible duplicate: approval waits for it.
DUPLICATE_FLAG = gettext_lazy("possible duplicate person not yet resolved")
State = Enrolment.State


def require(actor: User | None, capability: Capability) -> None:
    if actor is None or not actor.can(capability):
        raise Refused(_("Your role does not allow this step."), code="forbidden")


def needs_scores(rule: Any) -> bool:
    """Whether ``rule`` reads the PMT's scores (the PMT desil or predicted consumption) while no model
    has scored the registry: then it would select nobody, and the pages say so instead."""
    from entas.targeting.data import SCORE_NAMES

    try:
        fields = targeting.compile_saved(rule).fields
    except Refused:
        return False
    return bool(fields & SCORE_NAMES) and targeting.latest_scored_model() is None


def no_scores_refusal(rule: Any) -> Refused:
    return Refused(
        _(
            "The rule “%(rule)s” uses the PMT desil, but no model has scored the registry yet: it would select "
            "no household. Fit a proxy-means model and score the registry first (the targeting report page)."
        )
        % {"rule": rule.name},
        code="no_scores",
    )


def selection(programme: Programme) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], Any]:
    """The rule's list now: household ids, selected flags, per household the member counts the
    entitlement formula needs (children in school, elderly, disabled), its size (``people``) and
    kelurahan code (``kelurahan``), and the selection with its sources. Refused while the rule reads
    the PMT's scores and no model has scored the registry (it would quietly select nobody)."""
    from entas.registry.models import Household
    from entas.targeting.data import SCORE_NAMES, cached_rule_arrays
    from entas.targeting.selection import select

    rule = programme.rule
    if rule is None:  # only a cash transfer is enrolled by a rule; the other kinds have none
        raise Refused(_("%(name)s has no eligibility rule.") % {"name": programme.name}, code="invalid")
    compiled = targeting.compile_saved(rule)
    model = targeting.latest_scored_model()
    if model is None and compiled.fields & SCORE_NAMES:
        raise no_scores_refusal(rule)
    ranking = targeting.ranking_field(model)
    households, members = cached_rule_arrays(
        Household.objects.all(),
        scope="all",
        model_id=model.pk if model else None,
        names={*compiled.fields, ranking, "in_school", "age", "disabled"},
    )
    with targeting.saved_rule_problems(rule):
        eligible = compiled.evaluate(households, members)
    if programme.shock_event:
        affected = ShockFlag.objects.filter(event=programme.shock_event).values_list("household_id", flat=True)
        eligible = eligible & np.isin(households["id"], np.fromiter(affected, dtype=np.int64))
    added, removed = targeting.rule_overrides(rule)
    chosen = select(
        eligible,
        household_ids=households["id"],
        score=np.asarray(households[ranking], dtype=float),
        benefit=programme.base_amount,
        added=added,
        removed=removed,
    )
    size = households["id"].size

    def per_household(weights: np.ndarray) -> np.ndarray:
        return np.bincount(members["household"], weights=weights.astype(float), minlength=size)

    counts = {
        "children_in_school": per_household(members["in_school"]),
        "elderly": per_household(members["age"] >= 60),
        "disabled": per_household(members["disabled"]),
        "people": np.asarray(households["size"]),
        "kelurahan": np.asarray(households["kelurahan"]).astype(str),
    }
    return households["id"], chosen.selected, counts, chosen


def cycles_planned(programme: Programme) -> int:
    """How many cycles the programme pays at most: its tranches, else one a month over its period."""
    months = (programme.end.year - programme.start.year) * 12 + programme.end.month - programme.start.month + 1
    return programme.tranches if programme.tranches is not None else max(months, 0)


def preview_programme(programme: Programme) -> dict[str, Any]:
    """Who the programme would enrol now and what it would cost, before it is saved (``programme`` may be
    unsaved): households and people by kelurahan, and the cost of one cycle under the entitlement
    formula, from the same selection enrolment and preparation use. City-wide aggregate figures only
    (a cycle also holds back households with an open duplicate or in an exclusive programme)."""
    from entas.regions.models import Region

    from .. import rules

    _ids, selected, counts, chosen = selection(programme)
    amounts = rules.entitlements(
        base=programme.base_amount,
        per_child_in_school=programme.per_child_in_school or 0,
        per_elderly=programme.per_elderly or 0,
        per_disabled=programme.per_disabled or 0,
        cap=programme.cap,
        months=programme.months_per_cycle or 1,
        children_in_school=counts["children_in_school"],
        elderly=counts["elderly"],
        disabled=counts["disabled"],
    )
    codes, index = np.unique(counts["kelurahan"][selected], return_inverse=True)
    households = np.bincount(index, minlength=codes.size)
    people = np.bincount(index, weights=counts["people"][selected].astype(float), minlength=codes.size)
    cost = np.bincount(index, weights=amounts[selected].astype(float), minlength=codes.size)
    names = dict(Region.objects.filter(code__in=codes.tolist()).values_list("code", "name"))
    per_cycle = int(amounts[selected].sum())
    cycles = cycles_planned(programme)
    return {
        "households": int(selected.sum()),
        "people": int(counts["people"][selected].sum()),
        "community_added": int(((chosen.source == "community_added") & selected).sum()),
        "per_cycle": per_cycle,
        "cycles": cycles,
        "whole_period": per_cycle * cycles,
        "budget_ceiling": programme.budget_ceiling,
        "over_budget": per_cycle * cycles > (programme.budget_ceiling or 0),
        "by_kelurahan": [
            {
                "code": str(code),
                "name": names.get(str(code), str(code)),
                "households": int(households[i]),
                "people": int(people[i]),
                "per_cycle": int(cost[i]),
            }
            for i, code in enumerate(codes.tolist())
        ],
    }


def check_shock_window(programme: Programme) -> None:
    if programme.shock_event and programme.shock_until and timezone.localdate() > programme.shock_until:
        raise Refused(
            _("The shock mode of “%(name)s” ended on %(date)s: no enrolment or new cycle after it.")
            % {"name": programme.name, "date": programme.shock_until.isoformat()}
        )


def _held(programme: Programme, household_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The households of ``household_ids`` that enrolment must hold back, with their state and reason:
    an unresolved possible duplicate person (``duplicate``), or enrolment in a programme marked
    mutually exclusive (``not_eligible``, naming it)."""
    held: dict[int, tuple[str, str]] = {}
    for pk, name in Enrolment.objects.filter(
        programme__in=programme.exclusive_with.all(), state=State.ENROLLED, household_id__in=household_ids
    ).values_list("household_id", "programme__name"):
        held[pk] = (State.NOT_ELIGIBLE, _("enrolled in the mutually exclusive programme “%(name)s”") % {"name": name})
    for pk in households_with_open_duplicates(household_ids):
        held[pk] = (State.DUPLICATE, _("a possible duplicate person is not yet resolved"))
    return held


@service
def enrol(*, programme: Programme, actor: User) -> dict[str, int]:
    """Enrol the households the rule (with the community's decisions) selects; households enrolled before
    and no longer selected become not eligible. Idempotent; set-based (one UPDATE per resulting state).

    Selected households are still checked: one with an unresolved possible duplicate person is held as
    ``duplicate``, and one enrolled in a programme marked mutually exclusive becomes ``not_eligible``,
    each with the reason; once that is resolved, enrolling again enrols it."""
    require(actor, Capability.MANAGE_PROGRAMMES)
    check_shock_window(programme)
    ids, selected, _counts, chosen = selection(programme)
    existing = dict(Enrolment.objects.filter(programme=programme).values_list("household_id", "state"))
    now = timezone.now()
    chosen_ids = ids[selected].tolist()
    held = _held(programme, chosen_ids)
    source = dict(zip(ids.tolist(), chosen.source.tolist(), strict=True))
    rows = []
    for pk in chosen_ids:
        if pk not in existing:
            state, reason = held.get(pk, (State.ENROLLED, ""))
            rows.append(
                {
                    "programme_id": programme.pk,
                    "household_id": pk,
                    "state": state,
                    "reason": reason,
                    "source": source.get(pk) or "rule",
                    "changed_at": now,
                }
            )
    Inserter(Enrolment).insert(rows)
    # Held or dropped before and selected again: their state follows the checks now. Grouped by the
    # state and reason they move to, so each group is one UPDATE.
    moves: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk in chosen_ids:
        before = existing.get(pk)
        if before in (State.DUPLICATE, State.NOT_ELIGIBLE, State.PAUSED):
            state, reason = held.get(pk, (State.ENROLLED, ""))
            if state != before:
                moves[(state, reason)].append(pk)
    for (state, reason), pks in moves.items():
        Enrolment.objects.filter(programme=programme, household_id__in=pks).update(
            state=state, reason=reason, changed_at=now
        )
    selected_set = set(chosen_ids)
    by_hand = set(Enrolment.objects.filter(programme=programme, source="manual").values_list("household_id", flat=True))
    dropped = [
        pk for pk, state in existing.items() if pk not in selected_set and state == State.ENROLLED and pk not in by_hand
    ]
    Enrolment.objects.filter(programme=programme, household_id__in=dropped).update(
        state=State.NOT_ELIGIBLE, reason=_("no longer selected by the rule"), changed_at=now
    )
    now_held = Enrolment.objects.filter(programme=programme, household_id__in=chosen_ids)
    result = {
        "enrolled": sum(1 for r in rows if r["state"] == State.ENROLLED)
        + sum(len(pks) for (state, _reason), pks in moves.items() if state == State.ENROLLED),
        "not_eligible": len(dropped),
        "held_duplicate": now_held.filter(state=State.DUPLICATE).count(),
        "held_exclusive": now_held.filter(state=State.NOT_ELIGIBLE).count(),
        "total_enrolled": Enrolment.objects.filter(programme=programme, state=State.ENROLLED).count(),
    }
    audit.record(actor=actor, action="programme.enrol", obj=programme, after=result)
    return result


@service
def enrol_by_hand(*, programme: Programme, household: Household, reason: str, actor: User) -> Enrolment:
    """Enrol one household the rule does not select, with the reason (e.g. a social worker's
    assessment); it stays enrolled at every cycle until exited. Still checked for duplicates and
    mutually exclusive programmes."""
    require(actor, Capability.MANAGE_PROGRAMMES)
    check_shock_window(programme)
    if not reason.strip():
        raise Refused(_("Give the reason for enrolling this household by hand."), code="invalid")
    state, why = _held(programme, [household.pk]).get(household.pk, (State.ENROLLED, ""))
    enrolment, _created = Enrolment.objects.update_or_create(
        programme=programme,
        household=household,
        defaults={
            "state": state,
            "reason": why or reason.strip()[:300],
            "source": "manual",
            "changed_at": timezone.now(),
        },
    )
    audit.record(
        actor=actor,
        action="programme.enrol_by_hand",
        obj=enrolment,
        region_code=household.kelurahan.code,
        after={"kk": household.kk_number, "state": state, "reason": reason.strip()},
    )
    return enrolment


@service
def exit_household(*, programme: Programme, household: Household, reason: str, actor: User) -> Enrolment:
    """Take a household out of a programme for good, with the reason (moved away, died, graduated…)."""
    require(actor, Capability.MANAGE_PROGRAMMES)
    if not reason.strip():
        raise Refused(_("Give the reason for the exit."), code="invalid")
    enrolment = Enrolment.objects.filter(programme=programme, household=household).first()
    if enrolment is None:
        raise Refused(_("KK %(kk)s is not in this programme.") % {"kk": household.kk_number}, code="not_found")
    before = enrolment.state
    enrolment.state, enrolment.reason, enrolment.changed_at = State.EXITED, reason.strip()[:300], timezone.now()
    enrolment.save(update_fields=["state", "reason", "changed_at"])
    audit.record(
        actor=actor,
        action="programme.exit",
        obj=enrolment,
        region_code=household.kelurahan.code,
        before={"state": before},
        after={"reason": enrolment.reason},
    )
    return enrolment


@service
def flag_affected(*, household: Household, event: str, kind: str, note: str = "", actor: User | None) -> ShockFlag:
    """Report a household as affected by a shock event (a kelurahan operator, in their own area)."""
    if actor is not None and not (actor.can(Capability.CHANGE_REGISTRY) and can_act_in(actor, household.kelurahan)):
        raise Refused(_("You may only report households of your own areas."), code="forbidden")
    event = event.strip()
    if not event:
        raise Refused(_("Name the event (for example “Banjir Januari 2027”)."), code="invalid")
    if kind not in ShockFlag.Kind.values:
        raise Refused(
            _("Unknown kind %(kind)r: use %(kinds)s.") % {"kind": kind, "kinds": ", ".join(ShockFlag.Kind.values)},
            code="invalid",
        )
    flag, created = ShockFlag.objects.update_or_create(
        household=household, event=event, defaults={"kind": kind, "note": note.strip()[:300], "reported_by": actor}
    )
    audit.record(
        actor=actor,
        action="programme.flag_affected",
        obj=flag,
        region_code=household.kelurahan.code,
        after={"kk": household.kk_number, "event": event, "kind": kind, "created": created},
    )
    return flag


MAX_FLAG_ROWS = 20_000


def flag_affected_rows(
    *, rows: list[dict[str, Any]], event: str, kind: str, note: str = "", actor: User | None
) -> dict[str, Any]:
    """Report many households at once (a file or a pasted list): every row is reported, or listed in
    ``refused`` with its line and reason; nothing is lost. ``rows`` hold ``line``, ``kk_number`` and
    optionally ``kind`` and ``note`` (the row's own, else the defaults). A KK number outside the
    actor's areas is answered as one that does not exist (existence is itself personal data).

    Returns ``{"event", "rows", "flagged", "new", "already", "refused": [{"line", "kk_number", "reason"}]}``:
    ``new`` households reported for the first time, ``already`` ones reported before for this event
    (their kind and note refreshed), ``flagged`` = new + already.
    """
    from entas.registry.models import Household
    from entas.registry.selectors import households_for

    event = event.strip()
    if not event:
        raise Refused(_("Name the event (for example “Banjir Januari 2027”)."), code="invalid")
    if len(rows) > MAX_FLAG_ROWS:
        raise Refused(
            _("%(n)d rows: report at most %(max)d households at once.") % {"n": len(rows), "max": MAX_FLAG_ROWS},
            code="too_many",
        )
    numbers = {"".join(str(r.get("kk_number") or "").split()) for r in rows}
    scope = households_for(actor) if actor is not None else Household.objects.select_related("kelurahan")
    found = {h.kk_number: h for h in scope.filter(kk_number__in=numbers)}
    reported = set(
        ShockFlag.objects.filter(event=event, household__in=found.values()).values_list("household_id", flat=True)
    )
    result: dict[str, Any] = {"event": event, "rows": len(rows), "flagged": 0, "new": 0, "already": 0, "refused": []}
    for row in rows:
        number = "".join(str(row.get("kk_number") or "").split())
        household = found.get(number)
        if household is None:
            reason = (
                _("no KK number in this row")
                if not number
                else _("no household with this KK number in your areas")
                if actor is not None
                else _("no household with this KK number")
            )
            result["refused"].append({"line": row["line"], "kk_number": number, "reason": reason})
            continue
        try:
            flag_affected(
                household=household,
                event=event,
                kind=(row.get("kind") or kind).strip(),
                note=row.get("note") or note,
                actor=actor,
            )
        except Refused as exc:
            result["refused"].append({"line": row["line"], "kk_number": number, "reason": str(exc)})
            continue
        result["flagged"] += 1
        if household.pk in reported:
            result["already"] += 1
        else:
            result["new"] += 1
            reported.add(household.pk)
    return result
