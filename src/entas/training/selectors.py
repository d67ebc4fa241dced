"""Reads of skills training, scoped through ``Model.objects.restrict(user, action)``: providers,
courses and cohorts belong to the city (scoped by role); applications and what follows them are
scoped by the applicant's kelurahan, so a kelurahan operator sees the applicants of their kelurahan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from entas.accounts.roles import Capability

from . import rules
from .choices import ApplicationStatus, Outcome
from .models import Application, Cohort, Completion, Course, Provider, Session, TracerResult

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.programs.models import Programme


def training_programmes() -> QuerySet[Programme]:
    """The programmes of the policy register a cohort may run under: the one place a training
    programme is chosen (the cohort form's choices, the catalogue loader and the demo read it)."""
    from entas.programs.models import Programme

    return Programme.objects.filter(kind=Programme.Kind.TRAINING).order_by("name")


def can_manage(user: User) -> bool:
    return user.is_authenticated and user.can(Capability.MANAGE_TRAINING)


def can_apply(user: User) -> bool:
    """Training officers, and kelurahan operators for people of their kelurahan."""
    return user.is_authenticated and (user.can(Capability.MANAGE_TRAINING) or user.can(Capability.CHANGE_REGISTRY))


def open_cohorts(user: User) -> QuerySet[Cohort]:
    """Cohorts still taking applications, soonest first."""
    from .choices import CohortStatus

    return (
        Cohort.objects.restrict(user, "view")
        .filter(status=CohortStatus.PLANNED)
        .select_related("course")
        .order_by("start", "code")
    )


def can_see_outcomes(user: User) -> bool:
    return user.is_authenticated and any(
        user.can(c) for c in (Capability.MANAGE_TRAINING, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT)
    )


def providers_for(user: User) -> QuerySet[Provider]:
    return Provider.objects.restrict(user, "view").annotate(course_count=Count("courses")).order_by("name")


def courses_for(user: User) -> QuerySet[Course]:
    return Course.objects.restrict(user, "view").select_related("provider").order_by("name")


def cohorts_for(user: User, course: Course | None = None) -> QuerySet[Cohort]:
    """Cohorts, newest first, with their counts of applications and selected trainees."""
    qs = Cohort.objects.restrict(user, "view").select_related("course__provider", "programme")
    if course is not None:
        qs = qs.filter(course=course)
    return qs.annotate(
        applicants=Count("applications", distinct=True),
        selected_count=Count("applications", filter=Q(applications__status=ApplicationStatus.SELECTED), distinct=True),
    ).order_by("-start", "code")


def applications_for(user: User, cohort: Cohort | None = None, action: str = "view") -> QuerySet[Application]:
    """Applications of the user's areas (a kelurahan operator: their kelurahan's applicants)."""
    qs = Application.objects.restrict(user, action).select_related("kelurahan", "member__household", "cohort")
    if cohort is not None:
        qs = qs.filter(cohort=cohort)
    return qs.order_by("cohort", "status", "rank", "name", "pk")


def trainees_of(cohort: Cohort, user: User) -> QuerySet[Application]:
    """The selected trainees of a cohort the user may act on, in name order."""
    return (
        Application.objects.restrict(user, "change")
        .filter(cohort=cohort, status=ApplicationStatus.SELECTED)
        .select_related("kelurahan", "completion")
        .order_by("name", "pk")
    )


def sessions_of(cohort: Cohort) -> QuerySet[Session]:
    return cohort.sessions.order_by("number")


def attendance_statuses(cohort: Cohort) -> dict[int, list[str]]:
    """Each trainee's attendance status for each session held so far (nothing recorded: absent)."""
    today = timezone.localdate()
    sessions = list(cohort.sessions.filter(date__lte=today).values_list("pk", flat=True))
    marks: dict[tuple[int, int], str] = {
        (a, s): st
        for a, s, st in cohort.applications.filter(attendance__session__in=sessions).values_list(
            "pk", "attendance__session_id", "attendance__status"
        )
    }
    ids = cohort.applications.filter(status=ApplicationStatus.SELECTED).values_list("pk", flat=True)
    return {a: [marks.get((a, s), "absent") for s in sessions] for a in ids}


@dataclass(frozen=True)
class DueFollowUp:
    application: Application
    months: int
    due: dt.date


def tracer_worklist(user: User, today: dt.date | None = None) -> list[DueFollowUp]:
    """Follow-ups due and not yet recorded, of completers of the user's areas, oldest due first."""
    today = today or timezone.localdate()
    completions = (
        Completion.objects.restrict(user, "change")
        .filter(outcome=Outcome.COMPLETED, ended_on__lte=today - dt.timedelta(days=89))
        .select_related("application__kelurahan", "application__cohort__course")
    )
    done: dict[int, set[int]] = {}
    for application_id, months in TracerResult.objects.filter(
        application__in=[c.application_id for c in completions]
    ).values_list("application_id", "months"):
        done.setdefault(application_id, set()).add(months)
    due = []
    for completion in completions:
        dates = rules.tracer_due_dates(completion.ended_on)
        for months in rules.tracer_due(completion.ended_on, done.get(completion.application_id, set()), today):
            due.append(DueFollowUp(completion.application, months, dates[months]))
    return sorted(due, key=lambda d: (d.due, d.application.name, d.application.pk))


def trainees_for_outcomes(user: User | None, course: Course | None = None) -> list[tuple[Application, rules.Trainee]]:
    """Every application the user may count (aggregates: training officers, TKPK analysts, auditors;
    None: the whole city, for the command line run by the system), as outcome figures' facts."""
    base = Application.objects.all() if user is None else Application.objects.restrict(user, "aggregate")
    qs = base.select_related("cohort__course__provider", "kelurahan", "member__household", "completion")
    if course is not None:
        qs = qs.filter(cohort__course=course)
    latest: dict[int, tuple[int, str, int | None]] = {}
    for application_id, months, employment, income in TracerResult.objects.filter(
        application__in=qs.values("pk")
    ).values_list("application_id", "months", "employment", "monthly_income"):
        if application_id not in latest or months > latest[application_id][0]:
            latest[application_id] = (months, employment, income)
    out = []
    for a in qs.order_by("pk"):
        completion: Any = getattr(a, "completion", None)
        tracer = latest.get(a.pk)
        completed = completion is not None and completion.outcome == Outcome.COMPLETED
        age = _age(a.birth_date, a.cohort.start)
        household = a.member.household if a.member is not None else None
        out.append(
            (
                a,
                rules.Trainee(
                    groups={
                        "cohort": a.cohort.code,
                        "course": a.cohort.course.name,
                        "provider": a.cohort.course.provider.name,
                        "sex": a.sex,
                        "age_band": rules.age_band(age),
                        "kelurahan": a.kelurahan.name,
                    },
                    selected=a.status == ApplicationStatus.SELECTED,
                    completed=completed,
                    certified=completed and bool(completion.certificate_number),
                    placed=(tracer[1] != "none") if tracer is not None and completed else None,
                    income_before=a.baseline_income,
                    income_after=tracer[2] if tracer is not None else None,
                    desil=household.desil_city if household is not None else None,
                    cost=a.cohort.course.cost_per_trainee,
                ),
            )
        )
    return out


GROUPINGS = ("course", "provider", "sex", "age_band", "kelurahan")


def outcomes(user: User | None, course: Course | None = None) -> dict[str, Any]:
    """Outcome figures in total and by course, provider, sex, age band and kelurahan, and per cohort
    (with its id): aggregates only, no names."""
    rows = trainees_for_outcomes(user, course)
    trainees = [t for _a, t in rows]
    cohort_ids = {a.cohort.code: a.cohort_id for a, _t in rows}
    total = rules.figures("total", trainees)
    by = {name: [f.__dict__ for f in rules.outcome_table(trainees, name)] for name in GROUPINGS}
    cohorts = [{"id": cohort_ids[f.group], **f.__dict__} for f in rules.outcome_table(trainees, "cohort")]
    course_sex = [
        {"course": course_name, "sex": sex, **f.__dict__}
        for f in rules.outcome_table(trainees, lambda t: f"{t.groups['course']}\t{t.groups['sex']}")
        for course_name, sex in [f.group.split("\t")]
    ]
    return {"total": total.__dict__, "by": by, "cohorts": cohorts, "by_course_and_sex": course_sex}


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_on(birth: dt.date, on: dt.date) -> int:
    return _age(birth, on)


def training_of_members(user: User, member_ids: list[int]) -> list[Application] | None:
    """The training applications of these members (the household page), with how each ended and the
    latest follow-up; None for a user who may not see applications."""
    from .models import PEOPLE_ACTIONS

    if not any(user.can(c) for c in PEOPLE_ACTIONS["view"]):
        return None
    rows = list(
        Application.objects.restrict(user, "view")
        .filter(member__in=member_ids)
        .select_related("cohort__course__provider")
        .order_by("-cohort__start", "name")
    )
    if not rows:
        return rows
    completions = {c.application_id: c for c in Completion.objects.filter(application__in=rows)}
    latest: dict[int, TracerResult] = {}
    for result in TracerResult.objects.filter(application__in=rows).order_by("months"):
        latest[result.application_id] = result
    for a in rows:
        a.completion_row = completions.get(a.pk)  # type: ignore[attr-defined]
        a.latest_tracer = latest.get(a.pk)  # type: ignore[attr-defined]
    return rows


def completed_courses(member_ids: list[int]) -> dict[int, set[str]]:
    """The names of the courses each of these registry persons completed. For aggregate results only
    (economic empowerment's results by training taken): the caller has chosen the people through its
    own area scoping, and shows no person."""
    out: dict[int, set[str]] = {}
    rows = Completion.objects.filter(application__member__in=member_ids, outcome=Outcome.COMPLETED).values_list(
        "application__member_id", "application__cohort__course__name"
    )
    for member_id, name in rows:
        out.setdefault(member_id, set()).add(name)
    return out


def home_counts(user: User) -> dict[str, int]:
    """What waits for a training officer: cohorts open for applications, follow-ups due."""
    from .choices import CohortStatus

    return {
        "open": Cohort.objects.restrict(user, "view").filter(status=CohortStatus.PLANNED).count(),
        "follow_ups": len(tracer_worklist(user)),
    }


def to_register(user: User) -> QuerySet[Application]:
    """Applicants not (yet) in the registry, of the user's areas: for the kelurahan operator to
    register and verify (the selection links them once a member has their NIK)."""
    return (
        Application.objects.restrict(user, "view")
        .filter(member__isnull=True, needs_verification=True)
        .select_related("kelurahan", "cohort__course")
        .order_by("kelurahan__name", "name", "pk")
    )


def tracer_panel(user: User | None, months: int, ended_from: dt.date, ended_to: dt.date) -> list[tuple[Any, ...]]:
    """The tracer study as an evaluation's outcome (entas.evaluation.datasets; aggregates only): for each
    trainee who completed a course ending between the two days (inclusive) and was followed up at
    ``months``, in application order: application id, household id (None when the trainee is not in
    the registry), kelurahan id, monthly income at application, monthly income at the follow-up,
    employment at it (wage, self, none). ``user`` None: the whole city (the command line)."""
    base = TracerResult.objects.all() if user is None else TracerResult.objects.restrict(user, "aggregate")
    return list(
        base.filter(
            months=months,
            application__completion__outcome=Outcome.COMPLETED,
            application__completion__ended_on__gte=ended_from,
            application__completion__ended_on__lte=ended_to,
        )
        .order_by("application_id")
        .values_list(
            "application_id",
            "application__member__household_id",
            "application__kelurahan_id",
            "application__baseline_income",
            "monthly_income",
            "employment",
        )
    )
