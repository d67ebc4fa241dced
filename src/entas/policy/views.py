"""Pages of the policy register: thin: read through :mod:`.selectors`, write through :mod:`.services`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.core import jobqueue, uploads
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused

from . import planfile, selectors, services
from .choices import AdjustmentState
from .export import register_xlsx
from .forms import FIELD_LABELS, AdjustmentForm, AdoptForm, DecisionForm, PlanFileForm, UploadForm
from .importer import BENEFIT_COLUMNS, BENEFIT_OPTIONAL, COLUMNS, OPTIONAL
from .jobs import IMPORT_DIR
from .models import Activity, Adjustment, Plan, ProgrammeRecord

REALISERS = (Capability.REALISE_POLICY, Capability.EDIT_POLICY)


def _day(request: AuthenticatedRequest) -> dt.date:
    """The "as of" date asked for (``?as_of=2026-06-30``), today when none or not a date."""
    text = request.GET.get("as_of", "")
    try:
        return dt.date.fromisoformat(text) if text else timezone.localdate()
    except ValueError:
        messages.warning(
            request, _("%(value)s is not a date: the register is shown as of today.") % {"value": text[:20]}
        )
        return timezone.localdate()


def _plan(request: AuthenticatedRequest) -> Plan | None:
    pk = request.GET.get("plan", "")
    if pk.isdigit():
        try:
            return selectors.plan_for(request.user, int(pk))
        except Plan.DoesNotExist:
            raise Http404(_("No such plan.")) from None
    return selectors.current_plan(request.user)


@require(Capability.VIEW_POLICY)
def plan(request: AuthenticatedRequest) -> HttpResponse:
    """The plan as a tree (strategy → programme → activity) with budget and realisation, by OPD; as of
    a date; one OPD's activities only with ``?opd=CODE``."""
    chosen = _plan(request)
    day = _day(request)
    opd = request.GET.get("opd", "").strip().upper()[:20]
    register = selectors.register(request.user, chosen, day, opd=opd or None) if chosen is not None else None
    return render(
        request,
        "policy/plan.html",
        {
            "plans": selectors.plans_for(request.user),
            "plan": chosen,
            "register": register,
            "day": day,
            "today": timezone.localdate(),
            "opd": opd,
            "pending": selectors.pending_adjustments(request.user).count()
            if request.user.can(Capability.EDIT_POLICY)
            else 0,
        },
    )


