"""Skills training over the API: the same selectors, services and roles as the pages and the
command line. Applicants' NIKs are masked; outcomes are figures only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.core.ids import mask_nik

from . import selectors, services
from .models import Cohort

VIEW = (Capability.MANAGE_TRAINING, Capability.VIEW_REGISTRY, Capability.VIEW_AUDIT)
APPLY = (Capability.MANAGE_TRAINING, Capability.CHANGE_REGISTRY)
OUTCOMES = (Capability.MANAGE_TRAINING, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT)
router = Router(tags=["training"], auth=RoleAuth(VIEW, APPLY))
outcomes_router = Router(tags=["training"], auth=RoleAuth(OUTCOMES))


class CohortOut(Schema):
    id: int
    code: str
    course: str
    provider: str
    programme: str
    start: str
    end: str
    seats: int
    status: str
    applicants: int
    selected: int


class ApplicationOut(Schema):
    id: int
    nik: str
    name: str
    sex: str
    kelurahan: str
    status: str
    rank: int | None
    reason: str
    in_registry: bool
    decided_by_hand: bool


class ApplyIn(Schema):
    rule: str = ""
    nik: str = ""


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _cohort(user: User, pk: int) -> Cohort:
    try:
        return selectors.cohorts_for(user).get(pk=pk)
    except Cohort.DoesNotExist:
        raise HttpError(404, "not found") from None


def _out(c: Any) -> CohortOut:
    return CohortOut(
        id=c.pk,
        code=c.code,
        course=c.course.name,
        provider=c.course.provider.name,
        programme=c.programme.name if c.programme else "",
        start=c.start.isoformat(),
        end=c.end.isoformat(),
        seats=c.seats,
        status=c.status,
        applicants=c.applicants,
        selected=c.selected_count,
    )


@router.get("", response=list[CohortOut])
def list_training_cohorts(request: HttpRequest) -> list[CohortOut]:
    """Cohorts, newest first, with their counts of applicants (all areas) and selected trainees."""
    return [_out(c) for c in selectors.cohorts_for(_user(request))]


@router.get("/{cohort_id}", response=CohortOut)
def get_training_cohort(request: HttpRequest, cohort_id: int) -> CohortOut:
    return _out(_cohort(_user(request), cohort_id))


@router.get("/{cohort_id}/applications", response=list[ApplicationOut])
def training_applications(request: HttpRequest, cohort_id: int) -> list[ApplicationOut]:
    """The cohort's applicants of the user's areas, with their decisions and reasons (NIK masked)."""
    user = _user(request)
    return [
        ApplicationOut(
            id=a.pk,
            nik=mask_nik(a.nik),
            name=a.name,
            sex=a.sex,
            kelurahan=a.kelurahan.code,
            status=a.status,
            rank=a.rank,
            reason=a.reason,
            in_registry=a.member_id is not None,
            decided_by_hand=bool(a.override_reason),
        )
        for a in selectors.applications_for(user, _cohort(user, cohort_id))
    ]


@router.post("/{cohort_id}/apply", response=dict[str, Any])
def training_apply(request: HttpRequest, cohort_id: int, payload: ApplyIn) -> dict[str, Any]:
    """Apply the people a targeting rule selects (evaluated once per person), or one NIK."""
    user = _user(request)
    cohort = _cohort(user, cohort_id)
    if bool(payload.rule) == bool(payload.nik):
        raise HttpError(422, "give a rule or a NIK")
    if payload.rule:
        return services.apply_rule(cohort=cohort, expression=payload.rule, actor=user).as_dict()
    application, outcome = services.apply_person(cohort=cohort, nik=payload.nik, actor=user)
    return {"id": application.pk, "outcome": outcome}


@router.post("/{cohort_id}/select", response=dict[str, Any])
def training_select(request: HttpRequest, cohort_id: int) -> dict[str, Any]:
    """Run the selection: seats, selected, selected_niks, waiting, not_eligible, overrides, quotas."""
    user = _user(request)
    return services.select_cohort(cohort=_cohort(user, cohort_id), actor=user)


@outcomes_router.get("", response=dict[str, Any])
def training_outcomes(request: HttpRequest, course: str = "") -> dict[str, Any]:
    """Outcome figures in total, by course, provider, sex, age band and kelurahan, and per cohort."""
    user = _user(request)
    chosen = selectors.courses_for(user).filter(code=course).first() if course else None
    if course and chosen is None:
        raise HttpError(404, "not found")
    return selectors.outcomes(user, chosen)
