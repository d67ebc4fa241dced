from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.core import jobqueue
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused

from . import selectors, services
from .forms import DecisionForm, MergeForm, RunForm
from .models import DuplicatePair, MemberMerge


@require(Capability.CHANGE_REGISTRY)
def queue(request: AuthenticatedRequest) -> HttpResponse:
    """The reviewer queue: pairs of the user's areas not yet decided, most likely first; and a form
    to start a run as a background job."""
    form = RunForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        kelurahan = form.cleaned_data["kelurahan"]
        job = jobqueue.submit(
            kind="dedup.run", params={"kelurahan": kelurahan.code if kelurahan else ""}, actor=request.user
        )
        return redirect("jobs:detail", pk=job.pk)
    pairs = selectors.queue_for(request.user)
    page = Paginator(pairs, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "model": selectors.latest_model(),
        "merges": selectors.merges_for(request.user),
        "review_threshold": services.review_threshold(),
    }
    return render(request, "dedup/queue.html", context)


@require(Capability.CHANGE_REGISTRY)
def pair_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Both records side by side, the fields that differ highlighted, splink's waterfall chart, the
    decision form and (for an approver, once decided 'same person') the merge form."""
    pair = (
        selectors.pairs_for(request.user)
        .select_related("member_l__household__kelurahan", "member_r__household__kelurahan", "run__model", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if pair is None:
        raise Http404(_("No such pair in your areas."))
    decision_form = DecisionForm(request.POST if "decide" in request.POST else None)
    merge_form = MergeForm(request.POST if "merge" in request.POST else None, pair=pair)
    if request.method == "POST" and "decide" in request.POST and decision_form.is_valid():
        try:
            services.decide(
                pair=pair,
                decision=decision_form.cleaned_data["decision"],
                reason=decision_form.cleaned_data["reason"],
                actor=request.user,
            )
        except Refused as exc:
            decision_form.add_error(None, str(exc))
        else:
            messages.success(request, _("The decision was recorded."))
            return redirect("dedup:pair", pk=pair.pk)
    merge_confirm = None
    if request.method == "POST" and "merge" in request.POST and merge_form.is_valid():
        survivor, merged = merge_form.survivor_and_merged()
        household = None
        if merge_form.two_homes:
            household = next(
                m.household for m in (survivor, merged) if str(m.household_id) == merge_form.cleaned_data["household"]
            )
        if request.POST.get("confirm") != "1":
            # An irreversible-looking step: first say exactly what will happen, then merge on "Yes".
            merge_confirm = {"survivor": survivor, "merged": merged, "household": household or survivor.household}
        else:
            return _merge(request, pair, merge_form, survivor, merged, household)
    return _pair_page(request, pair, decision_form, merge_form, merge_confirm)


def _merge(
    request: AuthenticatedRequest,
    pair: DuplicatePair,
    merge_form: MergeForm,
    survivor: Any,
    merged: Any,
    household: Any,
) -> HttpResponse:
    """Merge the pair's records as confirmed; back to the pair page with the refusal beside the form."""
    try:
        services.merge(
            survivor=survivor,
            merged=merged,
            household=household,
            pair=pair,
            reason=merge_form.cleaned_data["reason"],
            actor=request.user,
        )
    except Refused as exc:
        merge_form.add_error(None, str(exc))
    else:
        messages.success(request, _("The records were merged; the merge can be undone below."))
        return redirect("dedup:pair", pk=pair.pk)
    return _pair_page(request, pair, DecisionForm(None), merge_form, None)


def _pair_page(
    request: AuthenticatedRequest,
    pair: DuplicatePair,
    decision_form: DecisionForm,
    merge_form: MergeForm,
    merge_confirm: dict[str, Any] | None,
) -> HttpResponse:
    merge_record = MemberMerge.objects.filter(pair=pair, unmerged_at__isnull=True).first()
    waterfall = selectors.waterfall_spec(pair) if pair.run.model.splink_model and pair.comparison else None
    context = {
        "pair": pair,
        "rows": selectors.differing_fields(pair.member_l, pair.member_r),
        "decision_form": decision_form,
        "merge_form": merge_form,
        "can_merge": request.user.can(Capability.APPROVE_REGISTRY)
        and pair.decision == DuplicatePair.Decision.SAME
        and merge_record is None
        and not (pair.member_l.merged_into_id or pair.member_r.merged_into_id),
        "merge_record": merge_record,
        "merge_confirm": merge_confirm,
        "waterfall": waterfall,
    }
    return render(request, "dedup/pair.html", context)


@require(Capability.CHANGE_REGISTRY)
def model_detail(request: AuthenticatedRequest) -> HttpResponse:
    """The current linkage model: its training summary and splink's match-weight chart."""
    model = selectors.latest_model()
    context = {
        "model": model,
        "note": services.training_note(model) if model else "",
        "runs": model.runs.all()[:20] if model else [],
        "can_train": request.user.can(Capability.APPROVE_REGISTRY),
    }
    return render(request, "dedup/model.html", context)


@require_POST
@require(Capability.APPROVE_REGISTRY)
def use_default_model(request: AuthenticatedRequest) -> HttpResponse:
    """A new model version from the default model shipped with entas, for a registry too small to
    learn from (quick: only the prior is estimated on the registry)."""
    try:
        model = services.train(actor=request.user, default=True)
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Linkage model v%(v)s is the default model shipped with entas.") % {"v": model.version}
        )
    return redirect("dedup:model")


@require_POST
@require(Capability.APPROVE_REGISTRY)
def undo_merge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        # Only a merge whose two records lie in the user's areas (404 otherwise: ids are sequential).
        record = selectors.merge_for(request.user, pk)
    except MemberMerge.DoesNotExist:
        raise Http404(_("No such merge in your areas.")) from None
    reason = request.POST.get("reason", "")
    try:
        services.unmerge(merge_record=record, actor=request.user, reason=reason)
    except Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The merge was undone: both records are back as they were."))
    return redirect("dedup:pair", pk=record.pair_id) if record.pair_id else redirect("dedup:queue")
