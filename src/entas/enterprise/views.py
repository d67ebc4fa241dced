"""Pages of economic empowerment: thin: read through :mod:`.selectors`, write through :mod:`.services`."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.accounts.scoping import visible_regions
from entas.core import jobqueue, uploads
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused, show_on_form
from entas.core.ids import mask_nik
from entas.core.spreadsheet import Sheet, workbook
from entas.registry.models import Member

from . import selectors, services
from .choices import GroupType
from .forms import (
    BuyerForm,
    CertificationForm,
    CreditForm,
    EnrolForm,
    EventForm,
    GrantForm,
    GroupForm,
    LoanForm,
    RepaymentForm,
    ReportForm,
    SeatForm,
    UploadForm,
    VisitForm,
    WriteOffForm,
)
from .importer import REPAY_COLUMNS, REPORT_COLUMNS, REPORT_OPTIONAL
from .jobs import IMPORT_DIR
from .models import Grant, Group, Loan

VIEW = (Capability.MANAGE_TRAINING, Capability.VIEW_AUDIT)
MANAGE = Capability.MANAGE_TRAINING
RESULTS = (Capability.MANAGE_TRAINING, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT)


def _group_or_404(request: AuthenticatedRequest, pk: int) -> Group:
    try:
        return selectors.group_for(request.user, pk)
    except Group.DoesNotExist:
        raise Http404(_("No such group in your areas.")) from None


def _refused(form: forms.Form, exc: Refused) -> None:
    if exc.code == "forbidden":
        raise exc
    show_on_form(form, exc)


@require(VIEW)
def group_list(request: AuthenticatedRequest) -> HttpResponse:
    groups = selectors.groups_for(request.user)
    kind = request.GET.get("type", "")
    if kind in GroupType.values:
        groups = groups.filter(type=kind)
    page = Paginator(groups, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "enterprise/group_list.html",
        {
            "page": page,
            "types": GroupType.choices,
            "type": kind,
            "flagged": selectors.double_memberships(request.user),
            "manages": request.user.can(MANAGE),
        },
    )


def _group_form(request: AuthenticatedRequest, data: Any = None) -> GroupForm:
    return GroupForm(
        data,
        kelurahan=list(visible_regions(request.user).kelurahan().order_by("name")),
        programmes=list(selectors.empowerment_programmes()),
    )


@require(MANAGE)
def group_new(request: AuthenticatedRequest) -> HttpResponse:
    form = _group_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kelurahan = visible_regions(request.user).kelurahan().filter(pk=data["kelurahan"]).first()
        programme = selectors.empowerment_programmes().filter(pk=data["programme"] or 0).first()
        if kelurahan is None:
            raise Http404
        try:
            out = services.save_group(
                actor=request.user,
                name=data["name"],
                type=data["type"],
                kbli=data["kbli"],
                kelurahan=kelurahan,
                founded=data["founded"],
                product=data["product"],
                address=data["address"],
                nib=data["nib"],
                programme=programme,
            )
        except Refused as exc:
            _refused(form, exc)
        else:
            if out.outcome != "inserted":
                messages.info(request, _("A group of that name already exists in the kelurahan: here it is."))
            else:
                messages.success(request, _("Group recorded: add its members, its assistance and its reports."))
            return redirect("enterprise:group", pk=out.obj.pk)
    return render(request, "enterprise/group_new.html", {"form": form})


FORMS: dict[str, type[forms.Form]] = {
    "seat": SeatForm,
    "grant": GrantForm,
    "loan": LoanForm,
    "report": ReportForm,
    "visit": VisitForm,
    "certification": CertificationForm,
    "event": EventForm,
    "buyer": BuyerForm,
    "credit": CreditForm,
    "enrol": EnrolForm,
}


def _items(text: str) -> list[services.Item]:
    items = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")]
        if len(parts) != 3:
            raise Refused(_("Write each item as “description; quantity; unit value”."), code="invalid")
        try:
            items.append(services.Item(parts[0][:120], int(parts[1]), int(parts[2].replace(".", ""))))
        except ValueError:
            raise Refused(_("Write each item as “description; quantity; unit value”."), code="invalid") from None
    return items


def _act(request: AuthenticatedRequest, group: Group, action: str, data: dict[str, Any]) -> str:
    """Run the step a form asked for; the message to show."""
    user = request.user
    if action == "seat":
        member = Member.objects.restrict(user, "view").filter(nik=data["nik"], exited_on__isnull=True).first()
        if member is None:
            raise Refused(_("No person with this NIK in your areas."), code="invalid", issues=[])
        out = services.seat(actor=user, group=group, member=member, role=data["role"], joined_on=data["joined_on"])
        for w in out.warnings:
            messages.warning(request, w)
        return _("%(name)s seated as %(role)s.") % {"name": member.name, "role": out.obj.get_role_display()}
    if action == "grant":
        services.record_grant(
            actor=user,
            group=group,
            kind=data["kind"],
            amount=data["amount"],
            items=_items(data["items"]),
            handed_over_on=data["handed_over_on"],
            handover_reference=data["handover_reference"],
            programme=group.programme,
        )
        return _("Grant recorded.")
    if action == "loan":
        services.record_loan(actor=user, group=group, programme=group.programme, **data)
        return _("Loan recorded: its schedule is on its page.")
    if action == "report":
        out = services.record_report(actor=user, group=group, **data)
        for w in out.warnings:
            messages.warning(request, w)
        return _("Report saved.")
    if action == "certification":
        services.record_certification(actor=user, group=group, **data)
        return _("Certificate recorded.")
    if action == "buyer":
        services.link_buyer(actor=user, group=group, **data)
        return _("Buyer recorded.")
    if action == "credit":
        services.record_credit(actor=user, group=group, **data)
        return _("Credit recorded.")
    if action == "event":
        services.record_participation(actor=user, group=group, **data)
        return _("Event and sales recorded.")
    if action == "enrol":
        from entas.training.selectors import open_cohorts

        cohort = open_cohorts(user).filter(pk=data["cohort"]).first()
        if cohort is None:
            raise Refused(_("This cohort takes no more applications."), code="invalid", issues=[])
        result = services.enrol_members(actor=user, group=group, cohort=cohort)
        for nik, reason in result.refused:
            messages.warning(request, _("%(nik)s not enrolled: %(reason)s") % {"nik": mask_nik(nik), "reason": reason})
        return _("Enrolled in %(cohort)s: %(accepted)d new, %(already)d had applied before, %(refused)d refused.") % {
            "cohort": cohort.code,
            "accepted": result.accepted,
            "already": result.already,
            "refused": len(result.refused),
        }
    services.record_visit(actor=user, group=group, **data)
    return _("Visit recorded.")


@require(VIEW, post=MANAGE)
def group_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    group = _group_or_404(request, pk)
    manages = selectors.may_manage(request.user, group)
    bound = request.POST.get("action", "") if request.method == "POST" else ""
    if bound and bound not in FORMS:
        raise Http404
    if bound and not manages:
        raise Refused(_("You may not change business groups of this kelurahan."), code="forbidden")
    today = timezone.localdate()
    forms_: dict[str, forms.Form] = {
        name: cls(request.POST if name == bound else None, prefix=name, initial={"joined_on": today})
        for name, cls in FORMS.items()
    }
    if "enrol" in forms_:
        from entas.training.selectors import open_cohorts

        field = forms_["enrol"].fields["cohort"]
        field.choices = [  # type: ignore[attr-defined]
            (c.pk, f"{c.course.name} · {c.code} ({c.start:%d-%m-%Y})") for c in open_cohorts(request.user)[:100]
        ]
    if bound:
        form = forms_[bound]
        if form.is_valid():
            try:
                message = _act(request, group, bound, form.cleaned_data)
            except Refused as exc:
                _refused(form, exc)
            else:
                messages.success(request, message)
                return redirect("enterprise:group", pk=group.pk)
    memberships = list(selectors.memberships_of(group))
    # Management training (bookkeeping, marketing, digital selling): the training module's own courses
    # and cohorts, read through its selector for the group's current members.
    from entas.training.selectors import training_of_members

    training = training_of_members(request.user, [m.member_id for m in memberships if m.left_on is None])
    return render(
        request,
        "enterprise/group_detail.html",
        {
            "group": group,
            "training": training,
            "manages": manages,
            "forms": forms_ if manages else {},
            "bound": bound,
            "memberships": memberships,
            "grants": list(group.grants.prefetch_related("items")),
            "loans": selectors.loan_views(group.loans.all(), today),
            "reports": list(selectors.reports_of(group)[:24]),
            "visits": list(group.visits.select_related("facilitator")[:10]),
            "certifications": list(group.certifications.all()),
            "participations": list(group.participations.select_related("event")),
            "buyers": list(group.buyer_links.select_related("buyer")),
            "credit": list(group.credit_links.all()),
        },
    )


@require(VIEW, post=MANAGE)
def loan_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    loan = Loan.objects.restrict(request.user, "view").select_related("group__kelurahan").filter(pk=pk).first()
    if loan is None:
        raise Http404(_("No such loan in your areas."))
    manages = selectors.may_manage(request.user, loan.group)
    repay = RepaymentForm(request.POST if request.POST.get("action") == "repay" else None, prefix="repay")
    write_off = WriteOffForm(request.POST if request.POST.get("action") == "write_off" else None, prefix="wo")
    if request.method == "POST":
        if not manages:
            raise Refused(_("You may not change business groups of this kelurahan."), code="forbidden")
        action = request.POST.get("action")
        try:
            if action == "repay" and repay.is_valid():
                out = services.record_repayment(actor=request.user, loan=loan, **repay.cleaned_data)
                if out.outcome == "unchanged":
                    messages.info(request, _("This payment is already recorded: it is not counted twice."))
                else:
                    messages.success(request, _("Payment recorded."))
                return redirect("enterprise:loan", pk=loan.pk)
            if action == "write_off" and write_off.is_valid():
                if loan.write_off_requested_by_id is None:
                    services.request_write_off(actor=request.user, loan=loan, reason=write_off.cleaned_data["reason"])
                    messages.success(request, _("Write-off asked for: another officer approves it."))
                else:
                    services.approve_write_off(actor=request.user, loan=loan)
                    messages.success(request, _("Loan written off."))
                return redirect("enterprise:loan", pk=loan.pk)
            if action not in {"repay", "write_off"}:
                raise Http404
        except Refused as exc:
            _refused(repay if action == "repay" else write_off, exc)
    view = selectors.loan_views([loan])[0]
    return render(
        request,
        "enterprise/loan_detail.html",
        {
            "loan": loan,
            "view": view,
            "rows": list(zip(view.lines, view.paid_by_line, strict=True)),
            "repayments": list(loan.repayments.order_by("paid_on", "pk")),
            "manages": manages,
            "repay": repay,
            "write_off": write_off,
            "today": timezone.localdate(),
            "buckets": [(BUCKET_LABELS[k], v) for k, v in view.position.overdue.items()],
        },
    )


BUCKET_LABELS = {
    "1-30": gettext_lazy("1–30 days late"),
    "31-60": gettext_lazy("31–60 days late"),
    "61-90": gettext_lazy("61–90 days late"),
    "90+": gettext_lazy("over 90 days late"),
}


@require(MANAGE)
def import_file(request: AuthenticatedRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "report_columns": (*REPORT_COLUMNS, *REPORT_OPTIONAL), "repay_columns": REPAY_COLUMNS}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            stored = uploads.store_upload(upload, owner=str(request.user.pk), folder=IMPORT_DIR)
        except Refused as exc:
            form.add_error("file", exc.message)
            return render(request, "enterprise/import.html", context)
        try:
            job = jobqueue.submit(
                kind=form.cleaned_data["kind"], params={"file": stored, "name": upload.name}, actor=request.user
            )
        except Refused as exc:
            uploads.media_path(stored).unlink(missing_ok=True)
            form.add_error("file", exc.message)
            return render(request, "enterprise/import.html", context, status=exc.status)
        messages.info(request, _("The import runs in the background; this page shows its progress."))
        return redirect("jobs:detail", pk=job.pk)
    return render(request, "enterprise/import.html", context)


DIMENSION_LABELS = {
    "type": gettext_lazy("type"),
    "sector": gettext_lazy("KBLI sector (2 digits)"),
    "kelurahan": gettext_lazy("kelurahan"),
    "chair_sex": gettext_lazy("sex of the chair"),
    "assistance": gettext_lazy("assistance"),
    "training": gettext_lazy("management training completed"),
}


@require(RESULTS)
def results(request: AuthenticatedRequest) -> HttpResponseBase:
    by = request.GET.get("by", "type")
    if by not in selectors.DIMENSIONS:
        by = "type"
    today = timezone.localdate()
    rows = selectors.group_rows(request.user, today)
    outcomes = [selectors.outcome_dict(o) for o in selectors.results_for(request.user, today, by, rows)]
    if request.GET.get("format") == "xlsx":
        out = io.BytesIO()
        book = workbook(out)
        sheet = Sheet(book, "hasil")
        header = [by or "all", *list(outcomes[0])[1:]]
        sheet.write_row(0, 0, header, {"bold": True})
        for row, o in enumerate(outcomes, start=1):
            values = list(o.values())
            values[0] = values[0] or "all"
            values = [", ".join(map(str, v)) if isinstance(v, list) else v for v in values]
            sheet.write_row(row, 0, values)
        book.close()
        out.seek(0)
        return FileResponse(out, as_attachment=True, filename=f"hasil-pemberdayaan-{by}.xlsx")
    every: dict[str, dict[str, Any]] = {
        "type": dict(GroupType.choices),
        "chair_sex": {"1": _("Male"), "2": _("Female"), "-": _("no chair")},
        "assistance": {"grant": _("grant"), "loan": _("loan"), "both": _("grant and loan"), "none": _("none")},
        "training": {"-": _("no course completed")},
    }
    labels = every.get(by, {})
    for o in outcomes[1:]:
        o["label"] = labels.get(o["label"], o["label"])
    welfare = selectors.welfare_rows(request.user, today, by, rows)
    welfare_labels = [_("All groups"), *(labels.get(w.label, w.label) for w in welfare[1:])]
    return render(
        request,
        "enterprise/results.html",
        {
            "outcomes": outcomes,
            "by": by,
            "dimensions": DIMENSION_LABELS,
            "welfare": welfare[0].pmt,
            "welfare_rows": list(zip(welfare_labels, welfare, strict=True)),
        },
    )


@require_POST
@require(MANAGE)
def unseat(request: AuthenticatedRequest, pk: int, seat: int) -> HttpResponse:
    group = _group_or_404(request, pk)
    membership = group.memberships.filter(pk=seat).first()
    if membership is None:
        raise Http404
    services.unseat(actor=request.user, membership=membership, left_on=timezone.localdate())
    messages.success(request, _("Seat ended; it stays in the group's history."))
    return redirect("enterprise:group", pk=group.pk)


@require(VIEW)
def grant_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    """The handover record (berita acara serah terima) of a grant as a PDF to print and sign (always in
    Indonesian, as an official document is)."""
    from entas.core.documents import Section, table_pdf
    from entas.core.money import format_rupiah

    grant = Grant.objects.restrict(request.user, "view").select_related("group__kelurahan").filter(pk=pk).first()
    if grant is None:
        raise Http404(_("No such grant in your areas."))
    group = grant.group
    chair = group.memberships.filter(role="chair", left_on__isnull=True).select_related("member").first()
    items = list(grant.items.all())
    if items:
        rows = [
            [n, i.description, i.quantity, format_rupiah(i.unit_value, "id"), format_rupiah(i.value, "id")]
            for n, i in enumerate(items, start=1)
        ]
    else:
        rows = [[1, "Bantuan uang tunai", 1, format_rupiah(grant.amount, "id"), format_rupiah(grant.amount, "id")]]
    out = io.BytesIO()
    table_pdf(
        out,
        title=f"Berita Acara Serah Terima Nomor {grant.handover_reference}",
        columns=["No", "Uraian", "Jumlah", "Nilai satuan", "Nilai"],
        widths_mm=[12, 120, 20, 50, 50],
        right_aligned=[2, 3, 4],
        sections=[
            Section(
                heading=(
                    f"Penerima: {group.name} ({group.get_type_display()}), Kelurahan {group.kelurahan.name}; "
                    f"diserahkan {grant.handed_over_on:%d-%m-%Y}"
                ),
                rows=rows,
                summary=f"Jumlah nilai bantuan: {format_rupiah(grant.amount, 'id')}",
                signatures=[
                    "Yang menyerahkan, DKUMKMP Kota Balikpapan",
                    "",
                    f"Yang menerima, Ketua {chair.member.name if chair else group.name}",
                ],
            )
        ],
        empty="Tidak ada barang.",
        footer=f"entas - berita acara {grant.handover_reference}",
    )
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"berita-acara-hibah-{grant.pk}.pdf")
