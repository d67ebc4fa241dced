"""Pages of payees: thin: read through :mod:`.selectors`, write through :mod:`.services`."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.core import jobqueue, uploads
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused, show_on_form
from entas.registry import selectors as registry
from entas.registry.models import Household

from . import banks, selectors, services
from .forms import AccountForm, PayingAccountForm, UploadForm
from .importer import COLUMNS
from .jobs import IMPORT_DIR


def _household_or_404(request: AuthenticatedRequest, pk: int) -> Household:
    try:
        return registry.household_for(request.user, pk)
    except Household.DoesNotExist:
        raise Http404(_("No such household in your areas.")) from None


def _page(household: Household) -> str:
    return reverse("registry:household_detail", args=[household.pk]) + "#bank-account"


@require(Capability.MANAGE_PROGRAMMES)
@require_POST
def set_account(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    household = _household_or_404(request, pk)
    members = list(registry.members_of(household))
    form = AccountForm(request.POST, members=members, prefix="payee")
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            text = " ".join(str(e) for e in errors)
            messages.error(request, f"{label}: {text}" if label else text)
        return redirect(_page(household))
    data = form.cleaned_data
    member = next((m for m in members if m.pk == data["member"]), None)
    try:
        change = services.set_account(
            household=household,
            bank_code=data["bank_code"],
            account_number=data["account_number"],
            account_holder=data["account_holder"],
            member=member,
            actor=request.user,
        )
    except Refused as exc:
        if exc.code == "forbidden":
            raise
        messages.error(request, exc.message)
        return redirect(_page(household))
    for warning in change.warnings:
        messages.warning(request, warning.message)
    if change.outcome == "unchanged":
        messages.info(request, _("The account is the one already kept: nothing changed."))
    else:
        messages.success(request, _("Bank account saved: %(account)s.") % {"account": change.payee.masked_number})
    return redirect(_page(household))


@require(Capability.MANAGE_PROGRAMMES)
@require_POST
def reveal(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    household = _household_or_404(request, pk)
    payee = selectors.current_account(household)
    if payee is None:
        raise Http404
    number = services.reveal_account(actor=request.user, payee=payee)
    return render(request, "payees/_account.html", {"number": number})


@require(Capability.MANAGE_PROGRAMMES)
def import_accounts(request: AuthenticatedRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "columns": COLUMNS, "banks": banks.banks().values()}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            stored = uploads.store_upload(upload, owner=str(request.user.pk), folder=IMPORT_DIR)
        except Refused as exc:
            form.add_error("file", exc.message)
            return render(request, "payees/import.html", context)
        try:
            job = jobqueue.submit(
                kind="payees.import", params={"file": stored, "name": upload.name}, actor=request.user
            )
        except Refused as exc:  # another import into these areas is under way
            uploads.media_path(stored).unlink(missing_ok=True)
            form.add_error("file", exc.message)
            return render(request, "payees/import.html", context, status=exc.status)
        messages.info(request, _("The import runs in the background; this page shows its progress."))
        return redirect("jobs:detail", pk=job.pk)
    return render(request, "payees/import.html", context)


@require(Capability.MANAGE_SETTINGS)
def paying_account(request: AuthenticatedRequest) -> HttpResponse:
    payer = selectors.paying_account()
    form = PayingAccountForm(request.POST or None, initial={"name": payer.name, "bank_code": payer.bank_code})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_paying_account(actor=request.user, **form.cleaned_data)
        except Refused as exc:
            if exc.code == "forbidden":
                raise
            show_on_form(form, exc)
        else:
            messages.success(request, _("The paying account is set."))
            return redirect("payees:paying_account")
    return render(request, "payees/paying_account.html", {"form": form, "payer": payer})
