from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.core import uploads
from entas.core.errors import Refused
from entas.registry.forms import HouseholdByKKForm

from . import definition
from .models import Programme, ShockFlag
from .rules import PERIOD

# A problem of the programme's definition (definition.check_values) goes beside this form field.
PROBLEM_FIELDS = {
    "entitlement": "base_amount",
    "entitlement.base_amount": "base_amount",
    "entitlement.per_child_in_school": "per_child_in_school",
    "entitlement.per_elderly": "per_elderly",
    "entitlement.per_disabled": "per_disabled",
    "entitlement.cap": "cap",
    "rule": "rule",
    "rule.name": "rule",
    "rule.expression": "rule",
    "shock": "shock_event",
    "shock.event": "shock_event",
    "shock.until": "shock_until",
}


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


def _money(label: Any, *, required: bool = True, help_text: Any = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=required, help_text=help_text, widget=forms.NumberInput(attrs={"step": 1000})
    )


class ProgrammeForm(forms.Form):
    """Everything a programme's YAML file holds, on a page; checked by the same reader as the file
    (:func:`entas.programs.definition.check_values`), each problem beside its field."""

    name = forms.CharField(label=_("Name"), max_length=200)
    agency = forms.CharField(label=_("Implementing agency (OPD)"), max_length=200, initial="Dinas Sosial")
    funding = forms.ChoiceField(label=_("Funding source"), choices=Programme.Funding.choices)
    start = forms.DateField(label=_("Start"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("End"), widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(label=_("Payment channel"), choices=Programme.Channel.choices)
    budget_ceiling = _money(_("Budget ceiling (Rp)"))
    rule: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Eligibility rule"), queryset=None, help_text=_("Who qualifies: a saved targeting rule.")
    )
    base_amount = _money(_("Base amount per household per month (Rp)"))
    per_child_in_school = _money(_("Per child in school (Rp)"), required=False)
    per_elderly = _money(_("Per member aged 60+ (Rp)"), required=False)
    per_disabled = _money(_("Per member with a disability (Rp)"), required=False)
    cap = _money(_("Cap per household per month (Rp)"), required=False, help_text=_("Empty: no cap."))
    months_per_cycle = forms.IntegerField(label=_("Months paid per cycle"), initial=1)
    tranches = forms.IntegerField(
        label=_("Number of tranches"),
        required=False,
        help_text=_("Empty: one cycle a month over the period. A number: at most that many cycles (tranches)."),
    )
    exclusive_with: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Mutually exclusive with"),
        queryset=None,
        required=False,
        help_text=_("A household enrolled in one of these is not enrolled in this one."),
    )
    shock_event = forms.CharField(
        label=_("Shock event"),
        max_length=200,
        required=False,
        help_text=_(
            "Shock mode: only households reported as affected by this event qualify (e.g. Banjir Januari 2027)."
        ),
    )
    shock_until = forms.DateField(
        label=_("Shock mode ends"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("No enrolment or new cycle after this date."),
    )

    def __init__(self, *args: Any, rules: Any, programmes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = rules  # type: ignore[attr-defined]
        self.fields["exclusive_with"].queryset = programmes  # type: ignore[attr-defined]
        self.spec: definition.ProgrammeSpec | None = None

    @staticmethod
    def initial_for(programme: Programme) -> dict[str, Any]:
        fields = (
            *("name", "agency", "funding", "start", "end", "channel", "budget_ceiling", "base_amount"),
            *("per_child_in_school", "per_elderly", "per_disabled", "cap", "months_per_cycle", "tranches"),
        )
        return {
            **{f: getattr(programme, f) for f in fields},
            "rule": programme.rule_id,
            "exclusive_with": list(programme.exclusive_with.values_list("pk", flat=True)),
            "shock_event": programme.shock_event,
            "shock_until": programme.shock_until,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        rule = data["rule"]
        values = {
            "name": data.get("name"),
            "agency": data.get("agency"),
            "funding": data.get("funding"),
            "start": data.get("start"),
            "end": data.get("end"),
            "channel": data.get("channel"),
            "budget_ceiling": data.get("budget_ceiling"),
            "months_per_cycle": data.get("months_per_cycle"),
            "tranches": data.get("tranches"),
            "entitlement": {
                "base_amount": data.get("base_amount"),
                "per_child_in_school": data.get("per_child_in_school"),
                "per_elderly": data.get("per_elderly"),
                "per_disabled": data.get("per_disabled"),
                "cap": data.get("cap"),
            },
            "rule": {"name": rule.name, "expression": rule.expression},
            "exclusive_with": [p.name for p in data.get("exclusive_with") or []],
            "shock": {"event": data.get("shock_event"), "until": data.get("shock_until")}
            if data.get("shock_event") or data.get("shock_until")
            else None,
        }
        try:
            self.spec = definition.check_values(values)
        except Refused as exc:
            self.add_problems(exc)
        return data

    def add_problems(self, refusal: Refused) -> None:
        """Put each problem of a refusal beside its field (the rest above the form)."""
        if not refusal.issues:
            self.add_error(None, refusal.message)
        for problem in refusal.issues:
            path = str(getattr(problem, "field", "") or "")
            field = PROBLEM_FIELDS.get(path, path)
            self.add_error(field if field in self.fields else None, str(getattr(problem, "message", problem)))


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
