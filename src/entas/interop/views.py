"""Pages of the interoperability module, for the officials who own each step: Dinas Sosial's
approvers exchange files with the nation and the bank (SIKS-NG export, DTSEN import and its
comparison, Dukcapil NIK batches, camt.053 and MT940 statements); the administrator registers the systems
that query the registry over DCI and rotates the signing keys."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.core import jobqueue, uploads
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused, show_on_form

from . import exchange, selectors, services
from .forms import CallerForm, CamtForm, SiksExportForm, UploadForm
from .models import CallerSystem, Exchange

IMPORT_DIR = "imports"
VIEW = (Capability.APPROVE_REGISTRY, Capability.VIEW_AUDIT)


@require(VIEW, post=Capability.APPROVE_REGISTRY)
def index(request: AuthenticatedRequest) -> HttpResponse:
    """The exchanges made, and the forms that start one (each runs as a job)."""
    cycles = selectors.reconcilable_cycles(request.user)
    siks_form = SiksExportForm(prefix="siks")
    dtsen_form = UploadForm(prefix="dtsen")
    nik_form = UploadForm(prefix="nik")
    camt_form = CamtForm(prefix="camt", cycles=cycles)
    if request.method == "POST":
        action = request.POST.get("action", "")
        job = None
        try:
            if action == "siks":
                siks_form = SiksExportForm(request.POST, prefix="siks")
                if siks_form.is_valid():
                    exchange.parse_period(siks_form.cleaned_data["period"])
                    job = jobqueue.submit(
                        kind="interop.siks_export", params=dict(siks_form.cleaned_data), actor=request.user
                    )
            elif action in ("dtsen", "nik"):
                form = UploadForm(request.POST, request.FILES, prefix=action)
                if action == "dtsen":
                    dtsen_form = form
                else:
                    nik_form = form
                if form.is_valid():
                    upload = form.cleaned_data["file"]
                    stored = uploads.store_upload(upload, owner=str(request.user.pk), folder=IMPORT_DIR)
                    kind = "interop.dtsen_import" if action == "dtsen" else "interop.nik_batch"
                    job = jobqueue.submit(kind=kind, params={"file": stored, "name": upload.name}, actor=request.user)
            elif action == "camt":
                camt_form = CamtForm(request.POST, request.FILES, prefix="camt", cycles=cycles)
                if camt_form.is_valid():
                    upload = camt_form.cleaned_data["file"]
                    stored = uploads.store_upload(upload, owner=str(request.user.pk), folder=IMPORT_DIR)
                    params = {
                        "file": stored,
                        "name": upload.name,
                        "cycle": camt_form.cleaned_data["cycle"].pk,
                        "format": camt_form.cleaned_data["format"],
                    }
                    job = jobqueue.submit(kind="interop.camt053", params=params, actor=request.user)
        except Refused as exc:
            messages.error(request, exc.message)
        if job is not None:
            messages.info(request, _("The exchange runs in the background; this page shows its progress."))
            return redirect("jobs:detail", pk=job.pk)
    return render(
        request,
        "interop/index.html",
        {
            "exchanges": selectors.exchanges_for(request.user),
            "siks_form": siks_form,
            "dtsen_form": dtsen_form,
            "nik_form": nik_form,
            "camt_form": camt_form,
            "may_exchange": request.user.can(Capability.APPROVE_REGISTRY),
            "may_manage": request.user.can(Capability.MANAGE_SETTINGS),
        },
    )


@require(VIEW)
def comparison(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """What differs between the city's registry and a DTSEN file."""
    found = selectors.exchanges_for(request.user).filter(pk=pk, kind=Exchange.Kind.DTSEN_IMPORT).first()
    if found is None:
        raise Http404(_("No such DTSEN import."))
    differences = exchange.differences(request.user, found)
    services.record_comparison_view(actor=request.user, exchange=found, shown=len(differences))
    counts: dict[str, int] = {}
    for difference in differences:
        counts[str(difference.label)] = counts.get(str(difference.label), 0) + 1
    return render(
        request,
        "interop/comparison.html",
        {"exchange": found, "differences": differences, "counts": sorted(counts.items())},
    )


@require(Capability.MANAGE_SETTINGS)
def callers(request: AuthenticatedRequest) -> HttpResponse:
    """The systems registered to query the registry over DCI, our signing keys, recent messages."""
    form = CallerForm()
    secret = None
    if request.method == "POST":
        form = CallerForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                caller, secret = services.register_caller(
                    actor=request.user,
                    sender_id=data["sender_id"],
                    name=data["name"],
                    service_user=data["service_user"],
                    jwks_url=data["jwks_url"],
                    jwks=data["jwks"],
                    callback_url=data["callback_url"],
                    require_signature=data["require_signature"],
                )
            except Refused as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("System registered. Give it its client secret now: it is shown only once."))
                form = CallerForm()
                return render(request, "interop/callers.html", _callers_context(request, form, caller, secret))
    return render(request, "interop/callers.html", _callers_context(request, form, None, None))


def _callers_context(
    request: AuthenticatedRequest, form: CallerForm, new: CallerSystem | None, secret: str | None
) -> dict[str, object]:
    return {
        "form": form,
        "new": new,
        "secret": secret,
        "callers": selectors.callers_for(request.user),
        "keys": selectors.keys_for(request.user),
        "transactions": selectors.transactions_for(request.user)[:25],
        "subscriptions": selectors.subscriptions_for(request.user)[:25],
    }


@require(Capability.MANAGE_SETTINGS)
@require_POST
def caller_active(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    caller = selectors.callers_for(request.user).filter(pk=pk).first()
    if caller is None:
        raise Http404
    services.set_caller_active(actor=request.user, caller=caller, active=request.POST.get("active") == "1")
    messages.success(request, _("Saved."))
    return redirect("interop:callers")


@require(Capability.MANAGE_SETTINGS)
@require_POST
def rotate_keys(request: AuthenticatedRequest) -> HttpResponse:
    key = services.rotate_keys(actor=request.user)
    messages.success(request, _("New signing key %(kid)s; the previous one stays published.") % {"kid": key.kid[:12]})
    return redirect("interop:callers")
