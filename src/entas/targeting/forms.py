from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.registry.forms import HouseholdByKKForm

from .models import CommunityOverride, EligibilityRule


class OverrideForm(HouseholdByKKForm):
    """A musyawarah kelurahan's decision on one household of a rule's list."""

    field_order = ["rule", "kk_number", "action", "reason", "berita_acara", "decided_on"]
    rule = forms.ModelChoiceField(EligibilityRule.objects.all(), label=_("Rule"), empty_label=None)
    action = forms.ChoiceField(label=_("Decision"), choices=CommunityOverride.Action.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    berita_acara = forms.CharField(label=_("Berita acara reference"), max_length=120)
    decided_on = forms.DateField(label=_("Date of the musyawarah"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_decided_on(self) -> Any:
        decided_on = self.cleaned_data["decided_on"]
        if decided_on > timezone.localdate():
            raise forms.ValidationError(_("The musyawarah cannot be in the future."))
        return decided_on
