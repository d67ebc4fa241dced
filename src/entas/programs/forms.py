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
