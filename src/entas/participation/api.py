"""Community participation over the API: the forums and their decisions, the Musrenbang's proposals,
the partners and their contributions. The same area-scoped selectors, services and roles as the
pages and the command line:

- forums and proposals: the forum calendar's readers (registry, TKPK analysts, the register's
  readers); recording is the kelurahan operator's or Bappeda's, decided by the services;
- a musyawarah's decisions name households: the registry's people only;
- partners and contributions: the register's readers, kept by its editors;
- ``/own``: a partner user's own contributions, as figures — never a person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.accounts.scoping import visible_regions
from entas.core.errors import Refused
from entas.regions.models import Region, RegionLevel
from entas.registry.selectors import households_for

from . import choices as c
from . import selectors, services
from .models import DECISION_ACTIONS, FORUM_ACTIONS, PARTNER_ACTIONS, Contribution, Forum, Partner, Proposal

forums_router = Router(tags=["participation"], auth=RoleAuth(FORUM_ACTIONS["view"], FORUM_ACTIONS["change"]))
proposals_router = Router(tags=["participation"], auth=RoleAuth(FORUM_ACTIONS["view"], FORUM_ACTIONS["change"]))
partners_router = Router(tags=["participation"], auth=RoleAuth(PARTNER_ACTIONS["view"], PARTNER_ACTIONS["change"]))
own_router = Router(
    tags=["participation"], auth=RoleAuth((Capability.VIEW_FUNDED_POLICY,), (Capability.VIEW_FUNDED_POLICY,))
)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _area(user: User, code: str, *, kelurahan: bool = False) -> Region:
    regions = visible_regions(user)
    if kelurahan:
        regions = regions.filter(level=RegionLevel.KELURAHAN)
    area = regions.filter(code=code.strip()).first()
    if area is None:
        raise Refused(_("No area %(code)s in your areas.") % {"code": code[:20]}, code="not_found")
    return area


# -- forums -----------------------------------------------------------------------------------------


MAX_AMOUNT = 10**15  # a thousand trillion rupiah: beyond any contribution, within a 64-bit integer
MAX_QUANTITY = 2_000_000_000  # the quantity columns are 32-bit integers


class AttendanceIn(Schema):
    group: str
    men: int = Field(0, ge=0, le=100_000)
    women: int = Field(0, ge=0, le=100_000)


class ForumIn(Schema):
    kind: str
    area_code: str
    held_on: dt.date
    berita_acara: str
    agenda: str = ""
    place: str = ""
    chair: str = ""
    secretary: str = ""
    rt: str = ""
    attendance: list[AttendanceIn] = []


class ForumOut(Schema):
    id: int
    kind: str
    area: str
    held_on: str
    berita_acara: str
    place: str
    agenda: str
    chair: str
    attended: int
    decisions: int
    scan_attached: bool


class ForumDecisionIn(Schema):
    kk_number: str
    action: str
    reason: str = ""
    rule_id: int | None = None


class DecisionOut(Schema):
    id: int
    kk_number: str
    rule: str
    action: str
    reason: str
    verification: str


def _forum_out(forum: Forum, attended: int, decisions: int) -> ForumOut:
    return ForumOut(
        id=forum.pk,
        kind=forum.kind,
        area=forum.area.code,
        held_on=forum.held_on.isoformat(),
        berita_acara=forum.berita_acara,
        place=forum.place,
        agenda=forum.agenda,
        chair=forum.chair,
        attended=attended,
        decisions=decisions,
        scan_attached=bool(forum.scan),
    )


def _forum(user: User, pk: int) -> Forum:
    try:
        return selectors.forum_for(user, pk)
    except Forum.DoesNotExist:
        raise HttpError(404, "not found") from None


@forums_router.get("", response=list[ForumOut])
def list_forums(
    request: HttpRequest, year: int | None = Query(None, ge=1900, le=2100), kind: c.ForumKind | None = None
) -> list[ForumOut]:
    """The forums held in the user's areas (the calendar), newest first; filter by year and kind."""
    return [
        _forum_out(f, f.attended, f.decision_count)  # type: ignore[attr-defined]
        for f in selectors.forums_for(_user(request), kind=kind or "", year=year)[:500]
    ]


@forums_router.get("/{forum_id}", response=dict[str, Any])
def get_forum(request: HttpRequest, forum_id: int) -> dict[str, Any]:
    """One forum with its attendance by group and sex and its decision counts (no household)."""
    forum = _forum(_user(request), forum_id)
    table = selectors.attendance_of(forum)
    out = _forum_out(forum, table.total, forum.decisions.count()).dict()
    out["attendance"] = [
        {"group": value, "men": row[1], "women": row[2]}
        for (value, _label), row in zip(c.AttendeeGroup.choices, table.rows, strict=True)
    ]
    out["decision_counts"] = selectors.decision_counts(forum) if forum.is_musyawarah else {}
    return out


