from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.accounts.models import User
from entas.core import events

EVENT_LABELS = {
    events.HOUSEHOLD_CHANGED: _("A household changed (edited, verified, a change applied)"),
    events.CYCLE_APPROVED: _("A payment cycle was approved"),
    events.PAYMENT_FAILED: _("A payment failed (the bank's result)"),
    events.COMPLAINT_ESCALATED: _("A complaint was escalated"),
}


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    owner = forms.ModelChoiceField(
        label=_("Acts as"),
        queryset=User.objects.none(),
        help_text=_("The account whose role and areas bound what the subscription hears (a service account, usually)."),
    )
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=list(EVENT_LABELS.items()), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = User.objects.filter(is_active=True).order_by("username")


class RotateForm(forms.Form):
    overlap_hours = forms.IntegerField(
        label=_("Overlap (hours)"),
        min_value=0,
        max_value=24 * 14,
        initial=24,
        help_text=_("How long the old secret still signs beside the new one, while the receiver switches."),
    )
