"""Forms of the campaign pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.core import uploads
from entas.core.errors import Refused
from entas.regions.models import Region, RegionLevel

from . import choices as c
from . import rules, services


class CampaignForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=40)
    name = forms.CharField(label=_("name"), max_length=160)
    theme = forms.ChoiceField(label=_("theme"), choices=c.Theme.choices)
    channel = forms.ChoiceField(label=_("channel"), choices=c.Channel.choices)
    programme: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("campaign programme"), queryset=Region.objects.none(), required=False
    )
    target_group = forms.CharField(label=_("target group"), max_length=200, required=False)
    partners = forms.CharField(label=_("partners"), max_length=200, required=False)
    start = forms.DateField(label=_("start"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("end"), widget=forms.DateInput(attrs={"type": "date"}))
    target_kelurahan = forms.ModelMultipleChoiceField(
        label=_("target kelurahan"), queryset=Region.objects.filter(level=RegionLevel.KELURAHAN), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = services.campaign_programmes()  # type: ignore[attr-defined]


class QuestionForm(forms.Form):
    number = forms.IntegerField(label=_("number"), min_value=1, max_value=50)
    text = forms.CharField(label=_("question"), max_length=300)
    options = forms.CharField(
        label=_("options"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("One option a line: a, b, c…")
    )
    key = forms.ChoiceField(label=_("key"), choices=[(x, x) for x in rules.LETTERS])

    def option_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]


class EventForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=40)
    date = forms.DateField(label=_("date"), widget=forms.DateInput(attrs={"type": "date"}))
    kelurahan = forms.ModelChoiceField(label=_("kelurahan"), queryset=Region.objects.none())
    venue = forms.CharField(label=_("venue"), max_length=160)
    facilitators = forms.CharField(label=_("facilitators"), max_length=200, required=False)
    budget = forms.IntegerField(label=_("budget (Rp)"), min_value=0, initial=0)

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["kelurahan"].queryset = regions  # type: ignore[attr-defined]


class AttendeeForm(forms.Form):
    nik = forms.CharField(label=_("NIK"), max_length=16)
    name = forms.CharField(label=_("name"), max_length=120, required=False, help_text=_("Only if not in the registry."))
    sex = forms.ChoiceField(label=_("sex"), choices=[("", "–"), *c.Sex.choices], required=False)
    birth_date = forms.DateField(label=_("birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class HeadCountForm(forms.Form):
    sex = forms.ChoiceField(label=_("sex"), choices=c.Sex.choices)
    age_band = forms.ChoiceField(label=_("age band"), choices=c.AGE_BAND_CHOICES)
    count = forms.IntegerField(label=_("people"), min_value=0, max_value=100_000)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("file of"),
        choices=[("outreach.attendance", _("Sign-in sheet")), ("outreach.answers", _("Knowledge-test answers"))],
    )
    file = forms.FileField(label=_("file (CSV or XLSX)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in {".csv", ".txt", ".xlsx"}:
            raise forms.ValidationError(_("Upload a CSV or XLSX file."))
        try:
            uploads.check_size(upload.size, upload.name)
        except Refused as exc:
            raise forms.ValidationError(exc.message) from None
        return upload


class MaterialForm(forms.Form):
    title = forms.CharField(
        label=_("title"), max_length=160, help_text=_("The same title again uploads the next version.")
    )
    file = forms.FileField(label=_("file (PDF, JPEG, PNG, DOCX, PPTX or MP3)"))
