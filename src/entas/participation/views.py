"""Pages of community participation: thin: read through :mod:`.selectors`, write through
:mod:`.services`. The kelurahan operator records a musyawarah, its attendance and its decision on
each household, prints the berita acara and attaches the signed scan; the forum calendar is for the
registry's people, the TKPK analysts and the register's keepers."""

from __future__ import annotations

import io
import mimetypes
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.core import uploads
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused, show_on_form

from . import choices as c
from . import rules, selectors, services
from .forms import (
    ContributionForm,
    DecisionForm,
    ForumForm,
    FundForm,
    PartnerForm,
    ProposalForm,
    ReviewForm,
    ScanForm,
)
from .minutes import minutes_pdf
from .models import FORUM_ACTIONS, Contribution, Forum, Partner, Proposal

VIEW = FORUM_ACTIONS["view"]
RECORD = FORUM_ACTIONS["change"]


def _forum(request: AuthenticatedRequest, pk: int) -> Forum:
    try:
        return selectors.forum_for(request.user, pk)
    except Forum.DoesNotExist:
        raise Http404(_("No such forum in your areas.")) from None


@require(VIEW)
def forums(request: AuthenticatedRequest) -> HttpResponse:
    """The forums held in the user's areas, newest first (filter by kind and year), and the year's
    calendar by month."""
    kind = request.GET.get("kind", "")
    kind = kind if kind in c.ForumKind.values else ""
    today = timezone.localdate()
    latest = selectors.latest_forum_day(request.user)
    default = latest.year if latest and latest.year < today.year and not request.GET.get("year") else today.year
    try:
        year = int(request.GET.get("year", "") or default)
    except ValueError:
        year = default
    page = Paginator(selectors.forums_for(request.user, kind=kind, year=year), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "participation/forums.html",
        {
            "page": page,
            "kind": kind,
            "kinds": c.ForumKind.choices,
            "year": year,
            "years": range(today.year - 3, today.year + 2),
            "calendar": selectors.calendar(request.user, year),
            "can_record": any(request.user.can(cap) for cap in RECORD),
        },
    )


@require(RECORD)
def forum_new(request: AuthenticatedRequest) -> HttpResponse:
    """Record a forum that was held: kind, area, date, berita acara number, agenda, chair and the
    attendance by group and sex."""
    form = ForumForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            forum = services.save_forum(
                actor=request.user,
                kind=data["kind"],
                area=data["area"],
                held_on=data["held_on"],
                berita_acara=data["berita_acara"],
                agenda=data["agenda"],
                place=data["place"],
                chair=data["chair"],
                secretary=data["secretary"],
                rt=data["rt"],
                attendance=form.attendance(),
            )
        except Refused as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("The forum %(ba)s is recorded.") % {"ba": forum.berita_acara})
            return redirect("participation:forum", pk=forum.pk)
    return render(request, "participation/forum_new.html", {"form": form})


