"""Pages of skills training: thin: read through :mod:`.selectors`, write through :mod:`.services`.

The training officer runs a cohort (create, apply, select, attendance, completion, tracer); a
kelurahan operator and the auditor see the cohorts with the applicants of their areas; the TKPK
analyst sees the outcome figures only."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.core import uploads
from entas.core.charts import VEGA_LITE_SCHEMA
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused, show_on_form
from entas.core.spreadsheet import Sheet, workbook

from . import catalogue, importer, rules, selectors, services
from .choices import PRIORITY_LABELS, ApplicationStatus, AttendanceStatus
from .forms import ApplyForm, CatalogueForm, CohortForm, CompletionForm, DecideForm, TracerForm
from .models import Application, Cohort, Session

VIEW = (Capability.MANAGE_TRAINING, Capability.VIEW_REGISTRY, Capability.VIEW_AUDIT)
OUTCOMES = (Capability.MANAGE_TRAINING, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT)
MANAGE = Capability.MANAGE_TRAINING


def _cohort(request: AuthenticatedRequest, pk: int) -> Cohort:
    try:
        return selectors.cohorts_for(request.user).get(pk=pk)
    except Cohort.DoesNotExist:
        raise Http404(_("No such cohort.")) from None


def _application(request: AuthenticatedRequest, pk: int, action: str = "change") -> Application:
    try:
        return selectors.applications_for(request.user, action=action).get(pk=pk)
    except Application.DoesNotExist:
        raise Http404(_("No such application in your areas.")) from None


def _form_errors(request: AuthenticatedRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        text = " ".join(str(e) for e in errors)
        messages.error(request, f"{label}: {text}" if label else text)


@require(VIEW)
def cohorts(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "training/cohorts.html",
        {
            "cohorts": selectors.cohorts_for(request.user).order_by("-start", "code"),
            "courses": selectors.courses_for(request.user),
            "providers": selectors.providers_for(request.user),
            "manages": selectors.can_manage(request.user),
        },
    )


@require(MANAGE)
def load_catalogue(request: AuthenticatedRequest) -> HttpResponse:
    form = CatalogueForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > catalogue.MAX_BYTES:
                raise Refused(_("The catalogue is larger than %(n)d KB.") % {"n": catalogue.MAX_BYTES // 1024})
            text = upload.read().decode("utf-8")
            counts = services.load_catalogue(data=catalogue.parse(text), actor=request.user)
        except UnicodeDecodeError:
            form.add_error("file", _("The catalogue is not UTF-8 text."))
        except Refused as exc:
            if exc.code == "forbidden":
                raise
            form.add_error("file", exc.message)
        else:
            for kind, label in (("providers", _("Providers")), ("courses", _("Courses")), ("cohorts", _("Cohorts"))):
                messages.success(
                    request,
                    _("%(what)s: %(inserted)d added, %(updated)d updated, %(unchanged)d unchanged.")
                    % {"what": label, **counts[kind]},
                )
            return redirect("training:cohorts")
    return render(request, "training/catalogue.html", {"form": form})


@require(MANAGE)
def cohort_new(request: AuthenticatedRequest) -> HttpResponse:
    form = CohortForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cohort, _outcome = services.save_cohort(
                course=data["course"],
                programme=data["programme"],
                code=data["code"],
                start=data["start"],
                end=data["end"],
                seats=data["seats"],
                venue=data["venue"],
                trainer=data["trainer"],
                actor=request.user,
            )
        except Refused as exc:
            if exc.code == "forbidden":
                raise
            show_on_form(form, exc)
        else:
            messages.success(request, _("Cohort %(code)s created with its sessions.") % {"code": cohort.code})
            return redirect("training:cohort", pk=cohort.pk)
    return render(request, "training/cohort_form.html", {"form": form})


@require(VIEW)
def cohort(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    c = _cohort(request, pk)
    applications = list(selectors.applications_for(request.user, c))
    status = Counter(a.status for a in applications)
    selected = [a for a in applications if a.status == ApplicationStatus.SELECTED]
    women = sum(1 for a in selected if a.sex == "2")
    per_kelurahan = Counter(a.kelurahan.name for a in selected)
    manages = selectors.can_manage(request.user)
    return render(
        request,
        "training/cohort.html",
        {
            "cohort": c,
            "course": c.course,
            "applications": applications,
            "counts": status,
            "selected_count": len(selected),
            "women": women,
            "women_share": round(100 * women / len(selected)) if selected else None,
            "women_target": round(100 * float(c.course.min_women_share)),
            "largest_kelurahan": max(per_kelurahan.values(), default=0),
            "overrides": sum(1 for a in applications if a.override_reason),
            "priorities": [PRIORITY_LABELS.get(p, p) for p in c.course.priorities or ()],
            "sessions": list(selectors.sessions_of(c)),
            "manages": manages,
            "apply_form": ApplyForm() if manages and c.status == "planned" else None,
            "decide_form": DecideForm() if manages else None,
        },
    )


@require(MANAGE)
@require_POST
def apply(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    c = _cohort(request, pk)
    form = ApplyForm(request.POST, request.FILES)
    back = reverse("training:cohort", args=[c.pk])
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    data = form.cleaned_data
    try:
        if data["rule"]:
            result = services.apply_rule(cohort=c, expression=data["rule"], actor=request.user).as_dict()
            messages.success(
                request,
                _("%(accepted)d applied, %(already)d had applied before, %(refused)d refused.") % result,
            )
        elif data["nik"]:
            application, outcome = services.apply_person(cohort=c, nik=data["nik"], actor=request.user)
            if outcome == services.UNCHANGED:
                messages.info(request, _("%(name)s had applied before.") % {"name": application.name})
            else:
                messages.success(request, _("%(name)s applied.") % {"name": application.name})
        else:
            _import(request, c, "apply", data["file"])
    except Refused as exc:
        if exc.code == "forbidden":
            raise
        messages.error(request, exc.message)
    return redirect(back)


def _import(request: AuthenticatedRequest, c: Cohort, kind: str, upload: Any) -> None:
    """Import an uploaded file now (a cohort's files are small) and tell what became of each row;
    the rejected rows are shown with their reasons, and neither file is kept."""
    stored = uploads.store_upload(upload, owner=str(request.user.pk), folder=uploads.TMP_DIR)
    path = uploads.media_path(stored)
    rejection = path.with_name(path.name + ".rejected.csv")
    try:
        summary = importer.import_file(
            path, kind=kind, cohort=c, actor=request.user, rejection_path=rejection, name=upload.name
        )
        rejected = _rejections(rejection) if summary.rejection_file else []
    finally:
        path.unlink(missing_ok=True)
        rejection.unlink(missing_ok=True)
    messages.success(
        request,
        _("%(total)d rows: %(inserted)d inserted, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected.")
        % summary.as_dict(),
    )
    for number, reason in rejected[:20]:
        messages.error(request, _("Row %(row)s: %(reason)s") % {"row": number, "reason": reason})


def _rejections(path: Path) -> list[tuple[str, str]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    return [(r[0], r[1]) for r in rows[1:] if len(r) >= 2]


@require((MANAGE, Capability.CHANGE_REGISTRY))
@require_POST
def apply_member(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Apply a member of a family for an open cohort, from the family's page."""
    from entas.registry import selectors as registry
    from entas.registry.models import Household

    try:
        household = registry.household_for(request.user, pk)
    except Household.DoesNotExist:
        raise Http404(_("No such household in your areas.")) from None
    back = reverse("registry:household_detail", args=[household.pk]) + "#training"
    member = household.members.filter(pk=request.POST.get("member") or 0, exited_on__isnull=True).first()
    cohort = selectors.open_cohorts(request.user).filter(pk=request.POST.get("cohort") or 0).first()
    if member is None or cohort is None:
        messages.error(request, _("Choose a member of the family and an open cohort."))
        return redirect(back)
    result = services.apply_members(cohort=cohort, members=[member], actor=request.user)
    if result.refused:
        messages.error(request, f"{member.name}: {result.refused[0][1]}")
    elif result.already:
        messages.info(request, _("%(name)s had applied before.") % {"name": member.name})
    else:
        messages.success(request, _("%(name)s applied for %(cohort)s.") % {"name": member.name, "cohort": cohort.code})
    return redirect(back)


@require(MANAGE)
@require_POST
def select(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    c = _cohort(request, pk)
    result = services.select_cohort(cohort=c, actor=request.user)
    messages.success(
        request,
        _("%(selected)d of %(seats)d seats selected, %(waiting)d on the waiting list, %(not_eligible)d not eligible.")
        % result,
    )
    return redirect("training:cohort", pk=c.pk)


@require(MANAGE)
@require_POST
def decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = DecideForm(request.POST)
    if form.is_valid():
        try:
            services.override(
                application=application,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
            messages.success(request, _("Decision changed for %(name)s.") % {"name": application.name})
        except Refused as exc:
            if exc.code == "forbidden":
                raise
            messages.error(request, exc.message)
    else:
        _form_errors(request, form)
    return redirect(reverse("training:cohort", args=[application.cohort_id]) + "#applicants")


@require(MANAGE)
def attendance(request: AuthenticatedRequest, pk: int, number: int) -> HttpResponse:
    c = _cohort(request, pk)
    session = get_object_or_404(Session, cohort=c, number=number)
    trainees = list(selectors.trainees_of(c, request.user))
    if request.method == "POST":
        marks = {t.pk: request.POST.get(f"a-{t.pk}", "") for t in trainees}
        marks = {k: v for k, v in marks.items() if v}
        try:
            counts = services.record_attendance(session=session, marks=marks, actor=request.user)
        except Refused as exc:
            if exc.code == "forbidden":
                raise
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Attendance saved: %(inserted)d recorded, %(updated)d changed, %(unchanged)d unchanged.") % counts,
            )
            following = c.sessions.filter(number=number + 1).first()
            if following is not None and following.date <= timezone.localdate():
                return redirect("training:attendance", pk=c.pk, number=number + 1)
            return redirect("training:cohort", pk=c.pk)
    current = dict(session.attendance.values_list("application_id", "status"))
    rows = [(t, current.get(t.pk, "")) for t in trainees]
    return render(
        request,
        "training/attendance.html",
        {
            "cohort": c,
            "session": session,
            "rows": rows,
            "choices": AttendanceStatus.choices,
            "sessions": list(selectors.sessions_of(c)),
        },
    )


@require(MANAGE)
def completion(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    c = _cohort(request, pk)
    trainees = list(selectors.trainees_of(c, request.user))
    statuses = selectors.attendance_statuses(c)
    if request.method == "POST":
        application = next((t for t in trainees if str(t.pk) == request.POST.get("application")), None)
        if application is None:
            raise Http404(_("No such trainee in your areas."))
        form = CompletionForm(request.POST, prefix=f"c{application.pk}")
        if form.is_valid():
            try:
                services.complete(application=application, actor=request.user, **form.cleaned_data)
            except Refused as exc:
                if exc.code == "forbidden":
                    raise
                messages.error(request, f"{application.name}: {exc.message}")
            else:
                messages.success(request, _("Saved for %(name)s.") % {"name": application.name})
        else:
            _form_errors(request, form)
        return redirect("training:completion", pk=c.pk)
    rows = []
    for t in trainees:
        done = getattr(t, "completion", None)
        initial = {"ended_on": c.end, "outcome": "completed"}
        if done is not None:
            initial = {
                "outcome": done.outcome,
                "ended_on": done.ended_on,
                "assessment": done.assessment,
                "certificate_number": done.certificate_number,
                "dropout_reason": done.dropout_reason,
            }
        rate = rules.attendance_rate(statuses.get(t.pk, []))
        rows.append((t, rate, done, CompletionForm(initial=initial, prefix=f"c{t.pk}")))
    return render(
        request,
        "training/completion.html",
        {"cohort": c, "rows": rows, "threshold": c.course.attendance_threshold},
    )


@require(VIEW)
def to_register(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "training/to_register.html", {"applications": selectors.to_register(request.user)})


@require(MANAGE)
def tracer_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "training/tracer_list.html", {"due": selectors.tracer_worklist(request.user)})


@require(MANAGE)
def tracer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    months = request.GET.get("months", "3")
    form = TracerForm(request.POST or None, initial={"months": months, "surveyed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_tracer(application=application, actor=request.user, **form.cleaned_data)
        except Refused as exc:
            if exc.code == "forbidden":
                raise
            show_on_form(form, exc)
        else:
            messages.success(request, _("Follow-up saved for %(name)s.") % {"name": application.name})
            return redirect("training:tracer_list")
    results = application.tracer_results.order_by("months")
    return render(request, "training/tracer.html", {"application": application, "form": form, "results": results})


COLUMNS = (
    ("applicants", gettext_lazy("Applicants")),
    ("selected", gettext_lazy("Selected")),
    ("completed", gettext_lazy("Completed")),
    ("certified", gettext_lazy("Certified")),
    ("traced", gettext_lazy("Followed up")),
    ("placed", gettext_lazy("Working")),
    ("placement_rate", gettext_lazy("Placement rate")),
    ("income_change", gettext_lazy("Income change (Rp/month)")),
    ("cost_per_completer", gettext_lazy("Cost per completer (Rp)")),
    ("cost_per_placement", gettext_lazy("Cost per placement (Rp)")),
    ("poorest_share", gettext_lazy("From desil 1–4")),
)
GROUP_TITLES = {
    "course": gettext_lazy("Course"),
    "provider": gettext_lazy("Provider"),
    "sex": gettext_lazy("Sex"),
    "age_band": gettext_lazy("Age band"),
    "kelurahan": gettext_lazy("Kelurahan"),
}


@require(OUTCOMES)
def outcomes(request: AuthenticatedRequest) -> HttpResponse:
    course = None
    wanted = request.GET.get("course", "")
    if wanted.isdigit():
        course = selectors.courses_for(request.user).filter(pk=int(wanted)).first()
    result = selectors.outcomes(request.user, course)
    sex = {"1": _("Male"), "2": _("Female")}
    for row in result["by"]["sex"]:
        row["group"] = sex.get(row["group"], row["group"])
    columns = [(key, str(label)) for key, label in COLUMNS]
    tables = [(str(GROUP_TITLES[name]), result["by"][name]) for name in selectors.GROUPINGS]
    if request.GET.get("format") == "xlsx":
        return _outcomes_xlsx(result, tables, columns)
    chart = [
        {"course": row["course"], "sex": str(sex.get(row["sex"], row["sex"])), "rate": row["placement_rate"]}
        for row in result["by_course_and_sex"]
        if row["placement_rate"] is not None
    ]
    return render(
        request,
        "training/outcomes.html",
        {
            "total": result["total"],
            "tables": tables,
            "columns": columns,
            "courses": selectors.courses_for(request.user),
            "course": course,
            "chart_spec": _placement_chart(chart) if chart else None,
        },
    )


def _placement_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Placement rate by course, women and men side by side (Vega-Lite, drawn by entas/charts.js)."""
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "width": "container",
        "height": {"step": 14},
        "data": {"values": rows},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "course", "type": "nominal", "title": None, "sort": "ascending"},
            "yOffset": {"field": "sex"},
            "x": {
                "field": "rate",
                "type": "quantitative",
                "title": str(_("Placement rate")),
                "axis": {"format": ".0%"},
                "scale": {"domain": [0, 1]},
            },
            "color": {
                "field": "sex",
                "type": "nominal",
                "title": str(_("Sex")),
                "scale": {"range": ["#1f5fa8", "#c2571a"]},
            },
            "tooltip": [
                {"field": "course", "title": str(_("Course"))},
                {"field": "sex", "title": str(_("Sex"))},
                {"field": "rate", "title": str(_("Placement rate")), "format": ".0%"},
            ],
        },
    }


def _outcomes_xlsx(result: dict[str, Any], tables: list[Any], columns: list[tuple[str, str]]) -> HttpResponse:
    out = io.BytesIO()
    book = workbook(out)
    sheet = Sheet(book, _("Outcomes")[:31])
    bold = {"bold": True}
    row = 0
    for title, rows in [(_("Total"), [result["total"]]), *tables]:
        sheet.write_row(row, 0, [str(title), *(str(label) for _k, label in columns)], bold)
        row += 1
        for figures in rows:
            sheet.write_row(row, 0, [str(figures["group"]), *(figures[k] for k, _l in columns)])
            row += 1
        row += 1
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, len(columns), 14)
    book.close()
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="hasil-pelatihan.xlsx"'
    return response
