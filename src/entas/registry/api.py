from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.forms.models import model_to_dict
from django.http import FileResponse, Http404, HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import CursorPagination, paginate
from pydantic import StrictBool

from entas.accounts.api import RoleAuth
from entas.accounts.roles import Capability
from entas.accounts.scoping import visible_regions
from entas.core import jobqueue
from entas.core.errors import Problem, Refused, from_form
from entas.regions.models import RegionLevel

from . import selectors, services
from .choices import RegistrationSource, Relationship, Sex, VerificationStatus
from .forms import HouseholdForm, UploadForm
from .jobs import submit_import
from .models import ChangeRequest, Household

router = Router(tags=["registry"])
# Writes need the role before the body is read (the services check again, with the areas).
CHANGE = RoleAuth((Capability.CHANGE_REGISTRY,))


class HouseholdOut(Schema):
    id: int
    kk_number: str
    kelurahan_code: str = Field(..., alias="kelurahan.code")
    kelurahan: str = Field(..., alias="kelurahan.name")
    address: str
    rt: str
    rw: str
    size: int


class MemberOut(Schema):
    id: int
    nik_masked: str = Field(..., alias="masked_nik")
    name: str
    sex: str
    birth_date: dt.date
    relationship: str


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut] = Field(..., alias="current_members")


@router.get("", response=list[HouseholdOut])
@paginate(CursorPagination, ordering=("pk",), page_size=100)
def list_households(
    request: HttpRequest,
    q: str = Query("", description="A NIK, a KK number (or its start, from 8 digits), a name or an address."),
    kelurahan: str = Query("", description="A kelurahan's Kemendagri code, e.g. 64.71.01.1001."),
    status: str = Query("", description="The verification status: " + ", ".join(VerificationStatus.values)),
    max_desil: int | None = Query(None, ge=1, le=10, description="Households of this city desil or below."),
) -> QuerySet[Any]:
    """Households in the caller's areas (none outside them, whatever the query), by id, a page at a
    time: follow ``next`` (a cursor), so a page costs the same at the start or the end of a city."""
    wanted = selectors.SearchFilters(query=q, kelurahan=kelurahan, status=status, max_desil=max_desil)
    return selectors.search_households(request.user, wanted).select_related("kelurahan")  # type: ignore[arg-type]


@router.get("/{household_id}", response=HouseholdDetailOut)
def get_household(request: HttpRequest, household_id: int) -> Household:
    """One household with its members (NIKs masked). 404 outside the caller's areas. Audited."""
    try:
        household = selectors.household_for(request.user, household_id)  # type: ignore[arg-type]
    except Household.DoesNotExist:
        raise Http404 from None
    services.record_household_view(actor=request.user, household=household)  # type: ignore[arg-type]
    household.current_members = list(selectors.members_of(household))  # type: ignore[attr-defined]
    household.size = len(household.current_members)  # type: ignore[attr-defined]
    return household


def _household(request: HttpRequest, household_id: int) -> Household:
    try:
        return selectors.household_for(request.user, household_id)  # type: ignore[arg-type]
    except Household.DoesNotExist:
        raise Http404 from None


class VerifyIn(Schema):
    visit_date: dt.date
    confirmed: StrictBool
    reason: str = Field("", description="Why the household is rejected (needed when not confirmed).")


class VerifyOut(Schema):
    id: int
    verification_status: str
    version: int


@router.post("/{household_id}/verification", response=VerifyOut, auth=CHANGE)
def verify_household(request: HttpRequest, household_id: int, body: VerifyIn) -> Household:
    """An operator's field check of a household: confirmed → ``diverifikasi``, not → ``ditolak`` with
    the reason (the same service and rules as the household's verification page)."""
    household = _household(request, household_id)
    return services.verify_household(
        actor=request.user,  # type: ignore[arg-type]
        household=household,
        visit_date=body.visit_date,
        confirmed=body.confirmed,
        reason=body.reason,
    )


class ChangeIn(Schema):
    kind: ChangeRequest.Kind
    payload: dict[str, Any] = Field(
        default_factory=dict,
        description="add_member: nik, name, sex, birth_date, relationship; remove_member: member_id; "
        "move_member: member_id, target_household_id, relationship; correct_member: member_id and the fields; "
        "new_kk: kk_number.",
    )
    reason: str


