"""Pages of the portal. The public ones (no login) file a complaint and follow it by its code; the
officers' ones hold the queue and the case. Thin: reads through selectors, writes through services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from entas.accounts.roles import Capability
from entas.accounts.scoping import visible_regions
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused
from entas.core.middleware import request_ip
from entas.regions.models import Region, RegionLevel

from . import opendata, rules, selectors, services
from .choices import STEP_LABELS, Category, Channel, NoteKind, State
from .forms import CheckForm, ComplaintForm, IntakeForm, LinkForm, NoteForm, TrackForm, UsulAnswerForm
from .models import Case, CaseAttachment, VerificationTask

VIEW = (Capability.HANDLE_GRIEVANCES, Capability.VIEW_AUDIT)

# -- public pages -----------------------------------------------------------------------------------


@require_http_methods(["GET"])
def portal_home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/public_home.html")


def _kelurahan(code: str) -> Region | None:
    return Region.objects.filter(level=RegionLevel.KELURAHAN, code=code).first()


@never_cache
@require_http_methods(["GET", "POST"])
def complaint(request: HttpRequest) -> HttpResponse:
    """The public complaint form. A successful POST answers with the tracking code, once."""
    if request.method == "GET":
        return render(request, "portal/complaint.html", {"form": ComplaintForm()})
    refusal = services.count_visit(action="portal.submit", address=request_ip(request) or "")
    form = ComplaintForm(request.POST, request.FILES)
    if refusal is not None:
        return render(request, "portal/complaint.html", {"form": form, "refusal": refusal}, status=429)
    if not form.is_valid():
        form.refresh_challenge()
        return render(request, "portal/complaint.html", {"form": form}, status=400)
    data = form.cleaned_data
    kelurahan = _kelurahan(data["kelurahan"])
    if kelurahan is None:
        form.add_error("kelurahan", _("Choose a kelurahan from the list."))
        form.refresh_challenge()
        return render(request, "portal/complaint.html", {"form": form}, status=400)
    try:
        filed = services.file_case(
            category=data["category"],
            kelurahan=kelurahan,
            description=data["description"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
            anonymous=data["anonymous"],
            attachments=request.FILES.getlist("attachment"),
            address=request_ip(request) or "",
            spam=bool(data.get("website")),
        )
    except Refused as exc:
        form.refresh_challenge()
        for issue in exc.issues:
            if issue.field in form.fields:
                form.add_error(issue.field, issue.message)
        return render(request, "portal/complaint.html", {"form": form, "refusal": exc}, status=400)
    return render(request, "portal/filed.html", {"code": filed.code, "case": filed.case})


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """The status of one case, by its code: its state, dates and public answers, nothing else. The
    code travels in a POST (never in a URL, which proxies and browsers' histories keep)."""
    if request.method == "GET":
        return render(request, "portal/track.html", {"form": TrackForm()})
    form = TrackForm(request.POST)
    refusal = services.count_visit(action="portal.track", address=request_ip(request) or "")
    if refusal is not None:
        return render(request, "portal/track.html", {"form": form, "refusal": refusal}, status=429)
    case = services.find_by_code(form.data.get("code", "")) if form.is_valid() else None
    if case is None or case.spam:
        return render(request, "portal/track.html", {"form": form, "not_found": True}, status=404)
    return render(
        request,
        "portal/status.html",
        {"case": case, "answers": selectors.public_answers(case), "form": TrackForm()},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    """Cek bansos. Every check is counted and logged (the NIK as a keyed hash) before anything is
    looked up; the answer for an unknown NIK, another kelurahan and a wrong name is one and the same."""
    if request.method == "GET":
        return render(request, "portal/check.html", {"form": CheckForm()})
    form = CheckForm(request.POST)
    address = request_ip(request) or ""
    nik = str(request.POST.get("nik", ""))[:16]
    subject = services.subject_key(nik) if nik else ""
    refusal = services.count_visit(action="portal.check", address=address, subject_key=subject)
    if refusal is not None:
        return render(request, "portal/check.html", {"form": form, "refusal": refusal}, status=429)
    if not form.is_valid():
        return render(request, "portal/check.html", {"form": form}, status=400)
    data = form.cleaned_data
    result = selectors.status_check(kelurahan_code=data["kelurahan"], nik=data["nik"], letters=data["letters"])
    services.note_outcome(
        action="portal.check", address=address, subject_key=subject, outcome="match" if result else "no_match"
    )
    return render(request, "portal/check.html", {"form": CheckForm(), "result": result, "asked": True})


@require_http_methods(["GET"])
def open_data(request: HttpRequest) -> HttpResponse:
    """Every open dataset as a table on one page, with its downloads and the catalogue."""
    tables = [
        (dataset, opendata.rows_of(table), opendata.header(table), table.note, opendata.map_spec(dataset, table))
        for dataset, table in _tables()
    ]
    return render(
        request, "portal/open_data.html", {"tables": tables, "k": opendata.k(), "maps": any(t[4] for t in tables)}
    )


def _tables() -> list[tuple[opendata.Dataset, opendata.Table]]:
    return [(dataset, opendata.cached_table(dataset)) for dataset in opendata.DATASETS.values()]


@require_http_methods(["GET"])
def open_data_download(request: HttpRequest) -> HttpResponse:
    """One dataset in one format: ?dataset=SLUG&format=csv|xlsx|json."""
    dataset = opendata.DATASETS.get(request.GET.get("dataset", ""))
    fmt = request.GET.get("format", "csv")
    if dataset is None or fmt not in opendata.FORMATS:
        raise Http404(_("No such dataset."))
    table = opendata.cached_table(dataset)
    body = {
        "csv": lambda: opendata.as_csv(table),
        "xlsx": lambda: opendata.as_xlsx(table),
        "json": lambda: opendata.as_json(dataset, table),
    }[fmt]()
    response = HttpResponse(body, content_type=opendata.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="balikpapan-{dataset.slug}.{fmt}"'
    return response


@require_http_methods(["GET"])
def open_data_catalogue(request: HttpRequest) -> JsonResponse:
    """The DCAT-style catalogue of the open datasets (JSON-LD)."""
    return JsonResponse(opendata.catalogue(request.build_absolute_uri("/")), json_dumps_params={"ensure_ascii": False})


# -- officers' pages --------------------------------------------------------------------------------


def _case_or_404(request: AuthenticatedRequest, pk: int, action: str = "view") -> Case:
    try:
        return selectors.case_for(request.user, pk, action)
    except Case.DoesNotExist:
        raise Http404(_("No such complaint in your areas.")) from None


@require(VIEW)
def cases(request: AuthenticatedRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    category = request.GET.get("category", "")
    mine = request.GET.get("mine") == "1"
    queue = selectors.queue_for(request.user, state=state if state != "all" else "", category=category, mine=mine)
    page = Paginator(queue, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/cases.html",
        {
            "page": page,
            "state": state,
            "category": category,
            "mine": mine,
            "states": State.choices,
            "categories": Category.choices,
            "may_handle": request.user.can(Capability.HANDLE_GRIEVANCES),
        },
    )


@require(VIEW, post=Capability.HANDLE_GRIEVANCES)
def case_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    if request.method == "POST":
        case = _case_or_404(request, pk, "change")
        _act(request, case)
        return redirect("portal:case", pk=case.pk)
    return render(
        request,
        "portal/case.html",
        {
            "case": case,
            "notes": case.notes.select_related("author"),
            "attachments": case.attachments.all(),
            "steps": [(a, STEP_LABELS[a]) for a in rules.actions_from(case.state)],
            "note_form": NoteForm(),
            "link_form": LinkForm(),
            "handlers": selectors.handlers_for(case) if request.user.can(Capability.HANDLE_GRIEVANCES) else [],
            "may_handle": request.user.can(Capability.HANDLE_GRIEVANCES),
            "overdue": selectors.overdue_days(case) if case.is_open else 0,
            "task": VerificationTask.objects.filter(case=case).select_related("household").first(),
            "notifications": case.notifications.all()[:20],
        },
    )


@require(Capability.HANDLE_GRIEVANCES)
def usul_register(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Resolve an usul by registering the proposed family: the registry's registration (status
    *usulan*, every check of the import), the case linked to it, the answer to the citizen and the
    case resolved, in one step."""
    from entas.registry.forms import MemberRowFormSet, RegisterHouseholdForm
    from entas.registry.services import REGISTER_FIELDS

    case = _case_or_404(request, pk, "change")
    if case.category != Category.USUL or case.household_id is not None or not case.is_open:
        raise Http404(_("Only an open usul without a family registers one."))
    kelurahan = visible_regions(request.user).filter(level=RegionLevel.KELURAHAN, pk=case.kelurahan_id)
    form = RegisterHouseholdForm(request.POST or None, kelurahan=kelurahan)
    form.fields.pop("source")
    members: Any = MemberRowFormSet(request.POST or None, prefix="m", initial=[{"relationship": "1"}])
    answer = UsulAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and members.is_valid() and answer.is_valid():
        rows = [f.cleaned_data for f in members.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        try:
            services.register_usul(
                case=case,
                actor=request.user,
                kelurahan=form.cleaned_data["kelurahan"],
                values={k: form.cleaned_data[k] for k in REGISTER_FIELDS},
                members=rows,
                answer=answer.cleaned_data["answer"],
            )
        except Refused as exc:
            for issue in exc.issues or []:
                if issue.field in form.fields and issue.field != "kelurahan":
                    form.add_error(issue.field, issue.message)
                else:
                    members._non_form_errors.append(issue.message)
            if not exc.issues:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("The family is registered as a proposal (usulan) and the usul is resolved."))
            return redirect("portal:case", pk=case.pk)
    return render(
        request, "portal/usul_register.html", {"case": case, "form": form, "members": members, "answer": answer}
    )


@require(Capability.VIEW_REGISTRY)
def verification_tasks(request: AuthenticatedRequest) -> HttpResponse:
    """The households that resolved sanggah sent back to the field check, in the user's areas: open
    first (until the household is verified again), with the case and the reason."""
    tasks = selectors.verification_tasks_for(request.user)
    return render(request, "portal/verification_tasks.html", {"tasks": tasks})


def _act(request: AuthenticatedRequest, case: Case) -> None:
    """One officer's action on a case (a refusal reaches RefusedMiddleware, which shows it on the page)."""
    op = request.POST.get("op", "")
    user = request.user
    if op == "step":
        action = request.POST.get("action", "")
        services.take_step(case=case, action=action, actor=user)
        messages.success(request, _("Done: %(step)s.") % {"step": STEP_LABELS.get(action, action)})
    elif op == "note":
        form = NoteForm(request.POST)
        if not form.is_valid():
            raise Refused(_("Write something first."), code="invalid")
        services.add_note(case=case, kind=form.cleaned_data["kind"], text=form.cleaned_data["text"], actor=user)
        messages.success(
            request,
            _("The answer is visible to the citizen.")
            if form.cleaned_data["kind"] == NoteKind.PUBLIC
            else _("The note is saved (officers only)."),
        )
    elif op == "assign":
        to = next((u for u in selectors.handlers_for(case) if str(u.pk) == request.POST.get("user")), None)
        if request.POST.get("user") and to is None:
            raise Refused(_("Choose someone who handles complaints of this kelurahan."), code="invalid")
        services.assign(case=case, to=to, actor=user)
        messages.success(request, _("The assignment is saved."))
    elif op == "spam":
        services.mark_spam(case=case, actor=user)
        messages.success(request, _("Marked as spam and closed."))
    elif op == "link":
        _link(request, case)
    else:
        raise Refused(_("Unknown step: %(action)s.") % {"action": op}, code="invalid")


def _link(request: AuthenticatedRequest, case: Case) -> None:
    from entas.programs.models import Payment
    from entas.registry import selectors as registry

    form = LinkForm(request.POST)
    form.is_valid()
    kk = (form.cleaned_data.get("kk_number") or "").strip()
    reference = (form.cleaned_data.get("payment_reference") or "").strip()
    household = payment = None
    if kk:
        household = registry.households_for(request.user).filter(kk_number=kk).first()
        if household is None:
            raise Refused(_("No household with that KK number in your areas."), code="not_found")
    if reference:
        payment = (
            Payment.objects.select_related("entitlement__household__kelurahan", "entitlement__cycle__programme")
            .filter(reference=reference, entitlement__household__in=registry.households_for(request.user))
            .first()
        )
        if payment is None:
            raise Refused(_("No payment with that reference in your areas."), code="not_found")
    if household is None and payment is None:
        raise Refused(_("Give a KK number or a payment reference."), code="invalid")
    services.link(case=case, actor=request.user, household=household, payment=payment)
    messages.success(request, _("The case is linked."))


@require(VIEW)
def agenda(request: AuthenticatedRequest) -> HttpResponse:
    """Usul and sanggah by kelurahan: the agenda of the musyawarah kelurahan (printable)."""
    return render(request, "portal/agenda.html", {"groups": selectors.agenda_for(request.user)})


@require((Capability.VIEW_ANALYTICS, Capability.HANDLE_GRIEVANCES, Capability.VIEW_AUDIT))
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """Complaint statistics of the user's areas, for the TKPK: figures only, never a case."""
    return render(request, "portal/dashboard.html", {"d": selectors.dashboard(request.user)})


@require(Capability.HANDLE_GRIEVANCES)
def intake(request: AuthenticatedRequest) -> HttpResponse:
    """A complaint taken in by an officer for a walk-in or a telephone caller."""
    regions = visible_regions(request.user).filter(level=RegionLevel.KELURAHAN)
    form = IntakeForm(request.POST or None, request.FILES or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kelurahan = regions.filter(code=data["kelurahan"]).first()
        if kelurahan is None:
            raise Refused(_("You may not take in complaints for this kelurahan."), code="forbidden")
        filed = services.file_case(
            category=data["category"],
            kelurahan=kelurahan,
            description=data["description"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
            anonymous=data["anonymous"],
            attachments=request.FILES.getlist("attachment"),
            channel=data["channel"] or Channel.WALK_IN,
            actor=request.user,
        )
        return render(request, "portal/filed.html", {"code": filed.code, "case": filed.case, "officer": True})
    return render(request, "portal/intake.html", {"form": form})


@require(VIEW)
def attachment(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """A case's file, to an officer who may see the case, always as a download (never rendered)."""
    item = CaseAttachment.objects.filter(pk=pk, case__in=Case.objects.restrict(request.user, "view")).first()
    if item is None:
        raise Http404(_("No such file."))
    path = Path(settings.MEDIA_ROOT) / item.file
    if not path.is_file():
        raise Http404(_("No such file."))
    response = FileResponse(path.open("rb"), as_attachment=True, filename=item.name, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
