from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.registry.models import Household

from .models import ShockFlag
from .rules import PERIOD


class CycleForm(forms.Form):
    period = forms.RegexField(
        regex=rf"^{PERIOD}$",
        label=_("Period"),
        help_text=_("Year and month, e.g. 2026-12."),
        error_messages={"invalid": _("Write the period as YYYY-MM, e.g. 2026-12.")},
    )


class MemberForm(forms.Form):
    """Enrol or exit one household by hand, with the reason."""

    action = forms.ChoiceField(label=_("Action"), choices=[("add", _("Enrol by hand")), ("exit", _("Exit"))])
    kk_number = forms.CharField(label=_("KK number"), max_length=16, min_length=16)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args: Any, households: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.households = households
        self.household: Household | None = None

    def clean_kk_number(self) -> str:
        number = self.cleaned_data["kk_number"].strip()
        self.household = self.households.filter(kk_number=number).first()
        if self.household is None:
            raise forms.ValidationError(_("No household with KK number %(kk)s in your areas.") % {"kk": number})
        return number


class ReconcileForm(forms.Form):
    file = forms.FileField(
        label=_("Bank result file"),
        help_text=_("The bank's pain.002 status report (XML), or a CSV with columns reference,status,reason."),
    )


class AffectedForm(forms.Form):
    kk_number = forms.CharField(label=_("KK number"), max_length=16, min_length=16)
    event = forms.CharField(label=_("Event"), max_length=120, help_text=_("e.g. Banjir Januari 2027"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ShockFlag.Kind.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, households: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.households = households
        self.household: Household | None = None

    def clean_kk_number(self) -> str:
        number = self.cleaned_data["kk_number"].strip()
        self.household = self.households.filter(kk_number=number).first()
        if self.household is None:
            raise forms.ValidationError(_("No household with KK number %(kk)s in your areas.") % {"kk": number})
        return number
