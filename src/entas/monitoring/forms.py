from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.core import uploads
from entas.core.errors import Refused


class _FileForm(forms.Form):
    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            uploads.check_size(upload.size, upload.name)
        except Refused as exc:
            raise forms.ValidationError(exc.message) from None
        return upload


class PovertyLinesForm(_FileForm):
    file = forms.FileField(
        label=_("Poverty lines (CSV)"),
        help_text=_(
            "Columns: region_code, kind (national or extreme), name, period, rupiah_per_capita_month, ppp_base, "
            "confirmed, source. A line already loaded (same region, kind, name and period) is updated."
        ),
    )


class SurveyForm(_FileForm):
    file = forms.FileField(
        label=_("Survey round (CSV)"),
        help_text=_(
            "One row per sampled household: kk_number, kelurahan_code, stratum, psu, weight, household_size, "
            "consumption_per_capita. Nothing is loaded if any row is wrong."
        ),
    )
    name = forms.CharField(label=_("Name"), max_length=120, initial="Susenas")
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class IndicatorFileForm(_FileForm):
    file = forms.FileField(
        label=_("Indicator file (YAML)"),
        help_text=_(
            "Indicators, official values, the results framework and alert rules, as in "
            "docs/examples/indicators-balikpapan.yaml. Nothing is loaded if any part is wrong; every problem "
            "is listed with its place."
        ),
    )


class OfficialValueForm(forms.Form):
    """One value of an official series (BPS), with its source and whether it is confirmed."""

    area = forms.CharField(label=_("Area code"), max_length=32, help_text=_("e.g. 64.71 for the city"))
    period = forms.CharField(label=_("Period"), max_length=7, help_text=_("A year (YYYY) or a month (YYYY-MM)."))
    value = forms.FloatField(label=_("Value"))
    se = forms.FloatField(label=_("Standard error"), required=False)
    source = forms.CharField(label=_("Source"), max_length=300, help_text=_("Where the figure was published."))
    confirmed = forms.BooleanField(
        label=_("Confirmed"),
        required=False,
        help_text=_("Leave unticked when the source is not reliable yet: the value is flagged wherever it is shown."),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["area"].initial = settings.ENTAS_CITY_CODE
