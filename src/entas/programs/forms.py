from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.core import uploads
from entas.core.errors import Refused
from entas.registry.forms import HouseholdByKKForm

from .models import ShockFlag
from .rules import PERIOD


class CycleForm(forms.Form):
    period = forms.RegexField(
        regex=rf"^{PERIOD}$",
        label=_("Period"),
        help_text=_("Year and month, e.g. 2026-12."),
        error_messages={"invalid": _("Write the period as YYYY-MM, e.g. 2026-12.")},
    )


class MemberForm(HouseholdByKKForm):
    """Enrol or exit one household by hand, with the reason."""

    field_order = ["action", "kk_number", "reason"]
    action = forms.ChoiceField(label=_("Action"), choices=[("add", _("Enrol by hand")), ("exit", _("Exit"))])
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ReconcileForm(forms.Form):
    file = forms.FileField(
        label=_("Bank result file"),
        help_text=_("The bank's pain.002 status report (XML), or a CSV with columns reference,status,reason."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            uploads.check_size(upload.size, upload.name)
        except Refused as exc:
            raise forms.ValidationError(exc.message) from None
        return upload


class AffectedForm(HouseholdByKKForm):
    event = forms.CharField(label=_("Event"), max_length=120, help_text=_("e.g. Banjir Januari 2027"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ShockFlag.Kind.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class AffectedBulkForm(forms.Form):
    """Many affected households at once: a CSV file (column kk_number; optional kind and note per
    row) or KK numbers pasted one per line (from a spreadsheet column)."""

    event = forms.CharField(label=_("Event"), max_length=120, help_text=_("e.g. Banjir Januari 2027"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ShockFlag.Kind.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    file = forms.FileField(
        label=_("CSV file"),
        required=False,
        help_text=_("A column kk_number; optional columns kind and note override the choices above per row."),
    )
    kk_numbers = forms.CharField(
        label=_("Or KK numbers, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is not None:
            try:
                uploads.check_size(upload.size, upload.name)
            except Refused as exc:
                raise forms.ValidationError(exc.message) from None
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("file") and not (cleaned.get("kk_numbers") or "").strip():
            raise forms.ValidationError(_("Choose a CSV file or paste KK numbers."))
        return cleaned