@forums_router.post("", response={201: ForumOut})
def create_forum(request: HttpRequest, payload: ForumIn) -> Status[ForumOut]:
    """Record a forum that was held (the service decides who may record which kind where)."""
    user = _user(request)
    forum = services.save_forum(
        actor=user,
        kind=payload.kind,
        area=_area(user, payload.area_code),
        held_on=payload.held_on,
        berita_acara=payload.berita_acara,
        agenda=payload.agenda,
        place=payload.place,
        chair=payload.chair,
        secretary=payload.secretary,
        rt=payload.rt,
        attendance={a.group: (a.men, a.women) for a in payload.attendance},
    )
    table = selectors.attendance_of(selectors.forum_for(user, forum.pk))
    return Status(201, _forum_out(forum, table.total, 0))


def _decision_out(d: Any) -> DecisionOut:
    return DecisionOut(
        id=d.pk,
        kk_number=d.household.kk_number,
        rule=d.rule.name if d.rule else "",
        action=d.action,
        reason=d.reason,
        verification=d.verification,
    )


def _sees_households(user: User) -> None:
    if not any(user.can(cap) for cap in DECISION_ACTIONS["view"]):
        raise HttpError(403, "forbidden")


@forums_router.get("/{forum_id}/decisions", response=list[DecisionOut])
def forum_decisions(request: HttpRequest, forum_id: int) -> list[DecisionOut]:
    """A musyawarah's decision on each household (the registry's people only)."""
    user = _user(request)
    _sees_households(user)
    return [_decision_out(d) for d in selectors.decisions_of(user, _forum(user, forum_id))]


@forums_router.post("/{forum_id}/decisions", response={201: DecisionOut})
def record_forum_decision(request: HttpRequest, forum_id: int, payload: ForumDecisionIn) -> Status[DecisionOut]:
    """Record a musyawarah's decision on a household by KK number: the registry's verification (or the
    rule's list) takes it at once."""
    from entas.targeting.models import EligibilityRule

    user = _user(request)
    _sees_households(user)
    forum = _forum(user, forum_id)
    household = households_for(user).filter(kk_number=payload.kk_number.strip()).select_related("kelurahan").first()
    if household is None:
        raise HttpError(404, "not found")
    rule = None
    if payload.rule_id is not None:
        rule = EligibilityRule.objects.filter(pk=payload.rule_id).first()
        if rule is None:
            raise HttpError(404, "not found")
    decision = services.record_decision(
        actor=user, forum=forum, household=household, action=payload.action, reason=payload.reason, rule=rule
    )
    return Status(201, _decision_out(decision))


# -- the Musrenbang's proposals ---------------------------------------------------------------------


class ProposalIn(Schema):
    code: str
    title: str
    kelurahan_code: str
    category: str
    proposer: str
    stage: str = c.ForumKind.REMBUG_WARGA
    rt: str = ""
    problem: str = ""
    estimated_cost: int = Field(0, ge=0, le=MAX_AMOUNT)


class ProposalOut(Schema):
    id: int
    code: str
    title: str
    kelurahan: str
    rt: str
    category: str
    problem: str
    estimated_cost: int
    proposer: str
    stage: str
    status: str
    status_reason: str
    funded_programme: str
    funded_activity: str


class ReviewIn(Schema):
    forum_id: int
    outcome: str
    score: int = Field(0, ge=0, le=1_000_000)
    votes_for: int = Field(0, ge=0, le=1_000_000)
    votes_against: int = Field(0, ge=0, le=1_000_000)
    note: str = ""
    merged_into: str = ""


class FundIn(Schema):
    programme: str
    activity: str = ""


def _proposal_out(p: Proposal) -> ProposalOut:
    return ProposalOut(
        id=p.pk,
        code=p.code,
        title=p.title,
        kelurahan=p.kelurahan.code,
        rt=p.rt,
        category=p.category,
        problem=p.problem,
        estimated_cost=p.estimated_cost,
        proposer=p.proposer,
        stage=p.stage,
        status=p.status,
        status_reason=p.status_reason,
        funded_programme=p.funded_record.code if p.funded_record else "",
        funded_activity=p.funded_activity.code if p.funded_activity else "",
    )


def _proposal(user: User, pk: int) -> Proposal:
    try:
        return selectors.proposal_for(user, pk)
    except Proposal.DoesNotExist:
        raise HttpError(404, "not found") from None


