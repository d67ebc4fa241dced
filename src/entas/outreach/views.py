"""Pages of awareness campaigns: thin: read through :mod:`.selectors`, write through :mod:`.services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import visible_regions
from entas.core import jobqueue, uploads
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused

from . import selectors, services
from .forms import AttendeeForm, CampaignForm, EventForm, HeadCountForm, MaterialForm, QuestionForm, UploadForm
from .importer import ANSWER_COLUMNS, ATTENDANCE_COLUMNS, ATTENDANCE_OPTIONAL
from .jobs import IMPORT_DIR
from .models import Campaign, Event

VIEW = (Capability.MANAGE_OUTREACH, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT, Capability.VIEW_REGISTRY)
RESULTS = (Capability.MANAGE_OUTREACH, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT)
MANAGE = Capability.MANAGE_OUTREACH


def _refused(form: forms.Form, exc: Refused) -> None:
    fields = set(form.fields)
    for issue in exc.issues:
        form.add_error(issue.field if issue.field in fields else None, issue.message)
    if not exc.issues:
        form.add_error(None, exc.message)


def _campaign(request: AuthenticatedRequest, pk: int) -> Campaign:
    try:
        return selectors.campaign_for(request.user, pk)
    except Campaign.DoesNotExist:
        raise Http404(_("No such campaign.")) from None


@require(VIEW, post=MANAGE)
def campaigns(request: AuthenticatedRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign, _o = services.save_campaign(actor=request.user, **form.cleaned_data)
        except Refused as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("outreach:campaign", pk=campaign.pk)
    return render(
        request,
        "outreach/campaigns.html",
        {
            "campaigns": selectors.campaigns_for(request.user),
            "form": form,
            "may_manage": services.may_manage(request.user),
        },
    )


@require(VIEW, post=MANAGE)
def campaign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _campaign(request, pk)
    question_form = QuestionForm(request.POST if request.POST.get("action") == "question" else None, prefix="q")
    event_form = EventForm(
        request.POST if request.POST.get("action") == "event" else None,
        prefix="e",
        regions=visible_regions(request.user).filter(level=4).order_by("name"),
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "question" and question_form.is_valid():
            data = question_form.cleaned_data
            try:
                services.save_question(
                    campaign=found,
                    number=data["number"],
                    text=data["text"],
                    options=question_form.option_list(),
                    key=data["key"],
                    actor=request.user,
                )
            except Refused as exc:
                _refused(question_form, exc)
            else:
                messages.success(request, _("Question saved."))
                return redirect("outreach:campaign", pk=found.pk)
        elif action == "event" and event_form.is_valid():
            try:
                event, _o = services.save_event(campaign=found, actor=request.user, **event_form.cleaned_data)
            except Refused as exc:
                _refused(event_form, exc)
            else:
                messages.success(request, _("Event saved."))
                return redirect("outreach:event", pk=event.pk)
        elif action == "follow_up":
            job = jobqueue.submit(kind="outreach.follow_up", params={"campaign": found.pk}, actor=request.user)
            return redirect("jobs:detail", pk=job.pk)
    return render(
        request,
        "outreach/campaign.html",
        {
            "campaign": found,
            "events": selectors.events_for(request.user, found),
            "questions": found.questions.all(),
            "material_count": found.materials.count(),
            "targets": found.target_kelurahan.order_by("name"),
            "suggestions": selectors.suggestions(found.theme),
            "question_form": question_form,
            "event_form": event_form,
            "may_manage": services.may_manage(request.user),
        },
    )


@require(VIEW, post=MANAGE)
def event(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        found = selectors.event_for(request.user, pk)
    except Event.DoesNotExist:
        raise Http404(_("No such event in your areas.")) from None
    action = request.POST.get("action")
    attendee_form = AttendeeForm(request.POST if action == "attendee" else None, prefix="a")
    count_form = HeadCountForm(request.POST if action == "count" else None, prefix="c")
    upload_form = UploadForm(request.POST if action == "upload" else None, request.FILES or None, prefix="u")
    if request.method == "POST":
        if action == "attendee" and attendee_form.is_valid():
            data = attendee_form.cleaned_data
            try:
                services.record_attendee(
                    event=found,
                    nik=data["nik"],
                    name=data["name"],
                    sex=data["sex"],
                    birth_date=data["birth_date"],
                    actor=request.user,
                )
            except Refused as exc:
                _refused(attendee_form, exc)
            else:
                messages.success(request, _("Attendance recorded."))
                return redirect("outreach:event", pk=found.pk)
        elif action == "count" and count_form.is_valid():
            services.set_head_count(event=found, actor=request.user, **count_form.cleaned_data)
            messages.success(request, _("Head count saved."))
            return redirect("outreach:event", pk=found.pk)
        elif action == "upload" and upload_form.is_valid():
            upload = upload_form.cleaned_data["file"]
            try:
                stored = uploads.store_upload(upload, owner=str(request.user.pk), folder=IMPORT_DIR)
                job = jobqueue.submit(
                    kind=upload_form.cleaned_data["kind"],
                    params={"file": stored, "name": upload.name, "event": found.pk},
                    actor=request.user,
                )
            except Refused as exc:
                upload_form.add_error("file", exc.message)
            else:
                messages.info(request, _("The import runs in the background; this page shows its progress."))
                return redirect("jobs:detail", pk=job.pk)
    return render(
        request,
        "outreach/event.html",
        {
            "event": found,
            "attendance": selectors.attendance_for(request.user, found),
            "head_counts": found.head_counts.all(),
            "attendee_form": attendee_form,
            "count_form": count_form,
            "upload_form": upload_form,
            "attendance_columns": (*ATTENDANCE_COLUMNS, *ATTENDANCE_OPTIONAL),
            "answer_columns": (*ANSWER_COLUMNS, "q1", "q2", "…"),
            "may_manage": services.may_manage(request.user),
        },
    )


@require(RESULTS)
def results(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _campaign(request, pk)
    by = request.GET.get("by", "sex")
    if by not in selectors.DIMENSIONS:
        by = "sex"
    reach = selectors.reach_for(request.user, found)
    context: dict[str, Any] = {
        "campaign": found,
        "by": by,
        "reach": reach,
        "map_spec": selectors.reach_map(reach),
        "knowledge": selectors.knowledge_for(request.user, found, by),
        "waves": selectors.follow_ups_for(request.user, found),
    }
    return render(request, "outreach/results.html", context)


@require(VIEW, post=MANAGE)
def materials(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A campaign's materials (leaflets, slides, radio scripts) with every version uploaded; a
    campaign officer uploads a new one or the next version of one."""
    found = _campaign(request, pk)
    form = MaterialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            material = services.upload_material(
                campaign=found, title=form.cleaned_data["title"], upload=form.cleaned_data["file"], actor=request.user
            )
        except Refused as exc:
            _refused(form, exc)
        else:
            messages.success(
                request,
                _("%(title)s version %(version)s is uploaded.")
                % {"title": material.title, "version": material.version},
            )
            return redirect("outreach:materials", pk=found.pk)
    return render(
        request,
        "outreach/materials.html",
        {
            "campaign": found,
            "materials": selectors.materials_for(request.user, found),
            "form": form,
            "may_manage": services.may_manage(request.user),
        },
    )


@require(VIEW)
def material_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """One version of a material, as an attachment (never shown inline)."""
    import mimetypes

    try:
        material = selectors.material_for(request.user, pk)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such material.")) from exc
    path = uploads.media_path(material.file.name) if material.file else None
    if path is None or not path.is_file():
        raise Http404(_("No such material."))
    kind = mimetypes.guess_type(material.name)[0] or "application/octet-stream"
    response = FileResponse(path.open("rb"), as_attachment=True, filename=material.name, content_type=kind)
    response["X-Content-Type-Options"] = "nosniff"
    return response