class ChangeOut(Schema):
    id: int
    household_id: int
    kk_number: str
    kelurahan_code: str
    kind: str
    status: str
    reason: str
    requested_by: str
    requested_at: dt.datetime
    details: list[list[str]] = Field(default_factory=list, description="(label, value) pairs, NIKs masked.")


class ChangePage(Schema):
    results: list[ChangeOut]
    next_after: int | None = Field(None, description="Pass as ``after`` for the next page; null on the last.")


def _change_out(change: ChangeRequest) -> ChangeOut:
    details = [[str(label), str(value)] for label, value in getattr(change, "details", [])]
    return ChangeOut(
        id=change.pk,
        household_id=change.household_id,
        kk_number=change.household.kk_number,
        kelurahan_code=change.household.kelurahan.code,
        kind=change.kind,
        status=change.status,
        reason=change.reason,
        requested_by=change.requested_by.username,
        requested_at=change.requested_at,
        details=details,
    )


@router.post("/{household_id}/change-requests", response={201: ChangeOut}, auth=CHANGE)
def request_change(request: HttpRequest, household_id: int, body: ChangeIn) -> Status[ChangeOut]:
    """Ask for a change to a family (maker): checked now, applied when another person approves."""
    household = _household(request, household_id)
    change = services.request_change(
        actor=request.user,  # type: ignore[arg-type]
        household=household,
        kind=body.kind,
        payload=body.payload,
        reason=body.reason,
    )
    change = ChangeRequest.objects.select_related("household__kelurahan", "requested_by").get(pk=change.pk)
    return Status(201, _change_out(change))


# Change requests waiting for a decision are the approvers' (maker-checker: a second person decides).
changes_router = Router(tags=["registry"], auth=RoleAuth((Capability.APPROVE_REGISTRY,)))


@changes_router.get("", response=ChangePage)
def list_changes(request: HttpRequest, after: int = 0, limit: int = Query(50, ge=1, le=200)) -> ChangePage:
    """The change requests waiting for the caller's decision (families in their areas), by id, a page
    at a time: pass ``next_after`` as ``after``."""
    rows, following = selectors.pending_changes_page(request.user, after=after, limit=limit)  # type: ignore[arg-type]
    return ChangePage(results=[_change_out(c) for c in rows], next_after=following)


class ChangeDecisionIn(Schema):
    approve: StrictBool
    note: str = ""


@changes_router.post("/{change_id}/decision", response=ChangeOut)
def decide_change(request: HttpRequest, change_id: int, body: ChangeDecisionIn) -> ChangeOut:
    """Approve (and apply) or reject a change request (checker): never one's own request."""
    change = ChangeRequest.objects.filter(
        pk=change_id,
        household__in=selectors.households_for(request.user),  # type: ignore[arg-type]
    ).first()
    if change is None:
        raise Http404
    decided = services.decide_change(actor=request.user, request=change, approve=body.approve, note=body.note)  # type: ignore[arg-type]
    decided = ChangeRequest.objects.select_related("household__kelurahan", "requested_by").get(pk=decided.pk)
    return _change_out(decided)


class HouseholdEditIn(Schema):
    version: int = Field(..., ge=0, description="The household's version read before the edit (a later save: 409).")
    values: dict[str, str | int | float | bool | None] = Field(
        ...,
        description="The variables to change, by name (address, rt, rw, latitude, longitude, housing, utilities, "
        "assets, property, livestock, access: docs/data-dictionary.md); membership and KK changes are change "
        "requests.",
    )


class HouseholdEditOut(Schema):
    id: int
    version: int
    changed: list[str]


@router.patch("/{household_id}", response=HouseholdEditOut, auth=CHANGE)
def edit_household(request: HttpRequest, household_id: int, body: HouseholdEditIn) -> dict[str, Any]:
    """Edit a household's variables: the same form, rules and service as the household's edit page
    (each value checked by the field's type and choices, then ``validate_household``). Audited as
    ``household.update``; tells the ``household.changed`` webhooks."""
    household = _household(request, household_id)
    unknown = sorted(set(body.values) - set(services.EDITABLE_FIELDS))
    if unknown:
        raise Refused(
            _("These fields cannot be edited here: %(fields)s.") % {"fields": ", ".join(unknown)},
            code="invalid",
            issues=[Problem(name, _("Not an editable variable.")) for name in unknown],
        )
    before = model_to_dict(household, fields=services.EDITABLE_FIELDS)
    form = HouseholdForm({**before, **body.values, "version": body.version}, instance=household)
    if not form.is_valid():
        issues = [Problem(name if name != "__all__" else "", str(m)) for name, ms in form.errors.items() for m in ms]
        raise Refused(issues[0].message, code="invalid", issues=issues)
    values = {name: form.cleaned_data[name] for name in body.values}
    updated = services.update_household(
        actor=request.user,  # type: ignore[arg-type]
        household=Household.objects.get(pk=household.pk),
        values=values,
        expected_version=body.version,
    )
    return {
        "id": updated.pk,
        "version": updated.version,
        "changed": sorted(k for k in values if before[k] != values[k]),
    }