@proposals_router.get("", response=list[ProposalOut])
def list_proposals(
    request: HttpRequest, stage: str = "", status: str = "", category: str = "", kelurahan: str = ""
) -> list[ProposalOut]:
    """The proposals of the user's areas, filtered by stage, status, category and kelurahan code."""
    qs = selectors.proposals_for(
        _user(request), stage=stage, status=status, category=category, kelurahan=kelurahan[:20]
    ).select_related("funded_activity")
    return [_proposal_out(p) for p in qs[:1000]]


@proposals_router.get("/report", response=dict[str, Any])
def proposals_report(request: HttpRequest) -> dict[str, Any]:
    """The proposals as counts: by stage, status, kelurahan and category, the share funded and the
    share addressing poverty."""
    report = selectors.proposal_report(_user(request))
    return {
        "total": report.total,
        "by_stage": report.by_stage,
        "by_status": report.by_status,
        "by_kelurahan": report.by_kelurahan,
        "by_category": report.by_category,
        "funded": report.funded,
        "cost_funded": report.cost_funded,
        "poverty": report.poverty,
        "funded_poverty": report.funded_poverty,
    }


@proposals_router.get("/{proposal_id}", response=dict[str, Any])
def get_proposal(request: HttpRequest, proposal_id: int) -> dict[str, Any]:
    """A proposal with its review at each forum (score, votes, outcome) and what funds it."""
    proposal = _proposal(_user(request), proposal_id)
    out = _proposal_out(proposal).dict()
    out["reviews"] = [
        {
            "forum": r.forum.berita_acara,
            "stage": r.forum.kind,
            "held_on": r.forum.held_on.isoformat(),
            "score": r.score,
            "votes_for": r.votes_for,
            "votes_against": r.votes_against,
            "outcome": r.outcome,
            "note": r.note,
        }
        for r in selectors.reviews_of(proposal)
    ]
    return out


@proposals_router.post("", response={201: ProposalOut})
def create_proposal(request: HttpRequest, payload: ProposalIn) -> Status[ProposalOut]:
    user = _user(request)
    data = payload.dict()
    kelurahan = _area(user, data.pop("kelurahan_code"), kelurahan=True)
    proposal, _created = services.save_proposal(actor=user, kelurahan=kelurahan, **data)
    return Status(201, _proposal_out(selectors.proposal_for(user, proposal.pk)))


@proposals_router.post("/{proposal_id}/reviews", response={201: ProposalOut})
def review_proposal(request: HttpRequest, proposal_id: int, payload: ReviewIn) -> Status[ProposalOut]:
    """A Musrenbang forum's decision on the proposal: accepted (it goes up), merged or rejected."""
    user = _user(request)
    proposal = _proposal(user, proposal_id)
    forum = selectors.forums_for_review(user, proposal).filter(pk=payload.forum_id).first()
    if forum is None:
        raise Refused(_("That forum may not decide on this proposal."), code="invalid")
    target = None
    if payload.merged_into:
        target = selectors.proposals_for(user).filter(code=payload.merged_into.strip()).first()
        if target is None:
            raise HttpError(404, "not found")
    services.review_proposal(
        actor=user,
        proposal=proposal,
        forum=forum,
        outcome=payload.outcome,
        score=payload.score,
        votes_for=payload.votes_for,
        votes_against=payload.votes_against,
        note=payload.note,
        merged_into=target,
    )
    return Status(201, _proposal_out(selectors.proposal_for(user, proposal.pk)))


@proposals_router.post("/{proposal_id}/fund", response=ProposalOut)
def fund_proposal(request: HttpRequest, proposal_id: int, payload: FundIn) -> ProposalOut:
    """Record the programme (and activity) of the policy register that funds an accepted proposal."""
    from entas.policy.models import Activity, ProgrammeRecord

    user = _user(request)
    proposal = _proposal(user, proposal_id)
    record = ProgrammeRecord.objects.filter(code=payload.programme.strip()).order_by("-pk").first()
    if record is None:
        raise HttpError(404, "not found")
    activity = None
    if payload.activity:
        activity = Activity.objects.filter(record=record, code=payload.activity.strip()).first()
        if activity is None:
            raise HttpError(404, "not found")
    services.fund_proposal(actor=user, proposal=proposal, record=record, activity=activity)
    return _proposal_out(selectors.proposal_for(user, proposal.pk))


# -- partners and contributions ---------------------------------------------------------------------


class PartnerIn(Schema):
    code: str
    name: str
    kind: str
    contact_person: str = ""
    contact: str = ""


class PartnerOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    contact_person: str
    contact: str
    agreements: list[dict[str, str]]


