"""Eligibility rules and their previews over the API: the same selectors, services and roles as the
rule editor. A preview answers aggregates only (households and people by kelurahan, and the cost): an
analyst previews on the whole city, anyone else on their own areas, exactly as on the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability

from . import selectors, services

router = Router(tags=["targeting"], auth=RoleAuth(selectors.RULE_VIEW, (selectors.RULE_WRITE,)))


class RuleOut(Schema):
    id: int
    name: str
    expression: str
    benefit: int
    budget: int | None
    quota: int | None
    versions: int
    updated_at: dt.datetime


class RuleIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    expression: str = Field(..., description="In the rule language (docs/targeting.md).")
    benefit: int = Field(0, ge=0, description="Rupiah per household per month.")
    budget: int | None = Field(None, ge=0, description="A cap on the monthly cost (Rp).")
    quota: int | None = Field(None, ge=0, description="A cap on the households chosen.")
    note: str = ""


class PreviewIn(Schema):
    expression: str
    benefit: int = Field(0, ge=0)
    budget: int | None = Field(None, ge=0)
    quota: int | None = Field(None, ge=0)


class PreviewOut(Schema):
    rule: str
    model_version: int | None
    households: int
    eligible_households: int
    selected_households: int
    selected_people: int
    cost_per_month: int
    by_source: dict[str, int]
    by_kelurahan: list[dict[str, Any]]


def _out(rule: Any) -> RuleOut:
    return RuleOut(
        id=rule.pk,
        name=rule.name,
        expression=rule.expression,
        benefit=rule.benefit,
        budget=rule.budget,
        quota=rule.quota,
        versions=getattr(rule, "version_count", 0),
        updated_at=rule.updated_at,
    )


@router.get("/rules", response=list[RuleOut])
def list_rules(request: HttpRequest) -> list[RuleOut]:
    """The saved rules, by name (a handful: not paginated)."""
    return [_out(r) for r in selectors.rules_for(request.user)]  # type: ignore[arg-type]


@router.post("/rules", response=RuleOut)
def save_rule(request: HttpRequest, body: RuleIn) -> RuleOut:
    """Create a rule, or save a new version of the rule of that name; an invalid expression is refused
    (code ``invalid_rule``, field ``expression``, the column in the message) and nothing is written."""
    rule = services.save_rule(
        actor=request.user,  # type: ignore[arg-type]
        name=body.name,
        expression=body.expression,
        benefit=body.benefit,
        budget=body.budget,
        quota=body.quota,
        note=body.note,
    )
    counted = selectors.rules_for(request.user).get(pk=rule.pk)  # type: ignore[arg-type]
    return _out(counted)


@router.get("/preview", response=PreviewOut)
def preview(request: HttpRequest, body: Query[PreviewIn]) -> PreviewOut:
    """Who a rule would choose, by kelurahan, and at what cost (aggregates only; nothing is saved)."""
    user = request.user
    assert isinstance(user, User)
    city_wide = user.is_city_wide or user.can(Capability.VIEW_ANALYTICS)
    result = services.preview(
        expression=body.expression,
        benefit=body.benefit,
        budget=body.budget or None,
        quota=body.quota or None,
        user=None if city_wide else user,
    )
    return PreviewOut(**{k: v for k, v in result.items() if not k.startswith("_")})
