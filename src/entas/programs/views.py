from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import region_q
from entas.core import jobqueue, uploads
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused

from . import files, rules, services
from .forms import AffectedForm, CycleForm, MemberForm, ReconcileForm
from .jobs import EXPORTS
from .models import Cycle, Entitlement, Membership, Payment, Programme, ShockFlag

VIEW = (Capability.MANAGE_PROGRAMMES, Capability.APPROVE_PROGRAMMES, Capability.VIEW_AUDIT)


@require(VIEW)
def programme_list(request: AuthenticatedRequest) -> HttpResponse:
    programmes = Programme.objects.annotate(
        enrolled=Count("memberships", filter=Q(memberships__state=Membership.State.ENROLLED), distinct=True),
        cycle_count=Count("cycles", distinct=True),
    ).order_by("-start", "name")
    rows = [(p, services.budget_remaining(p)) for p in programmes]
    return render(request, "programs/list.html", {"rows": rows})


@require(VIEW)
def programme_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    programme = get_object_or_404(Programme.objects.select_related("rule"), pk=pk)
    form = CycleForm(request.POST if "create_cycle" in request.POST else None)
    member_form = MemberForm(request.POST if "member" in request.POST else None, user=request.user)
    if request.method == "POST":
        try:
            if "member" in request.POST and member_form.is_valid():
                assert member_form.household is not None
                act = services.enrol_by_hand if member_form.cleaned_data["action"] == "add" else services.exit_household
                membership = act(
                    programme=programme,
                    household=member_form.household,
                    reason=member_form.cleaned_data["reason"],
                    actor=request.user,
                )
                messages.success(
                    request,
                    _("KK %(kk)s: %(state)s.")
                    % {"kk": member_form.household.kk_number, "state": membership.get_state_display()},
                )
                return redirect("programs:detail", pk=programme.pk)
            if "enrol" in request.POST:
                result = services.enrol(programme=programme, actor=request.user)
                messages.success(
                    request,
                    _(
                        "%(enrolled)d households enrolled, %(not_eligible)d no longer eligible, %(held_duplicate)d "
                        "held for a possible duplicate, %(held_exclusive)d in an exclusive programme; "
                        "%(total_enrolled)d enrolled in all."
                    )
                    % result,
                )
                return redirect("programs:detail", pk=programme.pk)
            if "create_cycle" in request.POST and form.is_valid():
                cycle = services.create_cycle(
                    programme=programme, period=form.cleaned_data["period"], actor=request.user
                )
                return redirect("programs:cycle", pk=cycle.pk)
        except Refused as exc:
            messages.error(request, str(exc))
    states = dict(
        Membership.objects.filter(programme=programme).values_list("state").annotate(n=Count("id")).order_by()
    )
    held = (
        Membership.objects.filter(programme=programme)
        .filter(region_q(request.user, "household__kelurahan"))
        .exclude(state=Membership.State.ENROLLED)
        .select_related("household__kelurahan")
        .order_by("-changed_at", "pk")
    )
    context = {
        "programme": programme,
        "states": [(label, states.get(value, 0)) for value, label in Membership.State.choices],
        "held": Paginator(held, 50).get_page(request.GET.get("page")),
        "cycles": programme.cycles.order_by("-number"),
        "budget_remaining": services.budget_remaining(programme),
        "affected": ShockFlag.objects.filter(event=programme.shock_event).count() if programme.shock_event else None,
        "form": form,
        "member_form": member_form,
    }
    return render(request, "programs/detail.html", context)


def _by_kelurahan(request: AuthenticatedRequest, cycle: Cycle) -> list[dict[str, Any]]:
    return list(
        Entitlement.objects.filter(cycle=cycle)
        .filter(region_q(request.user, "household__kelurahan"))
        .values("household__kelurahan__code", "household__kelurahan__name")
        .annotate(
            households=Count("id"),
            total=Sum("amount"),
            flagged=Count("id", filter=~Q(flags="")),
        )
        .order_by("household__kelurahan__code")
    )