class ContributionIn(Schema):
    partner_code: str
    kind: str
    description: str
    programme: str
    year: int = Field(ge=1900, le=2100)
    activity: str = ""
    kelurahan_code: str = ""
    # Rupiah and quantities: never negative, and within what the database's integers hold.
    pledged_value: int = Field(0, ge=0, le=MAX_AMOUNT)
    delivered_value: int = Field(0, ge=0, le=MAX_AMOUNT)
    pledged_quantity: int = Field(0, ge=0, le=MAX_QUANTITY)
    delivered_quantity: int = Field(0, ge=0, le=MAX_QUANTITY)
    unit: str = ""
    delivered_on: dt.date | None = None


class ContributionOut(Schema):
    id: int
    partner: str
    kind: str
    description: str
    programme: str
    activity: str
    kelurahan: str
    year: int
    pledged_value: int
    delivered_value: int
    pledged_quantity: int
    delivered_quantity: int
    unit: str
    delivered_on: str
    report_attached: bool


def _partner_out(p: Partner) -> PartnerOut:
    return PartnerOut(
        id=p.pk,
        code=p.code,
        name=p.name,
        kind=p.kind,
        contact_person=p.contact_person,
        contact=p.contact,
        agreements=[
            {"kind": a.kind, "number": a.number, "start": a.start.isoformat(), "end": a.end.isoformat()}
            for a in p.agreements.all()
        ],
    )


def _contribution_out(x: Contribution) -> ContributionOut:
    return ContributionOut(
        id=x.pk,
        partner=x.partner.code,
        kind=x.kind,
        description=x.description,
        programme=x.record.code,
        activity=x.activity.code if x.activity else "",
        kelurahan=x.kelurahan.code if x.kelurahan else "",
        year=x.year,
        pledged_value=x.pledged_value,
        delivered_value=x.delivered_value,
        pledged_quantity=x.pledged_quantity,
        delivered_quantity=x.delivered_quantity,
        unit=x.unit,
        delivered_on=x.delivered_on.isoformat() if x.delivered_on else "",
        report_attached=bool(x.report),
    )


@partners_router.get("", response=list[PartnerOut])
def list_partners(request: HttpRequest) -> list[PartnerOut]:
    """The city's partners with their MoU/PKS."""
    qs = Partner.objects.restrict(_user(request), "view").prefetch_related("agreements").order_by("name")
    return [_partner_out(p) for p in qs]


@partners_router.post("", response={201: PartnerOut})
def save_partner(request: HttpRequest, payload: PartnerIn) -> Status[PartnerOut]:
    """Record a partner (or correct it, by its code); the register's editors only."""
    partner, _created = services.save_partner(actor=_user(request), **payload.dict())
    return Status(201, _partner_out(partner))


@partners_router.get("/contributions", response=list[ContributionOut])
def list_contributions(
    request: HttpRequest, year: int | None = Query(None, ge=1900, le=2100), partner: str = ""
) -> list[ContributionOut]:
    """Every partner's contributions (pledged and delivered), filtered by year and partner code."""
    qs = selectors.contributions_for(_user(request))
    if year:
        qs = qs.filter(year=year)
    if partner:
        qs = qs.filter(partner__code=partner)
    return [_contribution_out(x) for x in qs[:2000]]


@partners_router.post("/contributions", response={201: ContributionOut})
def record_contribution(request: HttpRequest, payload: ContributionIn) -> Status[ContributionOut]:
    """Record what a partner pledged (and has delivered) to a programme of the register."""
    from entas.policy.models import Activity, ProgrammeRecord

    user = _user(request)
    partner = Partner.objects.restrict(user, "view").filter(code=payload.partner_code.strip()).first()
    record = ProgrammeRecord.objects.filter(code=payload.programme.strip()).order_by("-pk").first()
    if partner is None or record is None:
        raise HttpError(404, "not found")
    activity = None
    if payload.activity:
        activity = Activity.objects.filter(record=record, code=payload.activity.strip()).first()
        if activity is None:
            raise HttpError(404, "not found")
    kelurahan = _area(user, payload.kelurahan_code, kelurahan=True) if payload.kelurahan_code else None
    contribution = services.record_contribution(
        actor=user,
        partner=partner,
        kind=payload.kind,
        description=payload.description,
        record=record,
        year=payload.year,
        activity=activity,
        kelurahan=kelurahan,
        pledged_value=payload.pledged_value,
        delivered_value=payload.delivered_value,
        pledged_quantity=payload.pledged_quantity,
        delivered_quantity=payload.delivered_quantity,
        unit=payload.unit,
        delivered_on=payload.delivered_on,
    )
    return Status(201, _contribution_out(contribution))


@own_router.get("", response=list[ContributionOut])
def own_contributions(request: HttpRequest) -> list[ContributionOut]:
    """A partner user's own organisations' contributions (figures only; no person)."""
    return [_contribution_out(x) for x in selectors.own_contributions(_user(request))]
