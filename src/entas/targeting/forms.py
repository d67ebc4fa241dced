from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.models import User
from entas.registry.models import Household
from entas.registry.selectors import households_for

from .models import CommunityOverride, EligibilityRule


class OverrideForm(forms.Form):
    """A musyawarah kelurahan's decision on one household of a rule's list."""

    rule = forms.ModelChoiceField(EligibilityRule.objects.all(), label=_("Rule"), empty_label=None)
    kk_number = forms.CharField(label=_("KK number"), max_length=16, min_length=16)
    action = forms.ChoiceField(label=_("Decision"), choices=CommunityOverride.Action.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    berita_acara = forms.CharField(label=_("Berita acara reference"), max_length=120)
    decided_on = forms.DateField(label=_("Date of the musyawarah"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.household: Household | None = None

    def clean_kk_number(self) -> str:
        kk: str = self.cleaned_data["kk_number"].strip()
        self.household = households_for(self.user).filter(kk_number=kk).select_related("kelurahan").first()
        if self.household is None:
            raise forms.ValidationError(_("No household with this KK number in your area."))
        return kk

    def clean_decided_on(self) -> Any:
        decided_on = self.cleaned_data["decided_on"]
        if decided_on > timezone.localdate():
            raise forms.ValidationError(_("The musyawarah cannot be in the future."))
        return decided_on
