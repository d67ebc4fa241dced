"""Forms of the interoperability pages."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.accounts.models import User
from entas.programs.models import Cycle


class SiksExportForm(forms.Form):
    period = forms.RegexField(label=_("Period (YYYY-MM)"), regex=r"^\d{4}-\d{2}$", max_length=7)
    berita_acara = forms.CharField(label=_("Berita acara of the ratification"), max_length=120)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))


class CamtForm(forms.Form):
    cycle: forms.ModelChoiceField[Cycle] = forms.ModelChoiceField(
        queryset=Cycle.objects.none(), label=_("Payment cycle")
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("auto", _("Detect")), ("camt053", "camt.053 (XML)"), ("mt940", "MT940 (SWIFT)")],
        initial="auto",
    )
    file = forms.FileField(label=_("Bank statement (camt.053 XML or MT940)"))

    def __init__(self, *args: Any, cycles: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = cycles if cycles is not None else Cycle.objects.none()  # type: ignore[attr-defined]


class CallerForm(forms.Form):
    sender_id = forms.CharField(label=_("DCI sender id"), max_length=120)
    name = forms.CharField(label=_("Name"), max_length=200)
    service_user: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"), label=_("Service user")
    )
    jwks_url = forms.URLField(label=_("JWKS URL"), required=False)
    jwks = forms.CharField(label=_("Public keys (JWKS JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    callback_url = forms.URLField(label=_("Callback base URL"), required=False)
    require_signature = forms.BooleanField(label=_("Require signed messages"), required=False, initial=True)

    def clean_jwks(self) -> dict[str, Any] | None:
        text = self.cleaned_data["jwks"].strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("The public keys are not JSON.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_('The public keys must be a JWKS: {"keys": [...]}.'))
        return value