class NewMemberIn(Schema):
    nik: str = Field(..., max_length=20)
    name: str = Field(..., min_length=1, max_length=120)
    sex: Sex
    birth_date: dt.date
    relationship: Relationship


class RegisterIn(Schema):
    kelurahan: str = Field(..., max_length=20, description="The kelurahan's Kemendagri code, e.g. 64.71.01.1001.")
    kk_number: str = Field(..., max_length=20)
    address: str = Field("", max_length=200)
    rt: str = Field("", max_length=3)
    rw: str = Field("", max_length=3)
    source: Literal["operator", "usulan"] = "operator"
    members: list[NewMemberIn] = Field(..., min_length=1, max_length=30)


class RegisteredOut(Schema):
    id: int
    kk_number: str
    verification_status: str
    version: int


@router.post("", response={201: RegisteredOut}, auth=CHANGE)
def register_household(request: HttpRequest, body: RegisterIn) -> Status[RegisteredOut]:
    """Register a new family with its members: the same rules as the registration page and the import
    (NIK and KK checks, the family's composition, numbers already registered answered without naming
    the family); it is a proposal (``usulan``) until verified and ratified. Audited."""
    user: Any = request.user
    kelurahan = visible_regions(user).filter(level=RegionLevel.KELURAHAN, code=body.kelurahan.strip()).first()
    if kelurahan is None:
        raise Refused(
            _("No kelurahan %(code)s in your areas.") % {"code": body.kelurahan[:20]},
            code="invalid",
            issues=[Problem("kelurahan", _("Not a kelurahan of your areas."))],
        )
    household = services.register_household(
        actor=user,
        kelurahan=kelurahan,
        values={
            "kk_number": "".join(body.kk_number.split()),
            "address": body.address,
            "rt": body.rt,
            "rw": body.rw,
        },
        members=[
            {
                "nik": "".join(m.nik.split()),
                "name": m.name,
                "sex": m.sex.value,
                "birth_date": m.birth_date,
                "relationship": m.relationship.value,
            }
            for m in body.members
        ],
        source=body.source,
    )
    return Status(201, RegisteredOut.model_validate(household, from_attributes=True))


# -- the registry as a whole: ratification, import and export files (mounted at /v1/registry) ----------

whole_router = Router(tags=["registry"])
APPROVE = RoleAuth((Capability.APPROVE_REGISTRY,))
EXPORT = RoleAuth((Capability.EXPORT_REGISTRY,))
BINARY = {"schema": {"type": "string", "format": "binary"}}
FILE_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


class KelurahanCountsOut(Schema):
    code: str
    name: str
    usulan: int
    diverifikasi: int
    disahkan: int
    ditolak: int


@whole_router.get("/ratification", response=list[KelurahanCountsOut], auth=APPROVE, url_name="registry_ratification")
def ratification_counts(request: HttpRequest) -> list[dict[str, Any]]:
    """Per kelurahan of the caller's areas, households by verification status: ``diverifikasi`` are
    the ones a ratification would make ``disahkan`` (the ratification page's table; one GROUP BY)."""
    rows = selectors.verification_counts(request.user)  # type: ignore[arg-type]
    return [
        {"code": r["kelurahan"].code, "name": r["kelurahan"].name, **{s: r[s] for s in VerificationStatus.values}}
        for r in rows
    ]


class RatifiedOut(Schema):
    kelurahan: str
    ratified: int = Field(..., description="Households made ``disahkan``.")
    household_ids: list[int]