@require(VIEW)
def cycle_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle.objects.select_related("programme", "prepared_by", "approved_by"), pk=pk)
    reconcile_form = ReconcileForm(
        request.POST if "reconcile" in request.POST else None, request.FILES if "reconcile" in request.POST else None
    )
    if request.method == "POST":
        response = _cycle_action(request, cycle, reconcile_form)
        if response is not None:
            return response
    payments = dict(
        Payment.objects.filter(entitlement__cycle=cycle).values_list("status").annotate(n=Count("id")).order_by()
    )
    flagged = Entitlement.objects.filter(cycle=cycle).exclude(flags="")
    steps = [s for s in services.STEPS if _offered(cycle, s)]
    context = {
        "cycle": cycle,
        "programme": cycle.programme,
        "by_kelurahan": _by_kelurahan(request, cycle),
        "budget_remaining": services.budget_remaining(cycle.programme, excluding=cycle),
        "payments": [(label, payments.get(value, 0)) for value, label in Payment.Status.choices],
        "flagged": flagged.select_related("household__kelurahan").order_by("household__kk_number")[:100],
        "flagged_count": flagged.count(),
        "steps": steps,
        "exports": list(EXPORTS)
        if cycle.state in {Cycle.State.DISBURSED, Cycle.State.RECONCILED, Cycle.State.CLOSED}
        else [],
        "reconcile_form": reconcile_form if cycle.state == Cycle.State.DISBURSED else None,
        "result": request.session.pop(f"reconcile-{cycle.pk}", None),
    }
    return render(request, "programs/cycle.html", context)


def _offered(cycle: Cycle, step: str) -> bool:
    if step == "prepare":
        return cycle.state == Cycle.State.DRAFT
    if step == "retry":
        return (
            cycle.state == Cycle.State.DISBURSED
            and Payment.objects.filter(
                entitlement__cycle=cycle, status=Payment.Status.FAILED, retry__isnull=True
            ).exists()
        )
    return rules.next_state(cycle.state, step) is not None


def _cycle_action(request: AuthenticatedRequest, cycle: Cycle, reconcile_form: ReconcileForm) -> HttpResponse | None:
    step = request.POST.get("step", "")
    try:
        if step in services.STEPS:
            result = services.run_step(cycle=cycle, step=step, actor=request.user)
            if step == "prepare":
                messages.success(
                    request,
                    _(
                        "%(entitlements)d entitlements, Rp%(total)s; %(paused)d paused; %(flagged_duplicate)d "
                        "flagged for a possible duplicate, %(flagged_exclusive)d for an exclusive programme."
                    )
                    % {**result, "total": f"{result['total']:,}"},
                )
                if result["over_budget"]:
                    messages.error(request, _("The total exceeds the remaining budget: it cannot be approved."))
            elif step == "retry":
                messages.success(request, _("%(n)d failed payments put in a retry batch.") % {"n": result["retried"]})
            else:
                messages.success(
                    request, _("Done: the cycle is now %(state)s.") % {"state": Cycle.State(result["state"]).label}
                )
        elif "export" in request.POST:
            fmt = request.POST.get("export", "")
            if not request.user.can(Capability.MANAGE_PROGRAMMES):
                raise Refused(_("Your role does not allow this step."))
            job = jobqueue.submit(kind="programs.export", params={"cycle": cycle.pk, "format": fmt}, actor=request.user)
            return redirect("jobs:detail", pk=job.pk)
        elif "reconcile" in request.POST:
            if not reconcile_form.is_valid():
                return None
            upload = reconcile_form.cleaned_data["file"]
            with tempfile.TemporaryDirectory() as tmp:  # deleted with the file, whatever happens
                path = Path(tmp) / "result"
                try:
                    with path.open("wb") as handle:
                        for chunk in upload.chunks():
                            handle.write(chunk)
                except OSError as exc:
                    raise uploads.not_stored(upload.name, exc) from exc
                rows = files.read_results(path, cycle, upload.name)
            result = services.reconcile(cycle=cycle, results=rows, actor=request.user)
            request.session[f"reconcile-{cycle.pk}"] = result
    except Refused as exc:
        messages.error(request, str(exc))
    return redirect("programs:cycle", pk=cycle.pk)


@require(Capability.CHANGE_REGISTRY)
def affected(request: AuthenticatedRequest) -> HttpResponse:
    """Shock mode: report households of the user's areas as affected by an event."""
    form = AffectedForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        assert form.household is not None
        try:
            services.flag_affected(
                household=form.household,
                event=form.cleaned_data["event"],
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("KK %(kk)s was reported as affected by “%(event)s”.")
                % {"kk": form.household.kk_number, "event": form.cleaned_data["event"]},
            )
            return redirect("programs:affected")
    flags = (
        ShockFlag.objects.filter(region_q(request.user, "household__kelurahan"))
        .select_related("household__kelurahan", "reported_by")
        .order_by("-reported_at", "-pk")
    )
    return render(
        request,
        "programs/affected.html",
        {"form": form, "page": Paginator(flags, 50).get_page(request.GET.get("page"))},
    )
