"""The administrator's webhook pages: the subscriptions (create one, its secret shown once; disable
one) and a subscription's delivery log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused, show_on_form

from . import rules, selectors, services
from .forms import EVENT_LABELS, RotateForm, SubscriptionForm
from .models import Delivery


@require(Capability.MANAGE_USERS)
def subscription_list(request: AuthenticatedRequest) -> HttpResponse:
    form = SubscriptionForm()
    new = secret = None
    if request.method == "POST":
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                new, secret = services.create_subscription(
                    actor=request.user,
                    owner=data["owner"],
                    name=data["name"],
                    url=data["url"],
                    event_names=data["events"],
                )
            except Refused as exc:
                show_on_form(form, exc)
            else:
                messages.success(
                    request, _("Subscription created. Give its secret to the receiver now: it is shown only once.")
                )
                form = SubscriptionForm()
    return render(
        request,
        "webhooks/list.html",
        {
            "form": form,
            "new": new,
            "secret": secret,
            "subscriptions": selectors.subscriptions_for(request.user),
            "event_labels": EVENT_LABELS,
        },
    )


def _detail(
    request: AuthenticatedRequest, subscription: Any, rotate_form: RotateForm, secret: str = ""
) -> HttpResponse:
    deliveries = selectors.deliveries_for(request.user).filter(subscription=subscription)
    status = request.GET.get("status", "")
    if status in Delivery.Status.values:
        deliveries = deliveries.filter(status=status)
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    response = render(
        request,
        "webhooks/detail.html",
        {
            "subscription": subscription,
            "page": page,
            "status": status,
            "statuses": Delivery.Status.choices,
            "rotate_form": rotate_form,
            "secret": secret,
            "overlapping": rules.previous_signs(
                subscription.previous_secret, subscription.previous_until, timezone.now()
            ),
        },
    )
    if secret:
        response["Cache-Control"] = "no-store"  # the new secret is shown once
    return response


def _subscription_or_404(request: AuthenticatedRequest, pk: int) -> Any:
    subscription = selectors.subscriptions_for(request.user).filter(pk=pk).first()
    if subscription is None:
        raise Http404
    return subscription


@require(Capability.MANAGE_USERS)
def subscription_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _detail(request, _subscription_or_404(request, pk), RotateForm())


@require(Capability.MANAGE_USERS)
@require_POST
def subscription_rotate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A new signing secret, shown once on the answer; the old one overlaps for the hours given."""
    subscription = _subscription_or_404(request, pk)
    form = RotateForm(request.POST)
    secret = ""
    if form.is_valid():
        try:
            subscription, secret = services.rotate_secret(
                actor=request.user, subscription=subscription, overlap_hours=form.cleaned_data["overlap_hours"]
            )
        except Refused as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("New secret made. Give it to the receiver now: it is shown only once."))
            form = RotateForm()
    return _detail(request, subscription, form, secret)


@require(Capability.MANAGE_USERS)
@require_POST
def subscription_disable(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    subscription = selectors.subscriptions_for(request.user).filter(pk=pk).first()
    if subscription is None:
        raise Http404
    services.disable_subscription(actor=request.user, subscription=subscription)
    messages.success(request, _("The subscription %(name)s was disabled.") % {"name": subscription.name})
    return redirect("webhooks:list")
