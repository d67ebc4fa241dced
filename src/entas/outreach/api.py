"""Awareness campaigns over the API: the same selectors and roles as the pages and the command line.
Campaigns and events are the city's; results are aggregates only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability

from . import selectors
from .models import Campaign

VIEW = (Capability.MANAGE_OUTREACH, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT, Capability.VIEW_REGISTRY)
RESULTS = (Capability.MANAGE_OUTREACH, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT)


router = Router(tags=["outreach"], auth=RoleAuth(VIEW, (Capability.MANAGE_OUTREACH,)))
results_router = Router(tags=["outreach"], auth=RoleAuth(RESULTS, (Capability.MANAGE_OUTREACH,)))


class CampaignOut(Schema):
    id: int
    code: str
    name: str
    theme: str
    channel: str
    programme: str
    start: str
    end: str
    events: int
    target_kelurahan: list[str]


class EventOut(Schema):
    id: int
    code: str
    date: str
    kelurahan: str
    venue: str
    budget: int
    attendees: int


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _campaign(user: User, pk: int) -> Campaign:
    try:
        return selectors.campaigns_for(user).prefetch_related("target_kelurahan").get(pk=pk)
    except Campaign.DoesNotExist:
        raise HttpError(404, "not found") from None


def _out(c: Any) -> CampaignOut:
    return CampaignOut(
        id=c.pk,
        code=c.code,
        name=c.name,
        theme=c.theme,
        channel=c.channel,
        programme=c.programme.name if c.programme else "",
        start=c.start.isoformat(),
        end=c.end.isoformat(),
        events=c.event_count,
        target_kelurahan=[r.code for r in c.target_kelurahan.all()],
    )


@router.get("", response=list[CampaignOut])
def list_outreach_campaigns(request: HttpRequest) -> list[CampaignOut]:
    """Campaigns, newest first, with their number of events (all areas) and target kelurahan."""
    return [_out(c) for c in selectors.campaigns_for(_user(request)).prefetch_related("target_kelurahan")]


@router.get("/{campaign_id}", response=CampaignOut)
def get_outreach_campaign(request: HttpRequest, campaign_id: int) -> CampaignOut:
    return _out(_campaign(_user(request), campaign_id))


@router.get("/{campaign_id}/events", response=list[EventOut])
def outreach_events(request: HttpRequest, campaign_id: int) -> list[EventOut]:
    """The campaign's events in the user's areas, with their number of identified attendees."""
    user = _user(request)
    return [
        EventOut(
            id=e.pk,
            code=e.code,
            date=e.date.isoformat(),
            kelurahan=e.kelurahan.code,
            venue=e.venue,
            budget=e.budget,
            attendees=e.attendee_count,  # type: ignore[attr-defined]
        )
        for e in selectors.events_for(user, _campaign(user, campaign_id))
    ]


@results_router.get("/{campaign_id}", response=dict[str, Any])
def outreach_results(request: HttpRequest, campaign_id: int, by: str = "") -> dict[str, Any]:
    """Reach per kelurahan, knowledge before and after (mean change with its 95 % interval, McNemar per
    question) and the follow-ups (descriptive), within the user's areas."""
    user = _user(request)
    campaign = _campaign(user, campaign_id)
    if by not in selectors.DIMENSIONS:
        raise HttpError(422, "by: event, sex or age_band")
    return {
        "campaign": campaign.code,
        "reach": selectors.reach_for(user, campaign).as_dict(),
        "knowledge": selectors.knowledge_for(user, campaign, by).as_dict(),
        "follow_ups": [w.as_dict() for w in selectors.follow_ups_for(user, campaign)],
        "follow_ups_note": "descriptive: attending households against comparable ones, not a causal estimate",
    }
