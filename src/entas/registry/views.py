from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.accounts.scoping import visible_regions
from entas.core import jobqueue, personaldata
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused, show_on_form
from entas.regions.models import RegionLevel

from . import history, household_page, selectors, services
from .choices import VerificationStatus
from .columns import ALL_COLUMNS
from .exporter import FORMATS, ratified_list_pdf, ratified_list_xlsx, template_xlsx
from .forms import (
    CHANGE_FORMS,
    CorrectMemberForm,
    HouseholdForm,
    MemberRowFormSet,
    RegisterHouseholdForm,
    UploadForm,
    VerifyForm,
)
from .jobs import submit_import
from .models import ChangeRequest, Household, Member
from .services import EDITABLE_FIELDS


@require(Capability.VIEW_REGISTRY)
def household_list(request: AuthenticatedRequest) -> HttpResponse:
    desil = request.GET.get("desil", "")
    status = request.GET.get("status", "")
    filters = selectors.SearchFilters(
        query=request.GET.get("q", "")[:100],
        kelurahan=request.GET.get("kelurahan", ""),
        status=status if status in VerificationStatus.values else "",
        max_desil=int(desil) if desil.isdigit() and 1 <= int(desil) <= 10 else None,
    )
    qs = selectors.search_households(request.user, filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    matched = selectors.matched_members(list(page.object_list), filters.query)
    for household in page.object_list:
        household.matched = matched.get(household.pk, [])
    kelurahan = visible_regions(request.user).filter(level=RegionLevel.KELURAHAN)
    return render(
        request,
        "registry/household_list.html",
        {
            "page": page,
            "filters": filters,
            "kelurahan_options": kelurahan,
            "status_options": VerificationStatus.choices,
            "desil_options": range(1, 11),
        },
    )


def _household_or_404(request: AuthenticatedRequest, pk: int) -> Household:
    try:
        return selectors.household_for(request.user, pk)
    except Household.DoesNotExist:
        raise Http404(_("No such household in your areas.")) from None


@require(Capability.VIEW_REGISTRY)
def household_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    household = _household_or_404(request, pk)
    services.record_household_view(actor=request.user, household=household)
    members = list(selectors.members_of(household))
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "members": members,
            "sections": selectors.household_sections(household),
            "contributions": household_page.sections(request.user, household, members),
            "programmes": household.programme_receipts.order_by("-month"),
            "kk_history": household.kk_history.order_by("valid_from"),
            "history": history.household_history(household),
            "pending_changes": list(household.change_requests.filter(status=ChangeRequest.Status.PENDING)),
        },
    )


@require(Capability.VIEW_FULL_NIK)
@require_POST
def reveal_nik(request: AuthenticatedRequest, pk: int, member_pk: int) -> HttpResponse:
    household = _household_or_404(request, pk)
    try:
        member = household.members.get(pk=member_pk)
    except Member.DoesNotExist:
        raise Http404 from None
    nik = services.reveal_nik(actor=request.user, member=member)
    return render(request, "registry/_nik.html", {"nik": nik})


@require(Capability.EXPORT_REGISTRY)
@require_POST
def export_registry(request: AuthenticatedRequest) -> HttpResponse:
    fmt = request.POST.get("format", "csv")
    if fmt not in FORMATS:
        messages.error(request, _("Unknown export format %(fmt)r; use csv, xlsx or parquet.") % {"fmt": fmt})
        return redirect("registry:household_list")
    job = jobqueue.submit(kind="registry.export", params={"format": fmt}, actor=request.user)
    messages.info(request, _("The export runs in the background; this page shows its progress."))
    return redirect("jobs:detail", pk=job.pk)