@whole_router.post("/ratification/{kelurahan_code}", response=RatifiedOut, auth=APPROVE, url_name="registry_ratify")
def ratify(request: HttpRequest, kelurahan_code: str) -> dict[str, Any]:
    """Ratify every verified household of a kelurahan at once (``diverifikasi`` → ``disahkan``): the
    ratification page's service, audited as ``household.ratify``; irreversible. 404 for a kelurahan
    outside the caller's areas; 400 when none waits."""
    user: Any = request.user
    kelurahan = visible_regions(user).filter(code=kelurahan_code, level=RegionLevel.KELURAHAN).first()
    if kelurahan is None:
        raise Http404
    ids = services.ratify_kelurahan(actor=user, kelurahan_id=kelurahan.pk)
    return {"kelurahan": kelurahan.code, "ratified": len(ids), "household_ids": ids}


class JobStartedOut(Schema):
    job: int
    kind: str


class ImportIn(Schema):
    source: RegistrationSource = RegistrationSource.OPERATOR
    dry_run: bool = Field(False, description="Check only: write nothing (and lock nothing).")


@whole_router.post("/imports", response={202: JobStartedOut}, auth=CHANGE, url_name="registry_import")
def start_import(request: HttpRequest, file: File[UploadedFile], body: Form[ImportIn]) -> Status[JobStartedOut]:
    """Upload a registry file (CSV or XLSX, the import template's columns; multipart ``file``) and
    start its import as a background job: the import page's checks (a CSV or XLSX file within
    ENTAS_IMPORT_MAX_FILE_MB) and job. Follow ``GET /v1/jobs/{job}``; the rejected rows, if any, are
    ``GET /v1/registry/imports/{job}/rejected``. Another import into the caller's areas under way: 409."""
    form = UploadForm({"source": body.source.value, "dry_run": body.dry_run}, MultiValueDict({"file": [file]}))
    if not form.is_valid():
        raise from_form(form)
    job = submit_import(
        upload=form.cleaned_data["file"],
        source=form.cleaned_data["source"],
        dry_run=form.cleaned_data["dry_run"],
        actor=request.user,  # type: ignore[arg-type]
    )
    return Status(202, JobStartedOut(job=job.pk, kind=job.kind))


class ExportIn(Schema):
    format: Literal["csv", "xlsx", "parquet"] = "csv"


@whole_router.post("/exports", response={202: JobStartedOut}, auth=EXPORT, url_name="registry_export")
def start_export(request: HttpRequest, body: ExportIn) -> Status[JobStartedOut]:
    """Start the export of the households of the caller's areas (the import format: CSV, XLSX or
    Parquet) as a background job, as the household list's export button does; the file is
    ``GET /v1/registry/exports/{job}/file`` once the job has succeeded."""
    job = jobqueue.submit(kind="registry.export", params={"format": body.format}, actor=request.user)  # type: ignore[arg-type]
    return Status(202, JobStartedOut(job=job.pk, kind=job.kind))


def _result_file(request: HttpRequest, job_id: int, kind: str) -> FileResponse:
    job = selectors.own_job(request.user, job_id, kind)  # type: ignore[arg-type]
    if job is None:
        raise Http404
    if not job.result_file:
        if job.is_finished:
            raise Http404
        raise Refused(
            _("The job has not finished yet: follow GET /api/v1/jobs/%(id)d.") % {"id": job.pk}, code="conflict"
        )
    name = job.result_file.name.rsplit("/", 1)[-1]
    content_type = FILE_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=name, content_type=content_type)


@whole_router.get(
    "/exports/{job_id}/file",
    auth=EXPORT,
    url_name="registry_export_file",
    openapi_extra={
        "responses": {
            "200": {"description": "The exported file", "content": dict.fromkeys(set(FILE_TYPES.values()), BINARY)}
        }
    },
)
def export_file(request: HttpRequest, job_id: int) -> FileResponse:
    """The file of one's own export job (an administrator: anyone's). 409 while it is queued or
    running; 404 for another's job, another kind of job, or a job that failed. Audited as a read."""
    return _result_file(request, job_id, "registry.export")


@whole_router.get(
    "/imports/{job_id}/rejected",
    auth=CHANGE,
    url_name="registry_import_rejected",
    openapi_extra={
        "responses": {
            "200": {"description": "The rejected rows with their reasons (CSV)", "content": {"text/csv": BINARY}}
        }
    },
)
def import_rejections(request: HttpRequest, job_id: int) -> FileResponse:
    """The rejected rows of one's own import job, each with its row number and reasons (the file to
    fix and import again). 404 when no row was rejected; 409 while the job is queued or running."""
    return _result_file(request, job_id, "registry.import")