@require(Capability.EDIT_POLICY)
@require_POST
def adopt(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Adopt a draft plan version by its Perwali or SK, after a confirmation naming the version it
    supersedes (adopting cannot be taken back: a new version is loaded instead)."""
    try:
        draft = selectors.plan_for(request.user, pk)
    except Plan.DoesNotExist:
        raise Http404(_("No such plan.")) from None
    form = AdoptForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect(f"{reverse('policy:plan')}?plan={draft.pk}")
    if not request.POST.get("confirm"):
        current = Plan.objects.filter(code=draft.code, status="adopted").exclude(pk=draft.pk).first()
        return render(request, "policy/adopt_confirm.html", {"plan": draft, "current": current, "form": form})
    services.adopt_plan(
        plan=draft,
        adopted_on=form.cleaned_data["adopted_on"],
        legal_basis=form.cleaned_data["legal_basis"],
        actor=request.user,
    )
    messages.success(request, _("%(plan)s is adopted.") % {"plan": str(draft)})
    return redirect(f"{reverse('policy:plan')}?plan={draft.pk}")


@require(Capability.VIEW_POLICY)
def export(request: AuthenticatedRequest) -> HttpResponse:
    chosen = _plan(request)
    if chosen is None:
        raise Http404(_("There is no plan in the register."))
    day = _day(request)
    data = register_xlsx(selectors.register(request.user, chosen, day))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (
        f'attachment; filename="register-{chosen.code}-v{chosen.version}-{day:%Y%m%d}.xlsx"'
    )
    return response


@require(Capability.VIEW_POLICY, post=Capability.EDIT_POLICY)
def programme(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A programme's page: its place in the plan, money by activity and year, funding, adjustments; an
    editor proposes an adjustment here."""
    try:
        record = selectors.record_for(request.user, pk)
    except ProgrammeRecord.DoesNotExist:
        raise Http404(_("No such programme in the register.")) from None
    years = range(record.programme.start.year, record.programme.end.year + 1)
    initial = {"activity": request.GET.get("activity", "")[:30]}
    form = AdjustmentForm(request.POST or None, prefix="adj", years=years, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        activity = record.activities.filter(code=data["activity"]).first() if data["activity"] else None
        try:
            if data["activity"] and activity is None:
                raise Refused(_("No activity %(code)s in this programme.") % {"code": data["activity"]}, code="invalid")
            adjustment = services.propose_adjustment(
                activity=activity,
                record=record,
                field=data["field"],
                value=data["value"],
                reason=data["reason"],
                evidence=data["evidence"].splitlines(),
                effective_on=data["effective_on"],
                actor=request.user,
            )
        except Refused as exc:
            if exc.code == "forbidden":
                raise
            where = "reason" if "rationale" in exc.message else "activity" if "activity" in exc.message else "value"
            form.add_error(where, exc.message)
        else:
            messages.success(
                request,
                _("Adjustment #%(n)d proposed: another editor of the register approves it.") % {"n": adjustment.pk},
            )
            return redirect("policy:programme", pk=record.pk)
    day = _day(request)
    register = selectors.register(request.user, record.strategy.plan, day)
    row = next((p for p in register.programmes() if p.record.pk == record.pk), None)
    if row is None:
        raise Http404
    return render(
        request,
        "policy/programme.html",
        {
            "record": record,
            "row": row,
            "day": day,
            "years": selectors.years_of(record, day),
            "reached": selectors.beneficiaries(record, day),
            "adjustments": selectors.adjustments_for(request.user, record),
            "form": form,
            "labels": FIELD_LABELS,
            "can_edit": request.user.can(Capability.EDIT_POLICY),
        },
    )


@require(Capability.VIEW_POLICY)
def activity(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """An activity's page: its output, volume and location (as of a date), every month's pagu and
    realisation with who entered it, the history of its realisation (each change, before and after)
    and its adjustments."""
    try:
        found = selectors.activity_for(request.user, pk)
    except Activity.DoesNotExist:
        raise Http404(_("No such activity in the register.")) from None
    day = _day(request)
    return render(
        request,
        "policy/activity.html",
        {
            "activity": found,
            "record": found.record,
            "day": day,
            "fields": selectors.activity_on(found, day),
            "months": selectors.activity_months(found),
            "history": selectors.realisation_history(found),
            "adjustments": selectors.adjustments_for(request.user, found.record).filter(activity=found),
            "labels": FIELD_LABELS,
            "can_edit": request.user.can(Capability.EDIT_POLICY),
        },
    )


@require(Capability.VIEW_FUNDED_POLICY)
def funded(request: AuthenticatedRequest) -> HttpResponse:
    """A partner's page: the programmes its organisation funds, with their money and reach (figures
    only, no person), as of a date."""
    day = _day(request)
    scope = selectors.funded_records(request.user)
    plans = Plan.objects.filter(strategies__programmes__in=scope).distinct().order_by("-start_year", "-version")
    registers = [selectors.register(request.user, plan, day, scope=scope) for plan in plans]
    programmes = [p for reg in registers for p in reg.programmes()]
    reached = selectors.beneficiaries_of([p.record for p in programmes], day)
    rows = [(p, reached[p.record.pk]) for p in programmes]
    return render(
        request,
        "policy/funded.html",
        {"rows": rows, "day": day, "organisation": request.user.organisation},
    )


@require(Capability.VIEW_POLICY)
def adjustments(request: AuthenticatedRequest) -> HttpResponse:
    """Every adjustment, those waiting for a decision first."""
    rows = list(selectors.adjustments_for(request.user)[:200])
    rows.sort(key=lambda a: a.state != AdjustmentState.PROPOSED)
    return render(
        request,
        "policy/adjustments.html",
        {"adjustments": rows, "labels": FIELD_LABELS, "can_edit": request.user.can(Capability.EDIT_POLICY)},
    )


@require(Capability.EDIT_POLICY)
@require_POST
def decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        adjustment = selectors.adjustment_for(request.user, pk)
    except Adjustment.DoesNotExist:
        raise Http404(_("No such adjustment.")) from None
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Approve or reject."))
        return redirect("policy:adjustments")
    approve = form.cleaned_data["decision"] == "approve"
    services.decide_adjustment(
        adjustment=adjustment, approve=approve, actor=request.user, note=form.cleaned_data["note"]
    )
    messages.success(
        request,
        (_("Adjustment #%(n)d approved: the register is changed.") if approve else _("Adjustment #%(n)d rejected."))
        % {"n": adjustment.pk},
    )
    back = request.POST.get("next", "")
    # Back to the page the decision was taken on, when it is one of the register's.
    return redirect(back if back.startswith("/policy/") and "//" not in back else "policy:adjustments")


def _start_import(request: AuthenticatedRequest, *, kind: str, benefits: bool, template: str) -> HttpResponse:
    """An upload page: the file is stored and imported by a background job whose page shows the
    progress and, at the end, the row accounting with the rejection file."""
    form = UploadForm(request.POST or None, request.FILES or None, benefits=benefits)
    context: dict[str, Any] = {
        "form": form,
        "columns": BENEFIT_COLUMNS + BENEFIT_OPTIONAL if benefits else COLUMNS + OPTIONAL,
        "opd": request.user.opd,
    }
    if benefits:
        context["programmes"] = selectors.records_to_benefit(request.user)
    else:
        context["activities"] = selectors.activities_to_realise(request.user).order_by("code")[:300]
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            stored = uploads.store_upload(upload, owner=str(request.user.pk), folder=IMPORT_DIR)
        except Refused as exc:
            form.add_error("file", exc.message)
            return render(request, template, context)
        try:
            job = jobqueue.submit(kind=kind, params={"file": stored, "name": upload.name}, actor=request.user)
        except Refused as exc:  # another import of the same kind is under way
            uploads.media_path(stored).unlink(missing_ok=True)
            form.add_error("file", exc.message)
            return render(request, template, context, status=exc.status)
        messages.info(request, _("The import runs in the background; this page shows its progress."))
        return redirect("jobs:detail", pk=job.pk)
    return render(request, template, context)


@require(REALISERS)
def realisation(request: AuthenticatedRequest) -> HttpResponse:
    """Upload a realisation file (a background job with progress); lists the activities the user may enter."""
    return _start_import(request, kind="policy.realisation", benefits=False, template="policy/realisation.html")


@require(REALISERS)
def benefits(request: AuthenticatedRequest) -> HttpResponse:
    """Upload a list of benefits of a non-cash programme (a background job with progress); lists the
    programmes the user may record benefits of."""
    return _start_import(request, kind="policy.benefits", benefits=True, template="policy/benefits.html")


@require(Capability.EDIT_POLICY)
def load(request: AuthenticatedRequest) -> HttpResponse:
    """Load or update a plan from its YAML file (as ``entas policy load`` does): every problem of the
    file is listed by its place in it, and nothing is loaded until there is none."""
    form = PlanFileForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            spec = planfile.parse_plan(upload.read(), source=upload.name)
            result = services.load_plan(spec=spec, actor=request.user, source=upload.name)
        except Refused as exc:
            if exc.code == "forbidden":
                raise
            problems = [f"{p.field}: {p.message}" if p.field else p.message for p in exc.issues] or [exc.message]
            form.add_error("file", exc.message.split("\n")[0])
        else:
            outcome = {
                "created": _("%(plan)s is loaded as a new version (%(status)s)."),
                "updated": _("%(plan)s is updated (%(status)s)."),
                "unchanged": _("%(plan)s is unchanged: the file holds what the register holds."),
            }.get(result.outcome, _("%(plan)s is loaded."))
            messages.success(request, outcome % {"plan": str(result.plan), "status": result.plan.get_status_display()})
            return redirect(f"{reverse('policy:plan')}?plan={result.plan.pk}")
    return render(request, "policy/load.html", {"form": form, "problems": problems})
