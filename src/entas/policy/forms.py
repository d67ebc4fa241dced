from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from entas.core import uploads
from entas.core.errors import Refused

from . import rules

FIELD_LABELS = {
    "status": _("Status (active, paused, stopped)"),
    "target_group": _("Target group"),
    "target_beneficiaries": _("Target number of beneficiaries"),
    "target_kelurahan": _("Target kelurahan (codes, separated by commas)"),
    "lead_opd": _("Lead OPD (its code)"),
    "end": _("End of the period (date)"),
    "base_amount": _("Base amount per household per month (cash transfer)"),
    "rule": _("Eligibility rule, by its name (cash transfer)"),
    "funding.apbd": _("Funding: APBD (Rp)"),
    "funding.dana_kelurahan": _("Funding: Dana Kelurahan (Rp)"),
    "funding.apbn": _("Funding: APBN (Rp)"),
    "funding.csr": _("Funding: CSR (Rp)"),
    "funding.other": _("Funding: other (Rp)"),
    "output": _("Output of the activity below"),
    "unit": _("Unit of the activity below"),
    "volume_target": _("Volume target of the activity below"),
    "location": _("Location of the activity below"),
}


class AdjustmentForm(forms.Form):
    """An adjustment proposed on a programme's page."""

    field = forms.ChoiceField(
        label=_("What changes"), choices=[(f, FIELD_LABELS[f]) for f in (*rules.FIELDS, *rules.ACTIVITY_FIELDS)]
    )
    activity = forms.CharField(
        label=_("Activity (kode rekening)"),
        required=False,
        max_length=30,
        help_text=_("For an activity's output, unit, volume target, location or pagu."),
    )
    value = forms.CharField(label=_("New value"), max_length=2000)
    reason = forms.CharField(label=_("Rationale"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Links or references, one a line: an evaluation, an indicator, a forum's minutes, a grievance trend."
        ),
    )
    effective_on = forms.DateField(label=_("Takes effect on"), required=False, help_text=_("Empty: today."))

    def __init__(self, *args: Any, years: range = range(0), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pagu = [(f"pagu.{y}", gettext("Pagu of the activity below for %(year)d (Rp)") % {"year": y}) for y in years]
        self.fields["field"].choices = [*self.fields["field"].choices, *pagu]  # type: ignore[attr-defined]


class AdoptForm(forms.Form):
    legal_basis = forms.CharField(label=_("Legal basis (Perwali or SK)"), max_length=200)
    adopted_on = forms.DateField(label=_("Adopted on"))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    note = forms.CharField(required=False, max_length=300)


class UploadForm(forms.Form):
    """A realisation file (or, with ``benefits=True``, a list of benefits) to import as a job."""

    file = forms.FileField(
        label=_("Realisation file (CSV or XLSX)"),
        help_text=_("One row per activity and month: activity_code, month, realised, physical."),
    )

    def __init__(self, *args: Any, benefits: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if benefits:
            self.fields["file"].label = _("List of benefits (CSV or XLSX)")
            self.fields["file"].help_text = _(
                "One row per household (or person) and delivery: programme, kk_number, date, what; "
                "optionally nik, quantity, unit, value."
            )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in {".csv", ".txt", ".xlsx"}:
            raise forms.ValidationError(gettext("%(name)s is not a CSV or XLSX file.") % {"name": upload.name})
        try:
            uploads.check_size(upload.size, upload.name)
        except Refused as exc:
            raise forms.ValidationError(exc.message) from None
        return upload


class PlanFileForm(forms.Form):
    """A plan file (YAML, the format of docs/examples/rpkd-balikpapan.yaml) to load into the register."""

    file = forms.FileField(
        label=_("Plan file (YAML)"),
        help_text=_("A plan with its strategies, programmes and activities; loading it again changes nothing."),
    )

    def clean_file(self) -> Any:
        from .planfile import MAX_BYTES

        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in {".yaml", ".yml"}:
            raise forms.ValidationError(gettext("%(name)s is not a YAML file (.yaml).") % {"name": upload.name})
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                gettext("%(name)s is larger than %(n)d MB: a plan file is far smaller.")
                % {"name": upload.name, "n": MAX_BYTES >> 20}
            )
        return upload
