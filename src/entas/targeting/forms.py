from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.registry.forms import HouseholdByKKForm

from .models import OVERRIDE_ACTIONS, EligibilityRule


class OverrideForm(HouseholdByKKForm):
    """A musyawarah kelurahan's decision on one household of a rule's list."""

    field_order = ["rule", "kk_number", "action", "reason", "berita_acara", "decided_on"]
    rule = forms.ModelChoiceField(EligibilityRule.objects.all(), label=_("Rule"), empty_label=None)
    action = forms.ChoiceField(label=_("Decision"), choices=OVERRIDE_ACTIONS)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    berita_acara = forms.CharField(label=_("Berita acara reference"), max_length=120)
    decided_on = forms.DateField(label=_("Date of the musyawarah"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_decided_on(self) -> Any:
        decided_on = self.cleaned_data["decided_on"]
        if decided_on > timezone.localdate():
            raise forms.ValidationError(_("The musyawarah cannot be in the future."))
        return decided_on


class RuleForm(forms.Form):
    """A rule being written: its name, the expression, its benefit and optional budget cap and quota."""

    name = forms.CharField(label=_("Name"), max_length=120)
    expression = forms.CharField(
        label=_("Rule"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off", "class": "code"}),
    )
    benefit = forms.IntegerField(label=_("Benefit per household per month (Rp)"), min_value=0, initial=0)
    budget = forms.IntegerField(label=_("Budget cap per month (Rp)"), min_value=1, required=False)
    quota = forms.IntegerField(label=_("Quota (households)"), min_value=1, required=False)
    note = forms.CharField(label=_("What changed (note for the history)"), max_length=200, required=False)


class FitForm(forms.Form):
    """Fit a PMT model on a survey round."""

    survey: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None,
        label=_("Survey round"),
        empty_label=None,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=())
    line = forms.IntegerField(label=_("Poverty line for the error figures (Rp per capita per month)"), min_value=1)

    def __init__(self, *args: Any, **kwargs: Any):
        from entas.monitoring.models import SurveyRound

        from .models import PmtModel

        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = SurveyRound.objects.order_by("-year", "-imported_at")  # type: ignore[attr-defined]
        self.fields["kind"].choices = PmtModel.Kind.choices  # type: ignore[attr-defined]
