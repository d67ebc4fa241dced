"""Forms of the training pages (thin: services check everything again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.programs.models import Programme
from entas.registry.choices import Industry

from . import selectors
from .choices import ApplicationStatus, Assessment, AttendanceStatus, Contract, Employment, Outcome
from .models import Course

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CohortForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none())
    programme = forms.ModelChoiceField(label=_("Training programme"), queryset=Programme.objects.none(), required=False)
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("Letters, digits and dashes: oab-2027-2."))
    start = forms.DateField(label=_("Start"), widget=DATE)
    end = forms.DateField(label=_("End"), widget=DATE)
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=500)
    venue = forms.CharField(label=_("Venue"), max_length=160, required=False)
    trainer = forms.CharField(label=_("Trainer"), max_length=120, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = selectors.courses_for(user)  # type: ignore[attr-defined]
        # The one place a cohort's programme is chosen from: selectors.training_programmes().
        self.fields["programme"].queryset = selectors.training_programmes()  # type: ignore[attr-defined]


class ApplyForm(forms.Form):
    rule = forms.CharField(
        label=_("Targeting rule"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Evaluated once per person: any(members, female and 18 <= age <= 35) is the person. "
            'Example: any(members, female and 18 <= age <= 35) and dtsen_desil <= 4 and kelurahan == "64.71.01.1001"'
        ),
    )
    file = forms.FileField(label=_("Or a file (CSV or XLSX)"), required=False)
    nik = forms.CharField(label=_("Or one NIK"), required=False, max_length=16)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [k for k in ("rule", "file", "nik") if data.get(k)]
        if len(given) != 1:
            raise forms.ValidationError(_("Give a rule, a file or a NIK (one of them)."))
        return data


class DecideForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[(s.value, s.label) for s in ApplicationStatus if s != ApplicationStatus.APPLIED],
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CompletionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    ended_on = forms.DateField(label=_("Ended on"), widget=DATE)
    assessment = forms.ChoiceField(label=_("Assessment"), choices=Assessment.choices, initial=Assessment.NOT_ASSESSED)
    certificate_number = forms.CharField(label=_("Certificate number"), max_length=80, required=False)
    dropout_reason = forms.CharField(label=_("Dropout reason"), max_length=200, required=False)


class TracerForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Follow-up"), coerce=int, choices=[(3, _("3 months")), (6, _("6 months")), (12, _("12 months"))]
    )
    surveyed_on = forms.DateField(label=_("Surveyed on"), widget=DATE)
    employment = forms.ChoiceField(label=_("Employment"), choices=Employment.choices)
    monthly_income = forms.IntegerField(label=_("Monthly income (Rp)"), min_value=0, required=False)
    own_business = forms.BooleanField(label=_("Own business"), required=False)
    sector = forms.ChoiceField(label=_("Sector"), choices=[("", "–"), *Industry.choices], required=False)
    contract = forms.ChoiceField(label=_("Contract"), choices=Contract.choices, initial=Contract.NONE)


ATTENDANCE_CHOICES = AttendanceStatus.choices


class CatalogueForm(forms.Form):
    file = forms.FileField(
        label=_("Catalogue (YAML)"),
        help_text=_("Providers with their courses and cohorts, as in docs/examples/training.yaml."),
    )
