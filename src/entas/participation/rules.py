"""The rules of community participation, pure: plain facts in, a decision out (no ORM, no request).

- :func:`overrides`: what a rule's list takes from the musyawarah decisions, in the order they were
  taken (a later forum supersedes an earlier one; striking a household off the registry's list takes
  it off every rule's list until a later forum puts it back).
- :func:`verification_effect`: what a decision on the registry's list does to the household's
  verification.
- :func:`decision_problems`: why a decision cannot be recorded as given.
- :func:`attendance_total`: the attendance of a forum by sex.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

ADD, REMOVE, KEEP = "add", "remove", "keep"
RATIFIED = "disahkan"


@dataclass(frozen=True)
class DecisionFacts:
    """One decision as the rules see it: the household, whether it is on a rule's list (else the
    registry's), and the action; given in the order the forums were held."""

    household: int
    on_rule: bool
    action: str


def overrides(decisions: Iterable[DecisionFacts]) -> tuple[set[int], set[int]]:
    """The households added to and removed from a rule's selection by ``decisions`` (the rule's own
    and the registry list's, oldest first). A rule's decision sets the household's state (``keep``
    clears it); a removal from the registry's list removes the household from the rule's list too,
    and a later add or keep on the registry's list lifts that removal."""
    state: dict[int, str] = {}
    struck: dict[int, bool] = {}
    for d in decisions:
        if d.on_rule:
            struck[d.household] = False
            if d.action == KEEP:
                state.pop(d.household, None)
            else:
                state[d.household] = d.action
        elif d.action == REMOVE:
            struck[d.household] = True
        else:
            struck[d.household] = False
    added = {h for h, a in state.items() if a == ADD and not struck.get(h)}
    removed = {h for h, a in state.items() if a == REMOVE} | {h for h, s in struck.items() if s}
    return added, removed


def verification_effect(action: str, status: str) -> tuple[bool | None, str]:
    """For a decision on the registry's list: whether to confirm (True) or reject (False) the
    household in the verification, or nothing (None) — and the effect recorded on the decision.
    A ratified household is not changed: the decision waits for the next update of the list."""
    if status == RATIFIED:
        return None, "ratified"
    return action != REMOVE, "applied"


def decision_problems(*, action: str, reason: str, held_on: dt.date, today: dt.date) -> list[str]:
    """Why a decision cannot be recorded (empty: it can)."""
    problems: list[str] = []
    if action not in (ADD, REMOVE, KEEP):
        problems.append(_("The decision is add, remove or keep."))
    if action in (ADD, REMOVE) and not reason.strip():
        problems.append(_("Give the reason for adding or removing the household."))
    if held_on > today:
        problems.append(_("The forum is on %(date)s: record its decisions once it has been held.") % {"date": held_on})
    return problems


def attendance_total(groups: Mapping[str, tuple[int, int]]) -> tuple[int, int, int]:
    """Men, women and everyone who attended, from each group's (men, women)."""
    men = sum(m for m, _w in groups.values())
    women = sum(w for _m, w in groups.values())
    return men, women, men + women


# -- the Musrenbang ---------------------------------------------------------------------------------

STAGES = ("rembug_warga", "musrenbang_kelurahan", "musrenbang_kecamatan", "forum_pd", "musrenbang_kota")
OPEN = ("proposed", "accepted")  # still in play
FUNDABLE_FROM = "forum_pd"  # a proposal is funded once the forum perangkat daerah has accepted it


@dataclass(frozen=True)
class ReviewFacts:
    status: str
    stage: str  # the highest stage that has taken the proposal
    forum_kind: str  # the forum now deciding
    outcome: str
    score: int
    votes_for: int
    votes_against: int
    note: str
    merged_into_open: bool | None  # the proposal it is merged into is still in play (None: none named)


def review_problems(f: ReviewFacts) -> list[str]:
    """Why a Musrenbang forum's decision on a proposal cannot be recorded (empty: it can). A forum
    decides on an open proposal at its own stage or the next one up; a rejection needs the reason; a
    merge needs an open proposal to merge into."""
    problems: list[str] = []
    if f.status not in OPEN:
        problems.append(_("The proposal is no longer open (merged, rejected or funded)."))
    if f.forum_kind not in STAGES:
        problems.append(_("Proposals are decided at the stages of the Musrenbang."))
    elif f.stage in STAGES and STAGES.index(f.forum_kind) not in (STAGES.index(f.stage), STAGES.index(f.stage) + 1):
        problems.append(_("This forum is not the proposal's stage or the next one up."))
    if not 0 <= f.score <= 100:
        problems.append(_("The priority score is between 0 and 100."))
    if f.votes_for < 0 or f.votes_against < 0:
        problems.append(_("Votes are whole numbers."))
    if f.outcome == "rejected" and not f.note.strip():
        problems.append(_("Give the reason for rejecting the proposal."))
    if f.outcome == "merged" and not f.merged_into_open:
        problems.append(_("Name the open proposal it is merged into."))
    if f.outcome not in ("accepted", "rejected", "merged"):
        problems.append(_("The outcome is accepted, merged or rejected."))
    return problems


def fund_problems(*, status: str, stage: str) -> list[str]:
    """Why a proposal cannot be recorded as funded (empty: it can)."""
    if status != "accepted" or stage not in STAGES or STAGES.index(stage) < STAGES.index(FUNDABLE_FROM):
        return [_("Only a proposal the forum perangkat daerah or the musrenbang kota accepted can be funded.")]
    return []


@dataclass(frozen=True)
class ProposalFacts:
    stage: str
    status: str
    kelurahan: str
    category: str
    poverty: bool
    cost: int


@dataclass
class ProposalReport:
    total: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    by_kelurahan: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    funded: int = 0
    poverty: int = 0
    funded_poverty: int = 0
    cost_funded: int = 0

    def share(self, part: int) -> float:
        return part / self.total if self.total else 0.0

    @property
    def share_funded(self) -> float:
        return self.share(self.funded)

    @property
    def share_poverty(self) -> float:
        return self.share(self.poverty)


def proposal_report(rows: Iterable[ProposalFacts]) -> ProposalReport:
    """Proposals by stage reached, status, kelurahan and category; the share funded and the share
    addressing a poverty problem."""
    out = ProposalReport()
    for r in rows:
        out.total += 1
        for bucket, key in (
            (out.by_stage, r.stage),
            (out.by_status, r.status),
            (out.by_kelurahan, r.kelurahan),
            (out.by_category, r.category),
        ):
            bucket[key] = bucket.get(key, 0) + 1
        funded = r.status == "funded"
        out.funded += funded
        out.poverty += r.poverty
        out.funded_poverty += funded and r.poverty
        out.cost_funded += r.cost if funded else 0
    return out