@require(Capability.CHANGE_REGISTRY)
def import_registry(request: AuthenticatedRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = submit_import(
                upload=form.cleaned_data["file"],
                source=form.cleaned_data["source"],
                dry_run=form.cleaned_data["dry_run"],
                actor=request.user,
            )
        except Refused as exc:  # the file could not be kept, or another import into these areas is under way
            _service_errors(form, exc)
            # A file the server could not keep is the form's to show (beside the file); a lock, the step's status.
            status = 200 if form.has_error("file") else exc.status
            return render(request, "registry/import.html", {"form": form, "columns": ALL_COLUMNS}, status=status)
        messages.info(request, _("The import runs in the background; this page shows its progress."))
        return redirect("jobs:detail", pk=job.pk)
    return render(request, "registry/import.html", {"form": form, "columns": ALL_COLUMNS})


@require(Capability.CHANGE_REGISTRY)
def register_household(request: AuthenticatedRequest) -> HttpResponse:
    """One new family on a page, checked by the import's rules (services.register_household)."""
    kelurahan = visible_regions(request.user).filter(level=RegionLevel.KELURAHAN).order_by("name")
    form = RegisterHouseholdForm(request.POST or None, kelurahan=kelurahan)
    members = MemberRowFormSet(request.POST or None, prefix="m", initial=[{"relationship": "1"}])
    if request.method == "POST" and form.is_valid() and members.is_valid():
        rows = [f.cleaned_data for f in members.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        try:
            household = services.register_household(
                actor=request.user,
                kelurahan=form.cleaned_data["kelurahan"],
                values={k: form.cleaned_data[k] for k in services.REGISTER_FIELDS},
                members=rows,
                source=form.cleaned_data["source"],
            )
        except Refused as exc:
            _registration_errors(form, members, exc)
        else:
            messages.success(
                request,
                _("Family KK %(kk)s was registered with %(n)d members; it is now a proposal waiting for verification.")
                % {"kk": household.kk_number, "n": len(rows)},
            )
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/register.html", {"form": form, "members": members})


def _registration_errors(form: forms.BaseForm, members: Any, exc: Refused) -> None:
    """A refusal of the registration, beside the field it names: a household field on the form, a
    member's (NIK, name…) at the top of the members, each message once."""
    if not exc.issues:
        form.add_error(None, str(exc))
        return
    for issue in exc.issues:
        if issue.field in form.fields and issue.field != "kelurahan":
            form.add_error(issue.field, issue.message)
        else:
            members._non_form_errors.append(issue.message)


@require(Capability.VIEW_REGISTRY)
def import_template(request: AuthenticatedRequest) -> FileResponse:
    # Built in memory: a download leaves no file behind (security notes, exports).
    out = io.BytesIO()
    template_xlsx(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename="template-registri-entas.xlsx")


def _service_errors(form: forms.BaseForm, exc: Refused) -> None:
    """Show a service's refusal on the form: next to the field it names, else at the top."""
    show_on_form(form, exc)


@require(Capability.CHANGE_REGISTRY)
def household_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    household = _household_or_404(request, pk)
    form = HouseholdForm(request.POST or None, instance=household)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS}
        try:
            services.update_household(
                actor=request.user,
                household=Household.objects.get(pk=pk),
                values=values,
                expected_version=form.cleaned_data["version"],
            )
        except Refused as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("The household was saved."))
            return redirect("registry:household_detail", pk=pk)
    return render(request, "registry/household_edit.html", {"household": household, "form": form})


@require(Capability.CHANGE_REGISTRY)
def change_request_new(request: AuthenticatedRequest, pk: int, kind: str) -> HttpResponse:
    household = _household_or_404(request, pk)
    form_class = CHANGE_FORMS.get(kind)
    if form_class is None:
        raise Http404
    extra: dict[str, Any] = {}
    if form_class is CorrectMemberForm and request.method != "POST":
        member_pk = request.GET.get("member", "")
        extra["member"] = (
            household.members.filter(pk=member_pk, exited_on__isnull=True).first() if member_pk.isdigit() else None
        )
    if form_class is CorrectMemberForm and request.method != "POST" and extra["member"] is None:
        # Whom to correct first: the form then opens prefilled with that person's record.
        return render(
            request,
            "registry/change_request_form.html",
            {
                "household": household,
                "kind_label": ChangeRequest.Kind(kind).label,
                "choose": selectors.members_of(household),
            },
        )
    form = form_class(request.POST or None, household=household, user=request.user, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_change(
                actor=request.user,
                household=household,
                kind=kind,
                payload=form.payload(),
                reason=form.cleaned_data["reason"],
            )
        except Refused as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("The change was requested; a second person must approve it."))
            return redirect("registry:household_detail", pk=pk)
    return render(
        request,
        "registry/change_request_form.html",
        {
            "household": household,
            "form": form,
            "kind_label": ChangeRequest.Kind(kind).label,
            "wide": form_class is CorrectMemberForm,
        },
    )


@require(Capability.APPROVE_REGISTRY)
def change_request_list(request: AuthenticatedRequest) -> HttpResponse:
    pending = selectors.pending_changes(request.user)
    return render(request, "registry/change_request_list.html", {"pending": pending})


@require(Capability.APPROVE_REGISTRY)
@require_POST
def change_request_decide(request: AuthenticatedRequest, request_pk: int) -> HttpResponse:
    change = ChangeRequest.objects.filter(pk=request_pk, household__in=selectors.households_for(request.user)).first()
    if change is None:
        raise Http404
    approve = request.POST.get("decision") == "approve"
    note = request.POST.get("note", "")[:500]
    if request.POST.get("confirm") != "1":
        # Final either way: say what will change, and decide only on the second, confirmed POST.
        return _change_request_confirm(request, change, approve=approve, note=note)
    try:
        services.decide_change(actor=request.user, request=change, approve=approve, note=note)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The change was approved and applied.") if approve else _("The change was rejected.")
        )
    return redirect("registry:change_requests")


