"""Official reports over the API: the reports and their versions, the archived file of a final version,
and generating a new version as a background job: the same selectors, services and roles as the pages
(``reports.view`` to read, ``reports.edit`` to generate)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field, StrictBool

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.core import jobqueue
from entas.core.errors import Problem, Refused

from . import builders, render, selectors, services
from .document import Narrative, from_dict
from .jobs import GENERATE_KIND
from .models import ReportVersion

router = Router(
    tags=["reports"], auth=RoleAuth((Capability.VIEW_REPORTS, Capability.EDIT_REPORTS), (Capability.EDIT_REPORTS,))
)


class OfficialReportOut(Schema):
    id: int
    kind: str
    year: int
    quarter: int | None
    programme: str | None
    sections: list[str]
    versions: int
    latest_status: str | None
    latest_snapshot: dt.date | None


class ReportVersionOut(Schema):
    number: int
    status: str
    snapshot: dt.date
    generated_at: dt.datetime
    finalised_at: dt.datetime | None
    inputs: list[str]
    changes: int
    files: list[str]


class ReportGenerateIn(Schema):
    kind: str = Field(description="lp2kd, rpkd_profile, extreme_poverty or programme")
    year: int = Field(ge=2000, le=2100)
    quarter: int | None = Field(default=None, ge=1, le=4, description="the quarter of an extreme_poverty report")
    programme: int | None = Field(default=None, description="the programme's id, for a programme report")
    sections: list[str] = Field(default_factory=list, description="the LP2KD's sections, in order (default: all)")
    as_of: dt.date | None = Field(default=None, description="the data date (default: today)")


class ReportJobOut(Schema):
    job: int
    kind: str
    report: int


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # RoleAuth let only signed-in users through
    return user


@router.get("", response=list[OfficialReportOut], url_name="reports_list")
def list_reports(request: HttpRequest) -> Any:
    """Every report with its number of versions and its newest version's status and data date."""
    return [
        {
            "id": r.pk,
            "kind": r.kind,
            "year": r.year,
            "quarter": r.quarter,
            "programme": r.programme.name if r.programme else None,
            "sections": list(r.sections or []),
            "versions": r.version_count,  # type: ignore[attr-defined]
            "latest_status": r.latest_status,  # type: ignore[attr-defined]
            "latest_snapshot": r.latest_snapshot,  # type: ignore[attr-defined]
        }
        for r in selectors.reports_for(_user(request))[:500]
    ]


@router.get("/{report_id}/versions", response=list[ReportVersionOut], url_name="reports_versions")
def list_versions(request: HttpRequest, report_id: int) -> Any:
    """A report's versions, newest first; ``files``: the formats archived (a final version's)."""
    report = selectors.report_for(_user(request), report_id)
    return [_version_out(v) for v in selectors.versions_of(report)]


def _version_out(v: ReportVersion) -> dict[str, Any]:
    return {
        "number": v.number,
        "status": v.status,
        "snapshot": v.snapshot,
        "generated_at": v.generated_at,
        "finalised_at": v.finalised_at,
        "inputs": list(v.inputs),
        "changes": len(v.changes),
        "files": [fmt for fmt in render.FORMATS if v.is_final and getattr(v, fmt)],
    }


BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/{report_id}/versions/{number}/{fmt}",
    url_name="reports_download",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The archived file of a final version, checked against its SHA-256",
                "content": {render.CONTENT_TYPES[fmt]: BINARY for fmt in render.FORMATS},
            }
        }
    },
)
def download(request: HttpRequest, report_id: int, number: int, fmt: str) -> HttpResponse:
    """The archived PDF, DOCX or XLSX of a **final** version (a draft is refused: its file is rendered on
    the report page, marked DRAF, and is not the report)."""
    if fmt not in render.FORMATS:
        raise HttpError(404, _("Unknown format."))
    user = _user(request)
    report = selectors.report_for(user, report_id)
    version = selectors.version_for(user, report, number)
    if not version.is_final:
        raise Refused(_("Only a final version's archived file can be downloaded here."), code="conflict")
    content = services.archived(version, fmt)
    quarter = f"-q{report.quarter}" if report.quarter else ""
    response = HttpResponse(content, content_type=render.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{report.kind}-{report.year}{quarter}-v{number}.{fmt}"'
    return response


@router.post("/generate", response={202: ReportJobOut}, url_name="reports_generate")
def generate(request: HttpRequest, body: ReportGenerateIn) -> Any:
    """Create the report of that kind and period (or take the existing one) and queue the generation
    of a new draft version; the job (``GET /v1/jobs/{id}``) shows its progress."""
    from entas.programs.models import Programme

    user = _user(request)
    programme = None
    if body.programme is not None:
        programme = Programme.objects.filter(pk=body.programme).first()
        if programme is None:
            raise Refused(_("Unknown programme."), code="not_found")
    if body.kind not in builders.KINDS:
        raise Refused(_("Unknown kind of report %(kind)r.") % {"kind": body.kind}, code="invalid")
    report = services.create_report(
        kind=body.kind,
        year=body.year,
        quarter=body.quarter,
        programme=programme,
        sections=body.sections,
        actor=user,
    )
    latest = selectors.latest_version(report)
    if latest is not None and latest.is_final:
        raise Refused(_("The report is final: its archived version cannot be regenerated."), code="conflict")
    params: dict[str, Any] = {"report": report.pk}
    if body.as_of is not None:
        params["day"] = body.as_of.isoformat()
    job = jobqueue.submit(kind=GENERATE_KIND, params=params, actor=user)
    return Status(202, {"job": job.pk, "kind": GENERATE_KIND, "report": report.pk})


# -- a draft's narrative, its files, finalising (maker-checker) and what changed ------------------------


class NarrativeSlotOut(Schema):
    key: str
    hint: str = Field(description="What the section should say (the document's hint).")
    text: str


class NarrativeOut(Schema):
    number: int = Field(description="The version whose narrative this is (the newest).")
    status: str
    sections: list[NarrativeSlotOut]


class NarrativeIn(Schema):
    sections: dict[str, str] = Field(
        description="The narrative sections to write, by key (GET …/narrative lists them); the others are kept."
    )


def _latest(request: HttpRequest, report_id: int) -> ReportVersion:
    report = selectors.report_for(_user(request), report_id)
    latest = selectors.latest_version(report)
    if latest is None:
        raise HttpError(404, _("The report has no version yet."))
    return latest


def _narrative_out(version: ReportVersion) -> NarrativeOut:
    doc = from_dict(version.document)
    hints = {b.key: b.hint for s in doc.sections for b in s.blocks if isinstance(b, Narrative)}
    return NarrativeOut(
        number=version.number,
        status=version.status,
        sections=[
            NarrativeSlotOut(key=k, hint=str(hints.get(k, "")), text=version.narrative.get(k, ""))
            for k in doc.narrative_keys()
        ],
    )


@router.get("/{report_id}/narrative", response=NarrativeOut, url_name="reports_narrative")
def narrative(request: HttpRequest, report_id: int) -> NarrativeOut:
    """The newest version's narrative sections, each with its hint and its text (the report page's slots)."""
    return _narrative_out(_latest(request, report_id))


@router.put("/{report_id}/narrative", response=NarrativeOut, url_name="reports_narrative_write")
def write_narrative(request: HttpRequest, report_id: int, body: NarrativeIn) -> NarrativeOut:
    """Write narrative sections of the newest draft (the report page's service; audited as
    ``reports.narrative``). Whoever writes it becomes one of its makers, who may not finalise it.
    A final version: 409; an unknown section: 400."""
    version = services.edit_narrative(
        version=_latest(request, report_id), narrative=body.sections, actor=_user(request)
    )
    return _narrative_out(version)


class FinaliseIn(Schema):
    confirm: StrictBool = Field(description="true: the report is checked (the page's tick box).")


@router.post("/{report_id}/finalise", response=ReportVersionOut, url_name="reports_finalise")
def finalise(request: HttpRequest, report_id: int, body: FinaliseIn) -> Any:
    """Make the newest draft final (checker): never by who generated it or wrote its narrative (403).
    Its PDF, DOCX and XLSX are rendered once and archived with their SHA-256 (then
    ``GET …/versions/{n}/{fmt}``); irreversible."""
    user = _user(request)
    latest = _latest(request, report_id)
    if not body.confirm:
        raise Refused(
            _("Tick the box to confirm that the report is checked."),
            code="invalid",
            issues=[Problem("confirm", _("Confirm that the report is checked."))],
        )
    return _version_out(services.finalise(version=latest, actor=user))


@router.get(
    "/{report_id}/versions/{number}/draft/{fmt}",
    url_name="reports_draft_file",
    openapi_extra={
        "responses": {
            "200": {
                "description": "A draft rendered now, marked DRAF (not the report)",
                "content": {render.CONTENT_TYPES[fmt]: BINARY for fmt in render.FORMATS},
            }
        }
    },
)
def draft_file(request: HttpRequest, report_id: int, number: int, fmt: str) -> HttpResponse:
    """A **draft** version as PDF, DOCX or XLSX, rendered now and marked DRAF, as the report page
    offers it for checking (a final version answers 409: its archived file is ``…/versions/{n}/{fmt}``)."""
    if fmt not in render.FORMATS:
        raise HttpError(404, _("Unknown format."))
    user = _user(request)
    report = selectors.report_for(user, report_id)
    version = selectors.version_for(user, report, number)
    if version.is_final:
        raise Refused(_("The version is final: download its archived file."), code="conflict")
    content = render.render(fmt, from_dict(version.document), version.narrative, draft=True)
    quarter = f"-q{report.quarter}" if report.quarter else ""
    response = HttpResponse(content, content_type=render.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = (
        f'attachment; filename="{report.kind}-{report.year}{quarter}-v{number}-draft.{fmt}"'
    )
    return response


class FigureChangeOut(Schema):
    key: str = Field(description="The figure.")
    before: int | float | str | None = None
    after: int | float | str | None = None


class ChangesOut(Schema):
    number: int
    previous: int | None = Field(description="The version compared with (the one before), if any.")
    changes: list[FigureChangeOut]


@router.get("/{report_id}/changes/{number}", response=ChangesOut, url_name="reports_changes")
def changes(request: HttpRequest, report_id: int, number: int) -> ChangesOut:
    """What changed in a version since the previous one: every figure that moved, before and after
    (the report page's comparison of versions)."""
    user = _user(request)
    report = selectors.report_for(user, report_id)
    version = selectors.version_for(user, report, number)
    previous = number - 1 if number > 1 else None
    return ChangesOut(
        number=version.number,
        previous=previous,
        changes=[
            FigureChangeOut(key=str(c.get("key", "")), before=c.get("before"), after=c.get("after"))
            for c in version.changes
        ],
    )
