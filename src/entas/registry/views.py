from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.core import jobqueue
from entas.core.decorators import require

from . import selectors, services
from .models import Household, Member


@require(Capability.VIEW_REGISTRY)
def household_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    qs = selectors.search_households(request.user, query)  # type: ignore[arg-type]
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "registry/household_list.html", {"page": page, "q": query})


def _household_or_404(request: HttpRequest, pk: int) -> Household:
    try:
        return selectors.household_for(request.user, pk)  # type: ignore[arg-type]
    except Household.DoesNotExist:
        raise Http404(_("No such household in your areas.")) from None


@require(Capability.VIEW_REGISTRY)
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household_or_404(request, pk)
    services.record_household_view(actor=request.user, household=household)  # type: ignore[arg-type]
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "members": selectors.members_of(household),
        },
    )


@require(Capability.VIEW_FULL_NIK)
@require_POST
def reveal_nik(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    household = _household_or_404(request, pk)
    try:
        member = household.members.get(pk=member_pk)
    except Member.DoesNotExist:
        raise Http404 from None
    nik = services.reveal_nik(actor=request.user, member=member)  # type: ignore[arg-type]
    return render(request, "registry/_nik.html", {"nik": nik})


@require(Capability.EXPORT_REGISTRY)
@require_POST
def export_households(request: HttpRequest) -> HttpResponse:
    job = jobqueue.submit(kind="registry.export_households", params={}, actor=request.user)  # type: ignore[arg-type]
    messages.info(request, _("The export runs in the background; this page shows its progress."))
    return redirect("jobs:detail", pk=job.pk)