def _change_request_confirm(
    request: AuthenticatedRequest, change: ChangeRequest, *, approve: bool, note: str
) -> HttpResponse:
    """The second step of a decision: the change named in full, and the one button that decides."""
    # Described as the queue describes it; one already decided is shown with why it cannot be decided.
    shown = selectors.pending_change(request.user, change.pk)
    refusal = services.decision_refusal(request.user, change)
    facts = {"kind": change.get_kind_display(), "kk": change.household.kk_number}
    if approve:
        consequence = _(
            "Approving applies “%(kind)s” to the family of KK %(kk)s at once, as shown below; the family's "
            "change history will show it with your name."
        )
    else:
        consequence = _(
            "Rejecting closes the request “%(kind)s” for the family of KK %(kk)s: nothing in the family "
            "changes, and the request cannot be approved afterwards."
        )
    context = {
        "change": shown or change,
        "approve": approve,
        "decision": "approve" if approve else "reject",
        "note": note,
        "consequence": consequence % facts,
        "refusal": refusal.message if refusal is not None else "",
        "destructive": approve and change.kind in {ChangeRequest.Kind.REMOVE_MEMBER, ChangeRequest.Kind.MOVE_MEMBER},
    }
    return render(request, "registry/change_request_confirm.html", context)


@require(Capability.APPROVE_REGISTRY)
@require(Capability.VIEW_FULL_NIK)
@require_POST
def change_request_nik(request: AuthenticatedRequest, request_pk: int) -> HttpResponse:
    """The full NIK a pending request proposes to add, revealed on the approver's demand (audited)."""
    change = (
        ChangeRequest.objects.filter(
            pk=request_pk,
            kind=ChangeRequest.Kind.ADD_MEMBER,
            status=ChangeRequest.Status.PENDING,
            household__in=selectors.households_for(request.user),
        )
        .select_related("household__kelurahan")
        .first()
    )
    if change is None:
        raise Http404
    nik = services.reveal_proposed_nik(actor=request.user, request=change)
    return render(request, "registry/_nik.html", {"nik": nik})


@require(Capability.CHANGE_REGISTRY)
def household_verify(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    household = _household_or_404(request, pk)
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_household(
                actor=request.user,
                household=household,
                visit_date=form.cleaned_data["visit_date"],
                confirmed=form.cleaned_data["confirmed"],
                reason=form.cleaned_data["reason"],
            )
        except Refused as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("The verification was recorded."))
            return redirect("registry:household_detail", pk=pk)
    return render(request, "registry/household_verify.html", {"household": household, "form": form})


@require(Capability.APPROVE_REGISTRY)
def ratification(request: AuthenticatedRequest) -> HttpResponse:
    """Verified households waiting for ratification, per kelurahan; ratify one kelurahan at once."""
    if request.method == "POST":
        kelurahan = (
            visible_regions(request.user)
            .filter(pk=request.POST.get("kelurahan", 0), level=RegionLevel.KELURAHAN)
            .first()
        )
        if kelurahan is None:
            raise Http404
        if request.POST.get("confirm") != "1":
            # Irreversible: say what will happen, and ratify only on the second, confirmed POST.
            waiting = selectors.households_for(request.user).filter(
                kelurahan=kelurahan, verification_status=VerificationStatus.DIVERIFIKASI
            )
            return render(
                request, "registry/ratification_confirm.html", {"kelurahan": kelurahan, "count": waiting.count()}
            )
        try:
            ids = services.ratify_kelurahan(actor=request.user, kelurahan_id=kelurahan.pk)
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(n)d households of Kelurahan %(name)s were ratified.") % {"n": len(ids), "name": kelurahan.name},
            )
        return redirect("registry:ratification")
    rows = selectors.verification_counts(request.user)
    return render(request, "registry/ratification.html", {"rows": rows})


@require(Capability.VIEW_FULL_NIK)  # the list holds full NIKs: only for those who may reveal one
def ratified_list(request: AuthenticatedRequest, kelurahan_code: str, fmt: str) -> FileResponse:
    """The by-name-by-address list of ratified households of a kelurahan (XLSX or PDF), for the berita
    acara."""
    writers = {"xlsx": ratified_list_xlsx, "pdf": ratified_list_pdf}
    kelurahan = visible_regions(request.user).filter(code=kelurahan_code, level=RegionLevel.KELURAHAN).first()
    if kelurahan is None or fmt not in writers:
        raise Http404
    # Built in memory: the list of names and NIKs never lands in a temporary file.
    out = io.BytesIO()
    count = writers[fmt](request.user, kelurahan, out)
    services.record_list_download(actor=request.user, kelurahan=kelurahan, rows=count)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"daftar-disahkan-{kelurahan.code}.{fmt}")


@require(Capability.REPORT_PERSONAL_DATA)
def privacy_report(request: AuthenticatedRequest) -> HttpResponseBase:
    """The data-subject access report (UU 27/2022): find a person by NIK, then produce everything
    entas holds about them as PDF or JSON (built in memory, audited by the service)."""
    from . import privacy

    if request.method == "POST":
        report = privacy.access_report(actor=request.user, nik=request.POST.get("nik", ""))
        stem = f"data-pribadi-{report.nik[-4:]}"
        if request.POST.get("format") == "json":
            response = HttpResponse(report.to_json(), content_type="application/json; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{stem}.json"'
            return response
        out = io.BytesIO()
        personaldata.report_pdf(report, out)
        out.seek(0)
        return FileResponse(out, as_attachment=True, filename=f"{stem}.pdf", content_type="application/pdf")
    nik = request.GET.get("nik", "").strip()
    member = privacy.find_person(request.user, nik) if nik else None
    return render(request, "registry/privacy_report.html", {"nik": nik, "member": member})
