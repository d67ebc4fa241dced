"""Forms of the facilitator's pages (the services check everything again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.core import uploads
from entas.core.errors import Refused

from . import choices as c

DATE = forms.DateInput(attrs={"type": "date"})


class GroupForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=120)
    type = forms.ChoiceField(label=_("type"), choices=c.GroupType.choices)
    kbli = forms.CharField(
        label=_("KBLI sector code"), max_length=5, help_text=_("Five digits (KBLI 2020), e.g. 10792 for crackers.")
    )
    product = forms.CharField(label=_("main product"), max_length=120, required=False)
    kelurahan = forms.ChoiceField(label=_("kelurahan"))
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    founded = forms.DateField(label=_("founded"), widget=DATE)
    nib = forms.CharField(label=_("NIB"), max_length=13, required=False)
    programme = forms.ChoiceField(label=_("fostered under"), required=False)

    def __init__(self, *args: Any, kelurahan: list[Any], programmes: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kelurahan_field = self.fields["kelurahan"]
        programme_field = self.fields["programme"]
        assert isinstance(kelurahan_field, forms.ChoiceField) and isinstance(programme_field, forms.ChoiceField)
        kelurahan_field.choices = [(k.pk, k.name) for k in kelurahan]
        programme_field.choices = [("", "—"), *((p.pk, p.name) for p in programmes)]


class SeatForm(forms.Form):
    nik = forms.CharField(label=_("NIK"), min_length=16, max_length=16)
    role = forms.ChoiceField(label=_("role"), choices=c.Role.choices)
    joined_on = forms.DateField(label=_("joined"), widget=DATE)


class GrantForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=c.GrantKind.choices)
    amount = forms.IntegerField(label=_("value (Rp)"), min_value=1, required=False)
    items = forms.CharField(
        label=_("items"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Equipment: one item a line, “description; quantity; unit value”."),
    )
    handed_over_on = forms.DateField(label=_("handed over"), widget=DATE)
    handover_reference = forms.CharField(label=_("handover record (berita acara) number"), max_length=60)


class LoanForm(forms.Form):
    reference = forms.CharField(label=_("loan reference"), max_length=40)
    principal = forms.IntegerField(label=_("principal (Rp)"), min_value=1)
    annual_rate_bp = forms.IntegerField(
        label=_("yearly rate (basis points)"), min_value=0, initial=0, help_text=_("600 = 6 % a year.")
    )
    term_months = forms.IntegerField(label=_("term (months)"), min_value=1, max_value=120)
    method = forms.ChoiceField(label=_("interest method"), choices=c.Method.choices)
    disbursed_on = forms.DateField(label=_("disbursed"), widget=DATE)


class ReportForm(forms.Form):
    period = forms.ChoiceField(label=_("period"), choices=c.Period.choices)
    period_start = forms.DateField(label=_("period start"), widget=DATE)
    production = forms.IntegerField(label=_("production"), initial=0)
    revenue = forms.IntegerField(label=_("revenue (Rp)"))
    costs = forms.IntegerField(label=_("costs (Rp)"))
    workers_family = forms.IntegerField(label=_("family workers"), initial=0)
    workers_hired = forms.IntegerField(label=_("hired workers"), initial=0)
    capital = forms.IntegerField(label=_("capital (Rp)"), initial=0)


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("visited"), widget=DATE)
    topics = forms.CharField(label=_("topics"), max_length=200)
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CertificationForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=c.Certificate.choices)
    number = forms.CharField(label=_("number"), max_length=60)
    obtained_on = forms.DateField(label=_("obtained"), widget=DATE)


class EventForm(forms.Form):
    event = forms.CharField(label=_("event"), max_length=120)
    kind = forms.ChoiceField(label=_("kind"), choices=c.EventKind.choices)
    held_on = forms.DateField(label=_("held"), widget=DATE)
    place = forms.CharField(label=_("place"), max_length=120, required=False)
    sales = forms.IntegerField(label=_("sales (Rp)"), min_value=0, initial=0)


class BuyerForm(forms.Form):
    buyer = forms.CharField(label=_("buyer"), max_length=120)
    kind = forms.CharField(label=_("kind"), max_length=60, required=False)
    since = forms.DateField(label=_("since"), widget=DATE)
    product = forms.CharField(label=_("product"), max_length=120, required=False)


class CreditForm(forms.Form):
    scheme = forms.ChoiceField(label=_("scheme"), choices=c.Scheme.choices)
    lender = forms.CharField(label=_("lender"), max_length=80)
    amount = forms.IntegerField(label=_("amount (Rp)"), min_value=1)
    obtained_on = forms.DateField(label=_("obtained"), widget=DATE)


class RepaymentForm(forms.Form):
    reference = forms.CharField(label=_("payment reference"), max_length=60)
    paid_on = forms.DateField(label=_("paid"), widget=DATE)
    amount = forms.IntegerField(label=_("amount (Rp)"), min_value=1)


class WriteOffForm(forms.Form):
    reason = forms.CharField(label=_("write-off reason"), max_length=300, required=False)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("file of"),
        choices=[("enterprise.reports", _("Business reports")), ("enterprise.repayments", _("Loan repayments"))],
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


class EnrolForm(forms.Form):
    """Enrol the group's current members in a cohort of the training module (its open cohorts are
    the choices, set by the page)."""

    cohort = forms.TypedChoiceField(label=_("Cohort"), coerce=int, choices=())
