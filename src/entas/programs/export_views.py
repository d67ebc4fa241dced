"""The cycle page's payment-file part: which files can be made and, for the others, exactly what is
missing (:mod:`.readiness`); and the list of the households a bank file cannot pay yet."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from entas.accounts.scoping import region_q
from entas.core.decorators import AuthenticatedRequest, require

from . import files, selectors
from .jobs import EXPORTS
from .models import Cycle, Payment

FILE_STATES = {Cycle.State.DISBURSED, Cycle.State.RECONCILED, Cycle.State.CLOSED}


def export_context(request: AuthenticatedRequest, cycle: Cycle) -> dict[str, Any]:
    """``export_offered``: the files of the cycle that can be made; ``export_missing``: what stops the
    bank files (the same for pain.001 and the CSV), or the cash lists when nothing can be made."""
    if cycle.state not in FILE_STATES:
        return {"export_offered": [], "export_missing": []}
    missing = files.missing_for(cycle, list(EXPORTS))
    return {
        "export_offered": [fmt for fmt in EXPORTS if not missing[fmt]],
        "export_missing": missing["pain001"] or missing["xlsx"],
    }


@require(("programmes.manage", "programmes.approve", "audit.view"))
def without_account(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The households of the user's areas a cycle must pay whose bank account is missing or refused."""
    try:
        cycle = selectors.cycle_for(request.user, pk)
    except Cycle.DoesNotExist:
        raise Http404 from None
    split = files.split_payable(cycle)
    references = {row["reference"]: _("none") for row in split.missing}
    references.update({row["reference"]: _("refused by the bank's rules") for row in split.invalid})
    payments = (
        Payment.objects.filter(
            region_q(request.user, "entitlement__household__kelurahan"),
            entitlement__cycle=cycle,
            reference__in=list(references),
        )
        .select_related("entitlement__household__kelurahan")
        .order_by("entitlement__household__kelurahan__code", "entitlement__household__kk_number")
    )
    page = Paginator(payments, 50).get_page(request.GET.get("page"))
    rows = [(p, references[p.reference]) for p in page]
    return render(
        request,
        "programs/without_account.html",
        {"cycle": cycle, "programme": cycle.programme, "page": page, "rows": rows},
    )