@require(VIEW, post=Capability.CHANGE_REGISTRY)
def forum(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A forum: its attendance and, for a musyawarah, its decision on each household (recorded here:
    the registry's verification and the rules' lists take them at once), its berita acara and scan."""
    forum = _forum(request, pk)
    sees_people = request.user.can(Capability.VIEW_REGISTRY)
    form = DecisionForm(request.POST or None, user=request.user) if forum.is_musyawarah and sees_people else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        assert form.household is not None
        try:
            services.record_decision(
                actor=request.user,
                forum=forum,
                household=form.household,
                action=data["action"],
                reason=data["reason"],
                rule=data["rule"],
            )
        except Refused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The decision on KK %(kk)s is recorded.") % {"kk": data["kk_number"]})
            return redirect("participation:forum", pk=forum.pk)
    decisions = list(selectors.decisions_of(request.user, forum)) if sees_people else []
    return render(
        request,
        "participation/forum.html",
        {
            "forum": forum,
            "attendance": selectors.attendance_of(forum),
            "counts": selectors.decision_counts(forum) if forum.is_musyawarah else None,
            "decisions": decisions,
            "form": form,
            "scan_form": ScanForm(),
            "sees_people": sees_people,
            "can_record": any(request.user.can(cap) for cap in RECORD),
        },
    )


@require(Capability.VIEW_REGISTRY)
def minutes(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The berita acara of a musyawarah as PDF, to print and sign."""
    forum = _forum(request, pk)
    if not forum.is_musyawarah:
        raise Http404(_("Only a musyawarah kelurahan has a berita acara of decisions."))
    out = io.BytesIO()
    minutes_pdf(request.user, forum, out)
    out.seek(0)
    name = "".join(ch if ch.isalnum() else "-" for ch in forum.berita_acara)
    return FileResponse(out, as_attachment=True, filename=f"berita-acara-{name}.pdf", content_type="application/pdf")


@require(VIEW, post=RECORD)
@require_POST
def scan(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Attach the signed scan of a forum's berita acara."""
    forum = _forum(request, pk)
    form = ScanForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the signed scan to upload."))
        return redirect("participation:forum", pk=forum.pk)
    services.attach_scan(actor=request.user, forum=forum, upload=form.cleaned_data["scan"])
    messages.success(request, _("The signed scan of %(ba)s is attached.") % {"ba": forum.berita_acara})
    return redirect("participation:forum", pk=forum.pk)


@require(Capability.VIEW_REGISTRY)
def scan_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The signed scan of a forum's berita acara (it names households: the registry's people only)."""
    forum = _forum(request, pk)
    path = uploads.media_path(forum.scan) if forum.scan else None
    if path is None or not path.is_file():
        raise Http404(_("No signed scan is attached to this forum."))
    kind = mimetypes.guess_type(forum.scan_name)[0] or "application/octet-stream"
    return FileResponse(path.open("rb"), as_attachment=True, filename=forum.scan_name, content_type=kind)


# -- the Musrenbang: proposals, their review at each stage, funding ---------------------------------


def _proposal(request: AuthenticatedRequest, pk: int) -> Proposal:
    try:
        return selectors.proposal_for(request.user, pk)
    except Proposal.DoesNotExist:
        raise Http404(_("No such proposal in your areas.")) from None


@require(VIEW)
def proposals(request: AuthenticatedRequest) -> HttpResponse:
    """The Musrenbang's proposals of the user's areas (filter by stage, status, category, kelurahan)
    and the report: by stage, kelurahan and category, the share funded and the share addressing
    poverty."""
    filters = {
        "stage": request.GET.get("stage", "") if request.GET.get("stage", "") in c.ForumKind.values else "",
        "status": request.GET.get("status", "") if request.GET.get("status", "") in c.ProposalStatus.values else "",
        "category": request.GET.get("category", "")
        if request.GET.get("category", "") in c.ProposalCategory.values
        else "",
        "kelurahan": request.GET.get("kelurahan", "")[:20],
    }
    page = Paginator(selectors.proposals_for(request.user, **filters), 50).get_page(request.GET.get("page"))
    report = selectors.proposal_report(request.user)
    labels = {**dict(c.ForumKind.choices), **dict(c.ProposalStatus.choices), **dict(c.ProposalCategory.choices)}
    return render(
        request,
        "participation/proposals.html",
        {
            "page": page,
            "filters": filters,
            "report": report,
            "by_stage": [(labels[s], report.by_stage.get(s, 0)) for s in rules.STAGES if report.by_stage.get(s)],
            "by_status": [(labels[s], n) for s, n in sorted(report.by_status.items())],
            "by_category": [(labels[k], n) for k, n in sorted(report.by_category.items(), key=lambda i: -i[1])],
            "by_kelurahan": sorted(report.by_kelurahan.items()),
            "stages": [(s, labels[s]) for s in rules.STAGES],
            "statuses": c.ProposalStatus.choices,
            "categories": c.ProposalCategory.choices,
            "can_record": any(request.user.can(cap) for cap in RECORD),
        },
    )


@require(RECORD)
def proposal_new(request: AuthenticatedRequest) -> HttpResponse:
    form = ProposalForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proposal, _created = services.save_proposal(actor=request.user, **data)
        except Refused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Proposal %(code)s is recorded.") % {"code": proposal.code})
            return redirect("participation:proposal", pk=proposal.pk)
    return render(request, "participation/proposal_new.html", {"form": form})


@require(VIEW, post=RECORD)
def proposal(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A proposal: where it came from, its review at each forum (score, votes, outcome), its status and,
    once funded, the programme and activity of the policy register that carry it."""
    proposal = _proposal(request, pk)
    forums = selectors.forums_for_review(request.user, proposal)
    form = ReviewForm(request.POST or None, forums=forums)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = None
        if data["merged_into"]:
            target = selectors.proposals_for(request.user).filter(code=data["merged_into"].strip()).first()
        try:
            services.review_proposal(
                actor=request.user,
                proposal=proposal,
                forum=data["forum"],
                outcome=data["outcome"],
                score=data["score"],
                votes_for=data["votes_for"],
                votes_against=data["votes_against"],
                note=data["note"],
                merged_into=target,
            )
        except Refused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The forum's decision on %(code)s is recorded.") % {"code": proposal.code})
            return redirect("participation:proposal", pk=proposal.pk)
    open_ = proposal.status in rules.OPEN
    return render(
        request,
        "participation/proposal.html",
        {
            "proposal": proposal,
            "reviews": list(selectors.reviews_of(proposal)),
            "form": form if open_ and any(request.user.can(cap) for cap in RECORD) else None,
            "fund_form": FundForm()
            if proposal.status == "accepted" and request.user.can(Capability.EDIT_POLICY)
            else None,
        },
    )


@require(VIEW, post=Capability.EDIT_POLICY)
@require_POST
def proposal_fund(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Record the programme (and activity) of the policy register that funds an accepted proposal."""
    from entas.policy.models import Activity, ProgrammeRecord

    proposal = _proposal(request, pk)
    form = FundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the programme's register code."))
        return redirect("participation:proposal", pk=proposal.pk)
    record = ProgrammeRecord.objects.filter(code=form.cleaned_data["programme"].strip()).order_by("-pk").first()
    if record is None:
        raise Refused(_("No programme with register code %(code)s.") % {"code": form.cleaned_data["programme"][:20]})
    activity = None
    if form.cleaned_data["activity"]:
        activity = Activity.objects.filter(record=record, code=form.cleaned_data["activity"].strip()).first()
        if activity is None:
            raise Refused(_("The programme has no activity %(code)s.") % {"code": form.cleaned_data["activity"][:30]})
    services.fund_proposal(actor=request.user, proposal=proposal, record=record, activity=activity)
    messages.success(
        request, _("Proposal %(code)s is funded by %(programme)s.") % {"code": proposal.code, "programme": record.code}
    )
    return redirect("participation:proposal", pk=proposal.pk)


# -- partners: the CSR coordination view (Bappeda) and the partner portal --------------------------


@require((Capability.VIEW_POLICY,))
def partners(request: AuthenticatedRequest) -> HttpResponse:
    """Who funds what where (Bappeda's CSR coordination): each partner's money pledged and delivered,
    its contributions by programme and kelurahan; the kelurahan with many poor households and no
    partner (gaps) and the programmes one kelurahan gets from several partners (overlaps)."""
    today = timezone.localdate()
    newest = selectors.contributions_for(request.user).order_by("-year").values_list("year", flat=True).first()
    default = newest if newest and newest < today.year else today.year
    try:
        year = int(request.GET.get("year", "") or default)
    except ValueError:
        year = default
    return render(
        request,
        "participation/partners.html",
        {
            "year": year,
            "years": range(today.year - 3, today.year + 2),
            "partners": Partner.objects.restrict(request.user, "view").prefetch_related("agreements"),
            "can_edit": request.user.can(Capability.EDIT_POLICY),
            **selectors.coordination(request.user, year),
        },
    )


@require(Capability.EDIT_POLICY)
def partner_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    """Record a partner organisation, its partner accounts and its MoU/PKS (Bappeda); opened on a
    partner, the form corrects it."""
    found = None
    initial: dict[str, Any] = {}
    if pk is not None:
        found = Partner.objects.restrict(request.user, "view").filter(pk=pk).first()
        if found is None:
            raise Http404(_("No such partner."))
        initial = {
            "code": found.code,
            "name": found.name,
            "kind": found.kind,
            "contact_person": found.contact_person,
            "contact": found.contact,
            "users": list(found.users.all()),
        }
    form = PartnerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            partner, _created = services.save_partner(
                actor=request.user,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                contact_person=data["contact_person"],
                contact=data["contact"],
                users=list(data["users"]),
            )
            if data["agreement_number"]:
                services.save_agreement(
                    actor=request.user,
                    partner=partner,
                    kind=data["agreement_kind"],
                    number=data["agreement_number"],
                    signed_on=data["signed_on"],
                    start=data["start"],
                    end=data["end"],
                    scope=data["scope"],
                    kelurahan=list(data["kelurahan"]),
                )
        except Refused as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Partner %(name)s is recorded.") % {"name": partner.name})
            return redirect("participation:partners")
    return render(request, "participation/partner_edit.html", {"form": form, "partner": found})


@require(Capability.EDIT_POLICY)
def contribution_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    """Record a partner's contribution to a programme of the register (Bappeda); opened on one, the
    form records what has been delivered since, or corrects it."""
    from entas.policy.models import Activity, ProgrammeRecord

    found = None
    initial: dict[str, Any] = {"year": timezone.localdate().year}
    if pk is not None:
        found = selectors.contributions_for(request.user).filter(pk=pk).first()
        if found is None:
            raise Http404(_("No such contribution."))
        initial = {
            "partner": found.partner,
            "kind": found.kind,
            "description": found.description,
            "programme": found.record.code,
            "activity": found.activity.code if found.activity else "",
            "kelurahan": found.kelurahan,
            "year": found.year,
            "pledged_value": found.pledged_value,
            "delivered_value": found.delivered_value,
            "pledged_quantity": found.pledged_quantity,
            "delivered_quantity": found.delivered_quantity,
            "unit": found.unit,
            "delivered_on": found.delivered_on,
        }
    form = ContributionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        record = ProgrammeRecord.objects.filter(code=data["programme"].strip()).order_by("-pk").first()
        activity = None
        if record is None:
            form.add_error("programme", _("No programme with register code %(code)s.") % {"code": data["programme"]})
        elif data["activity"]:
            activity = Activity.objects.filter(record=record, code=data["activity"].strip()).first()
            if activity is None:
                form.add_error("activity", _("The programme has no activity %(code)s.") % {"code": data["activity"]})
        if record is not None and form.is_valid():
            try:
                saved = services.record_contribution(
                    actor=request.user,
                    partner=data["partner"],
                    kind=data["kind"],
                    description=data["description"],
                    record=record,
                    activity=activity,
                    kelurahan=data["kelurahan"],
                    year=data["year"],
                    pledged_value=data["pledged_value"] or 0,
                    delivered_value=data["delivered_value"] or 0,
                    pledged_quantity=data["pledged_quantity"] or 0,
                    delivered_quantity=data["delivered_quantity"] or 0,
                    unit=data["unit"],
                    delivered_on=data["delivered_on"],
                    contribution=found,
                )
            except Refused as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("The contribution of %(name)s is recorded.") % {"name": saved.partner.name})
                return redirect(reverse("participation:partners") + f"?year={saved.year}")
    return render(request, "participation/contribution_edit.html", {"form": form, "contribution": found})


@require(Capability.VIEW_FUNDED_POLICY)
def portal(request: AuthenticatedRequest) -> HttpResponse:
    """The partner portal: the partner's own contributions (pledged and delivered, its delivery
    reports) and the programmes it funds with their results as counts — never a person."""
    from entas.policy.selectors import beneficiaries_of

    contributions = list(selectors.own_contributions(request.user))
    records = list({c.record_id: c.record for c in contributions}.values())
    reached = beneficiaries_of(records, timezone.localdate()) if records else {}
    return render(
        request,
        "participation/portal.html",
        {
            "organisations": selectors.partners_of(request.user),
            "contributions": contributions,
            "programmes": [(r, reached.get(r.pk, {})) for r in records],
            "report_form": ScanForm(),
        },
    )


def _contribution(request: AuthenticatedRequest, pk: int) -> Any:
    own = selectors.own_contributions(request.user).filter(pk=pk).first()
    if own is None and request.user.can(Capability.VIEW_POLICY):
        own = selectors.contributions_for(request.user).filter(pk=pk).first()
    if own is None:
        raise Http404(_("No such contribution of yours."))
    assert isinstance(own, Contribution)
    return own


@require((Capability.VIEW_FUNDED_POLICY, Capability.EDIT_POLICY))
@require_POST
def report_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A partner uploads the delivery report of one of its contributions."""
    contribution = _contribution(request, pk)
    form = ScanForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the report to upload."))
    else:
        services.attach_delivery_report(actor=request.user, contribution=contribution, upload=form.cleaned_data["scan"])
        messages.success(request, _("The delivery report is attached."))
    return redirect(
        "participation:portal" if request.user.can(Capability.VIEW_FUNDED_POLICY) else "participation:partners"
    )


@require((Capability.VIEW_FUNDED_POLICY, Capability.VIEW_POLICY))
def report_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    contribution = _contribution(request, pk)
    path = uploads.media_path(contribution.report) if contribution.report else None
    if path is None or not path.is_file():
        raise Http404(_("No delivery report is attached."))
    kind = mimetypes.guess_type(contribution.report_name)[0] or "application/octet-stream"
    return FileResponse(path.open("rb"), as_attachment=True, filename=contribution.report_name, content_type=kind)
