"""Pages of cash programmes: thin: read through :mod:`.selectors`, write through :mod:`.services`. A
refused step comes back as a :class:`~entas.core.errors.Refused`, shown by the pages' handler."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core import jobqueue, uploads
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused
from entas.core.money import format_rupiah

from . import files, selectors, services
from .export_views import export_context
from .forms import AffectedBulkForm, AffectedForm, CycleForm, MemberForm, ProgrammeForm, ReconcileForm
from .jobs import EXPORTS
from .models import Cycle, Enrolment, Payment, Programme

VIEW = (Capability.MANAGE_PROGRAMMES, Capability.APPROVE_PROGRAMMES, Capability.VIEW_AUDIT)
ACT = (Capability.MANAGE_PROGRAMMES, Capability.APPROVE_PROGRAMMES)


@require(VIEW)
def programme_list(request: AuthenticatedRequest) -> HttpResponse:
    rows = [(p, selectors.budget_remaining(p)) for p in selectors.programmes_for(request.user)]
    return render(request, "programs/list.html", {"rows": rows})


@require(Capability.MANAGE_PROGRAMMES)
def programme_create(request: AuthenticatedRequest) -> HttpResponse:
    """A new programme on a page: every field of the YAML file, a preview, then the same service."""
    return _programme_form(request, None)


@require(Capability.MANAGE_PROGRAMMES)
def programme_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _programme_form(request, _programme_or_404(request, pk))


def _programme_form(request: AuthenticatedRequest, programme: Programme | None) -> HttpResponse:
    from entas.targeting.models import EligibilityRule

    others = selectors.programmes_for(request.user)
    if programme is not None:
        others = others.exclude(pk=programme.pk)
    form = ProgrammeForm(
        request.POST or None,
        initial=ProgrammeForm.initial_for(programme) if programme is not None else None,
        rules=EligibilityRule.objects.order_by("name"),
        programmes=others,
    )
    preview: dict[str, Any] | None = None
    preview_refused = ""
    if request.method == "POST" and form.is_valid():
        assert form.spec is not None
        spec = form.spec
        fields = spec.as_model_fields()
        name = fields.pop("name")
        if "preview" in request.POST:
            draft = Programme(**fields, name=name, rule=form.cleaned_data["rule"])
            try:
                preview = services.preview_programme(draft)
            except Refused as exc:
                preview_refused = exc.message
        else:
            try:
                saved, created = services.define_programme(
                    name=name,
                    fields=fields,
                    rule=form.cleaned_data["rule"],
                    exclusive_with=spec.exclusive_with,
                    programme=programme,
                    replace=False,
                    actor=request.user,
                )
            except Refused as exc:
                form.add_problems(exc)
            else:
                messages.success(
                    request,
                    (_("Programme “%(name)s” created.") if created else _("Programme “%(name)s” saved."))
                    % {"name": saved.name},
                )
                return redirect("programs:detail", pk=saved.pk)
    rule = form.cleaned_data.get("rule") if form.is_bound and hasattr(form, "cleaned_data") else None
    rule = rule or (programme.rule if programme is not None else None)
    context = {
        "form": form,
        "programme": programme,
        "preview": preview,
        "preview_refused": preview_refused,
        "needs_scores": rule is not None and services.needs_scores(rule),
        "rule_editor": _has_url("targeting:rules"),
    }
    return render(request, "programs/form.html", context)


def _has_url(name: str) -> bool:
    """Whether another app offers the page ``name`` (the rule editor is built apart)."""
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def _programme_or_404(request: AuthenticatedRequest, pk: int) -> Programme:
    try:
        return selectors.programme_for(request.user, pk)
    except Programme.DoesNotExist:
        raise Http404 from None


@require(VIEW, post=ACT)
def programme_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    programme = _programme_or_404(request, pk)
    form = CycleForm(request.POST if "create_cycle" in request.POST else None)
    member_form = MemberForm(request.POST if "member" in request.POST else None, user=request.user)
    if request.method == "POST":
        if "member" in request.POST and member_form.is_valid():
            assert member_form.household is not None
            act = services.enrol_by_hand if member_form.cleaned_data["action"] == "add" else services.exit_household
            enrolment = act(
                programme=programme,
                household=member_form.household,
                reason=member_form.cleaned_data["reason"],
                actor=request.user,
            )
            messages.success(
                request,
                _("KK %(kk)s: %(state)s.")
                % {"kk": member_form.household.kk_number, "state": enrolment.get_state_display()},
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
            cycle = services.create_cycle(programme=programme, period=form.cleaned_data["period"], actor=request.user)
            return redirect("programs:cycle", pk=cycle.pk)
    states = selectors.enrolment_counts(programme)
    context = {
        "programme": programme,
        "needs_scores": services.needs_scores(programme.rule),
        "states": [(label, states[value]) for value, label in Enrolment.State.choices],
        "held": Paginator(selectors.held_enrolments(request.user, programme), 50).get_page(request.GET.get("page")),
        "cycles": selectors.cycles_of(request.user, programme),
        "budget_remaining": selectors.budget_remaining(programme),
        "affected": selectors.affected_count(programme),
        "form": form,
        "member_form": member_form,
    }
    return render(request, "programs/detail.html", context)


# Steps that cannot be taken back: each asks for a confirmation naming what will happen.
CONFIRM = ("approve", "disburse", "close", "cancel")
# Steps whose button is styled apart (they pay out, end or throw away a cycle).
DESTRUCTIVE = ("disburse", "close", "cancel")
PAYEES_PER_PAGE = 50


def _cycle_or_404(request: AuthenticatedRequest, pk: int) -> Cycle:
    try:
        return selectors.cycle_for(request.user, pk)
    except Cycle.DoesNotExist:
        raise Http404 from None


@require(VIEW, post=ACT)
def cycle_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    cycle = _cycle_or_404(request, pk)
    reconcile_form = ReconcileForm(
        request.POST if "reconcile" in request.POST else None, request.FILES if "reconcile" in request.POST else None
    )
    if request.method == "POST":
        response = _cycle_action(request, cycle, reconcile_form)
        if response is not None:
            return response
    payments = selectors.payment_counts(cycle)
    flagged = selectors.flagged_entitlements(request.user, cycle)
    failed = selectors.failed_payments(request.user, cycle)
    failed_page = list(failed[:100])
    accounts = selectors.payee_accounts(cycle.programme, [p.entitlement.household_id for p in failed_page])
    choices = services.step_choices(cycle, request.user)
    context = {
        "cycle": cycle,
        "programme": cycle.programme,
        "by_kelurahan": selectors.entitlements_by_kelurahan(request.user, cycle),
        "budget_remaining": selectors.budget_remaining(cycle.programme, excluding=cycle),
        "payments": [(label, payments[value]) for value, label in Payment.Status.choices],
        "flagged": flagged[:100],
        "flagged_count": flagged.count(),
        "steps": [
            {
                "step": c.step,
                "allowed": c.allowed,
                "reason": c.reason,
                "confirm": c.step in CONFIRM,
                "destructive": c.step in DESTRUCTIVE,
            }
            for c in choices
            if c.step != "retry"
        ],
        "can_retry": any(c.step == "retry" and c.allowed for c in choices),
        "retry_refused": next((c.reason for c in choices if c.step == "retry" and not c.allowed), ""),
        "failed": [
            (p, selectors.mask_account(accounts.get(p.entitlement.household_id, ("", ""))[0])) for p in failed_page
        ],
        "failed_count": failed.count() if len(failed_page) == 100 else len(failed_page),
        "working_job": selectors.working_job(cycle),
        "exports": list(EXPORTS)
        if cycle.state in {Cycle.State.DISBURSED, Cycle.State.RECONCILED, Cycle.State.CLOSED}
        else [],
        **export_context(request, cycle),
        "reconcile_form": reconcile_form if cycle.state == Cycle.State.DISBURSED else None,
        "result": request.session.pop(f"reconcile-{cycle.pk}", None),
    }
    return render(request, "programs/cycle.html", context)


def _cycle_action(request: AuthenticatedRequest, cycle: Cycle, reconcile_form: ReconcileForm) -> HttpResponse | None:
    step = request.POST.get("step", "")
    if step in CONFIRM and request.POST.get("confirm") != "1":
        # An irreversible step is taken only from its confirmation page, which names what will happen.
        return redirect("programs:confirm", pk=cycle.pk, step=step)
    if step == "retry" and "chosen" in request.POST:
        count = services.retry_failed(
            cycle=cycle, actor=request.user, payments=[int(p) for p in request.POST.getlist("payment") if p.isdigit()]
        )
        messages.success(request, _("%(n)d failed payments put in a retry batch.") % {"n": count})
    elif step in services.STEPS:
        result = services.run_step(cycle=cycle, step=step, actor=request.user)
        if step == "prepare":
            messages.success(
                request,
                _(
                    "%(entitlements)d entitlements, %(total)s; %(paused)d paused; %(flagged_duplicate)d "
                    "flagged for a possible duplicate, %(flagged_exclusive)d for an exclusive programme."
                )
                % {**result, "total": format_rupiah(result["total"])},
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
        if not request.user.can(Capability.MANAGE_PROGRAMMES):
            raise Refused(_("Your role does not allow this step."), code="forbidden")
        fmt = request.POST.get("export", "")
        if fmt in EXPORTS:
            files.ensure_ready(cycle, fmt)  # says what is missing before any job starts
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
    return redirect("programs:cycle", pk=cycle.pk)


def _consequence(cycle: Cycle, step: str) -> str:
    """What taking ``step`` will do, in one sentence with the amounts (the confirmation's question)."""
    values = {
        "total": format_rupiah(cycle.control_sum),
        "n": cycle.control_count,
        "programme": cycle.programme.name,
        "period": cycle.period,
    }
    if step == "approve":
        return _("Approve paying %(total)s to %(n)d households (%(programme)s, %(period)s).") % values
    if step == "disburse":
        return (
            _(
                "Disburse %(total)s to %(n)d households (%(programme)s, %(period)s): a payment is issued for each "
                "entitlement and cannot be taken back."
            )
            % values
        )
    if step == "close":
        counts = selectors.payment_counts(cycle)
        return _(
            "Close cycle %(number)d: %(paid)d payments paid; %(failed)d failed payments stay unpaid and can no "
            "longer be retried. A closed cycle cannot be reopened."
        ) % {"number": cycle.number, "paid": counts["paid"], "failed": counts["failed"]}
    return _("Cancel cycle %(number)d: its %(n)d entitlements (%(total)s) will not be paid. This cannot be undone.") % {
        **values,
        "number": cycle.number,
    }


@require(ACT)
def cycle_confirm(request: AuthenticatedRequest, pk: int, step: str) -> HttpResponse:
    """The second step of an irreversible action: what will happen, and the one button that does it."""
    cycle = _cycle_or_404(request, pk)
    if step not in CONFIRM:
        raise Http404
    choice = next((c for c in services.step_choices(cycle, request.user) if c.step == step), None)
    if choice is None:
        raise Refused(
            _("This step cannot be taken on a %(state)s cycle.") % {"state": cycle.get_state_display().lower()},
            code="conflict",
        )
    context = {
        "cycle": cycle,
        "programme": cycle.programme,
        "step": step,
        "choice": choice,
        "consequence": _consequence(cycle, step),
        "destructive": step in DESTRUCTIVE,
    }
    return render(request, "programs/confirm.html", context)


@require(VIEW, post=ACT)
def cycle_payees(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Who is paid how much in the cycle: what the approver approves, searchable, by kelurahan, exportable."""
    cycle = _cycle_or_404(request, pk)
    query = request.GET.get("q", "").strip()[:60]
    kelurahan = request.GET.get("kelurahan", "").strip()[:20]
    if request.method == "POST":
        job = jobqueue.submit(
            kind="programs.payees",
            params={
                "cycle": cycle.pk,
                "q": request.POST.get("q", "").strip()[:60],
                "kelurahan": request.POST.get("kelurahan", "").strip()[:20],
            },
            actor=request.user,
        )
        return redirect("jobs:detail", pk=job.pk)
    rows = selectors.payees(request.user, cycle, query=query, kelurahan=kelurahan)
    page = Paginator(rows, PAYEES_PER_PAGE).get_page(request.GET.get("page"))
    accounts = selectors.payee_accounts(cycle.programme, [e.household_id for e in page.object_list])
    context = {
        "cycle": cycle,
        "programme": cycle.programme,
        "page": page,
        "rows": [(e, selectors.mask_account(accounts.get(e.household_id, ("", ""))[0])) for e in page.object_list],
        "kelurahan_choices": [
            (r["household__kelurahan__code"], r["household__kelurahan__name"])
            for r in selectors.entitlements_by_kelurahan(request.user, cycle)
        ],
        "query": query,
        "kelurahan": kelurahan,
        "status_labels": dict(Payment.Status.choices),
    }
    return render(request, "programs/payees.html", context)


@require(Capability.CHANGE_REGISTRY)
def affected(request: AuthenticatedRequest) -> HttpResponse:
    """Shock mode: report households of the user's areas as affected by an event, one by one or many
    at once (a CSV file or pasted KK numbers), every row accounted for."""
    bulk = "bulk" in request.POST
    form = AffectedForm(None if bulk else (request.POST or None), user=request.user)
    bulk_form = AffectedBulkForm(request.POST if bulk else None, request.FILES if bulk else None)
    if request.method == "POST" and bulk and bulk_form.is_valid():
        rows = _affected_rows(bulk_form)
        if rows is not None:
            try:
                result = services.flag_affected_rows(
                    rows=rows,
                    event=bulk_form.cleaned_data["event"],
                    kind=bulk_form.cleaned_data["kind"],
                    note=bulk_form.cleaned_data["note"],
                    actor=request.user,
                )
            except Refused as exc:
                bulk_form.add_error(None, exc.message)
            else:
                request.session["affected-result"] = result
                return redirect("programs:affected")
    elif request.method == "POST" and not bulk and form.is_valid():
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
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("KK %(kk)s was reported as affected by “%(event)s”.")
                % {"kk": form.household.kk_number, "event": form.cleaned_data["event"]},
            )
            return redirect("programs:affected")
    page = Paginator(selectors.affected_households(request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "programs/affected.html",
        {
            "form": form,
            "bulk_form": bulk_form,
            "page": page,
            "result": request.session.pop("affected-result", None),
        },
    )


def _affected_rows(form: AffectedBulkForm) -> list[dict[str, Any]] | None:
    """The rows of a bulk report (line numbers as the user counts them), or None with the form's error."""
    upload = form.cleaned_data.get("file")
    if upload is None:
        lines = form.cleaned_data["kk_numbers"].splitlines()
        return [{"line": i, "kk_number": line.strip()} for i, line in enumerate(lines, start=1) if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:  # deleted with the file, whatever happens
        path = Path(tmp) / "affected.csv"
        try:
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            with uploads.csv_dict_rows(path, name=upload.name) as (header, lines):
                if "kk_number" not in header:
                    form.add_error("file", _("%(name)s needs a kk_number column.") % {"name": upload.name})
                    return None
                return [{**row, "line": number} for number, row in lines]
        except Refused as exc:
            form.add_error("file", exc.message)
            return None
        except OSError as exc:
            form.add_error("file", uploads.not_stored(upload.name, exc).message)
            return None
