"""Pages of the official reports: thin: read through :mod:`.selectors`, write through :mod:`.services`."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.core import jobqueue
from entas.core.decorators import AuthenticatedRequest, require

from . import builders, selectors, services
from . import render as renderer
from .document import Narrative, Paragraph, Table, format_cell, from_dict
from .models import ReportKind, VersionStatus

VIEW = (Capability.VIEW_REPORTS, Capability.EDIT_REPORTS)


@require(VIEW)
def report_list(request: AuthenticatedRequest) -> HttpResponse:
    """Every report with its newest version's status."""
    reports = list(selectors.reports_for(request.user)[:200])
    labels = dict(VersionStatus.choices)
    rows = [(r, labels.get(r.latest_status, "–")) for r in reports]  # type: ignore[attr-defined]
    return render(request, "reports/list.html", {"rows": rows, "can_edit": request.user.can(Capability.EDIT_REPORTS)})


@require(Capability.EDIT_REPORTS)
def new(request: AuthenticatedRequest) -> HttpResponse:
    """Create a report (or open the one of that kind and period) and generate its first version."""
    from entas.programs.models import Programme

    programmes = list(Programme.objects.order_by("name").values_list("pk", "name"))
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        year_text = request.POST.get("year", "")
        quarter_text = request.POST.get("quarter", "")
        programme_pk = request.POST.get("programme", "")
        programme = Programme.objects.filter(pk=programme_pk).first() if programme_pk.isdigit() else None
        report = services.create_report(
            kind=kind,
            year=int(year_text) if year_text.isdigit() else 0,
            quarter=int(quarter_text) if quarter_text.isdigit() else None,
            programme=programme,
            sections=request.POST.getlist("sections"),
            actor=request.user,
        )
        job = jobqueue.submit(kind="reports.generate", params={"report": report.pk}, actor=request.user)
        messages.info(request, _("The report is being generated; this page shows its progress."))
        return redirect("jobs:detail", pk=job.pk)
    return render(
        request,
        "reports/new.html",
        {
            "kinds": ReportKind.choices,
            "programmes": programmes,
            "sections": list(builders.lp2kd_section_titles().items()),
        },
    )


@require(VIEW)
def detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = selectors.report_for(request.user, pk)
    versions = list(selectors.versions_of(report))
    latest = versions[0] if versions else None
    doc = from_dict(latest.document) if latest is not None else None
    slots = []
    preview = []
    if doc is not None:
        for section in doc.sections:
            blocks = []
            for b in section.blocks:
                if isinstance(b, Table):
                    rows = [[format_cell(v, f) for v, f in zip(row, b.formats, strict=False)] for row in b.rows]
                    blocks.append({"kind": "table", "title": b.title, "columns": b.columns, "rows": rows})
                elif isinstance(b, Paragraph):
                    blocks.append({"kind": "paragraph", "text": b.text})
            preview.append({"title": section.title, "blocks": blocks})
    if doc is not None and latest is not None:
        hints = {b.key: b.hint for s in doc.sections for b in s.blocks if isinstance(b, Narrative)}
        slots = [(key, hints[key], latest.narrative.get(key, "")) for key in doc.narrative_keys()]
    user = request.user
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "versions": versions,
            "latest": latest,
            "doc": doc,
            "preview": preview,
            "slots": slots,
            "formats": renderer.FORMATS,
            "can_edit": user.can(Capability.EDIT_REPORTS) and latest is not None and not latest.is_final,
            "can_generate": user.can(Capability.EDIT_REPORTS) and (latest is None or not latest.is_final),
            "can_finalise": user.can(Capability.EDIT_REPORTS)
            and latest is not None
            and not latest.is_final
            and user.pk not in latest.makers(),
        },
    )


@require(Capability.EDIT_REPORTS)
@require_POST
def generate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = selectors.report_for(request.user, pk)
    job = jobqueue.submit(kind="reports.generate", params={"report": report.pk}, actor=request.user)
    messages.info(request, _("The report is being generated; this page shows its progress."))
    return redirect("jobs:detail", pk=job.pk)


@require(Capability.EDIT_REPORTS)
@require_POST
def narrative(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = selectors.report_for(request.user, pk)
    latest = selectors.latest_version(report)
    if latest is None:
        raise Http404(_("The report has no version yet."))
    keys = from_dict(latest.document).narrative_keys()
    texts = {k: request.POST[f"n_{k}"] for k in keys if f"n_{k}" in request.POST}
    services.edit_narrative(version=latest, narrative=texts, actor=request.user)
    messages.success(request, _("The narrative is saved."))
    return redirect("reports:detail", pk=report.pk)


@require(Capability.EDIT_REPORTS)
@require_POST
def finalise(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = selectors.report_for(request.user, pk)
    latest = selectors.latest_version(report)
    if latest is None:
        raise Http404(_("The report has no version yet."))
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Tick the box to confirm that the report is checked."))
        return redirect("reports:detail", pk=report.pk)
    services.finalise(version=latest, actor=request.user)
    messages.success(request, _("The report is final; its files are archived."))
    return redirect("reports:detail", pk=report.pk)


@require(VIEW)
def diff(request: AuthenticatedRequest, pk: int, number: int) -> HttpResponse:
    report = selectors.report_for(request.user, pk)
    version = selectors.version_for(request.user, report, number)
    return render(request, "reports/diff.html", {"report": report, "version": version, "changes": version.changes})


@require(VIEW)
def download(request: AuthenticatedRequest, pk: int, number: int, fmt: str) -> HttpResponse:
    """A version as PDF, DOCX or XLSX: a final one's archived file, a draft rendered now (marked DRAFT)."""
    if fmt not in renderer.FORMATS:
        raise Http404(_("Unknown format."))
    report = selectors.report_for(request.user, pk)
    version = selectors.version_for(request.user, report, number)
    if version.is_final:
        content = services.archived(version, fmt)
    else:
        content = renderer.render(fmt, from_dict(version.document), version.narrative, draft=True)
    suffix = "" if version.is_final else "-draft"
    name = (
        f"{report.kind}-{report.year}{f'-q{report.quarter}' if report.quarter else ''}-v{version.number}{suffix}.{fmt}"
    )
    response = HttpResponse(content, content_type=renderer.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
