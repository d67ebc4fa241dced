"""Forms of the registry pages. Validation of values lives in validation.py and services.py; forms
only parse input and show the messages those produce, next to the field they name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.core import uploads
from entas.core.errors import Refused

from .choices import RegistrationSource, Relationship, Sex
from .models import Household, Member
from .selectors import households_for
from .services import CORRECTABLE_FIELDS, EDITABLE_FIELDS, correction_payload


class HouseholdByKKForm(forms.Form):
    """A form that names one household of the user's areas by its KK number; ``household`` is it once
    the form is valid. Subclasses add their fields (and ``field_order`` where the KK is not first)."""

    kk_number = forms.CharField(label=_("KK number"), max_length=16, min_length=16)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.household: Household | None = None

    def clean_kk_number(self) -> str:
        kk: str = self.cleaned_data["kk_number"].strip()
        self.household = households_for(self.user).filter(kk_number=kk).select_related("kelurahan").first()
        if self.household is None:
            raise forms.ValidationError(_("No household with this KK number in your area."))
        return kk


class HouseholdForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Household
        fields = EDITABLE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.fields["version"].initial = self.instance.version
        for field in self.fields.values():
            if isinstance(field, forms.NullBooleanField):
                field.widget = forms.NullBooleanSelect()


class VerifyForm(forms.Form):
    visit_date = forms.DateField(label=_("Field visit date"), widget=forms.DateInput(attrs={"type": "date"}))
    confirmed = forms.TypedChoiceField(
        label=_("Outcome"),
        coerce=lambda v: v == "1",
        choices=[("1", _("Confirmed: the family exists and matches its data")), ("0", _("Rejected"))],
    )
    reason = forms.CharField(
        label=_("Reason (required when rejected)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ChangeReasonForm(forms.Form):
    """The part every change request has: the reason. Subclasses add the change's own fields."""

    reason = forms.CharField(label=_("Reason and supporting document"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, household: Household | None = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.household = household
        self.user = user

    def payload(self) -> dict[str, Any]:
        """The change's details as stored on the request: every field but the reason."""
        return {k: v for k, v in self.cleaned_data.items() if k != "reason"}


class AddMemberForm(ChangeReasonForm):
    nik = forms.CharField(label=_("NIK"), max_length=16, min_length=16)
    name = forms.CharField(label=_("Name"), max_length=120)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    birth_date = forms.DateField(label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"}))
    relationship = forms.ChoiceField(
        label=_("Relationship to head"), choices=Relationship.choices, initial=Relationship.CHILD
    )


class MemberChoiceForm(ChangeReasonForm):
    member = forms.ModelChoiceField(label=_("Member"), queryset=Member.objects.none())

    def __init__(self, *args: Any, household: Household | None = None, **kwargs: Any) -> None:
        super().__init__(*args, household=household, **kwargs)
        if household is not None:
            self.fields["member"].queryset = household.members.filter(  # type: ignore[attr-defined]
                exited_on__isnull=True
            )


class RemoveMemberForm(MemberChoiceForm):
    def payload(self) -> dict[str, Any]:
        return {"member_id": self.cleaned_data["member"].pk}


class MoveMemberForm(MemberChoiceForm):
    target_kk = forms.CharField(label=_("KK number of the family the person joins"), max_length=16, min_length=16)
    relationship = forms.ChoiceField(
        label=_("Relationship to the new head"), choices=Relationship.choices, initial=Relationship.OTHER
    )

    def clean_target_kk(self) -> Household:
        # Looked up in the user's areas only: a family elsewhere is answered as one that does not exist
        # (whether a KK number exists is itself personal data, and a move writes into the family).
        scope = households_for(self.user) if self.user is not None else Household.objects.none()
        target = scope.filter(kk_number=self.cleaned_data["target_kk"].strip()).first()
        if target is None:
            raise forms.ValidationError(_("No household with this KK number in your area."))
        return target

    def payload(self) -> dict[str, Any]:
        return {
            "member_id": self.cleaned_data["member"].pk,
            "target_household_id": self.cleaned_data["target_kk"].pk,
            "relationship": self.cleaned_data["relationship"],
        }


class CorrectMemberForm(MemberChoiceForm):
    """A correction of one person's details: the fields as they should be, prefilled with the record
    (``?member=`` on the page); only the fields that differ are asked for."""

    def __init__(self, *args: Any, household: Household | None = None, member: Member | None = None, **kwargs: Any):
        if member is not None:
            kwargs["initial"] = {"member": member.pk, **{k: getattr(member, k) for k in CORRECTABLE_FIELDS}}
        super().__init__(*args, household=household, **kwargs)
        fields = forms.fields_for_model(Member, fields=CORRECTABLE_FIELDS)
        for name, field in fields.items():
            field.required = name in {"name", "birth_date", "sex"}
            if isinstance(field, forms.NullBooleanField):
                field.widget = forms.NullBooleanSelect()
            self.fields[name] = field
        self.fields["birth_date"].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.order_fields(["member", *CORRECTABLE_FIELDS, "reason"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        member = cleaned.get("member")
        if member is not None and not self.errors:
            values = {k: cleaned.get(k) for k in CORRECTABLE_FIELDS}
            if not correction_payload(member, values)["changes"]:
                raise forms.ValidationError(_("Nothing to correct: change at least one field."))
        return cleaned

    def payload(self) -> dict[str, Any]:
        member = self.cleaned_data["member"]
        return correction_payload(member, {k: self.cleaned_data.get(k) for k in CORRECTABLE_FIELDS})


class NewKKForm(ChangeReasonForm):
    kk_number = forms.CharField(label=_("New KK number"), max_length=16, min_length=16)


CHANGE_FORMS: dict[str, type[ChangeReasonForm]] = {
    "add_member": AddMemberForm,
    "remove_member": RemoveMemberForm,
    "move_member": MoveMemberForm,
    "new_kk": NewKKForm,
    "correct_member": CorrectMemberForm,
}


class RegisterHouseholdForm(forms.Form):
    """A new family: where it lives and its KK number; its members come in MemberRowFormSet."""

    kelurahan: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Kelurahan"), queryset=None)
    kk_number = forms.CharField(label=_("KK number"), max_length=16, min_length=16)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    rt = forms.CharField(label=_("RT"), max_length=3, required=False)
    rw = forms.CharField(label=_("RW"), max_length=3, required=False)
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[(k, v) for k, v in RegistrationSource.choices if k != RegistrationSource.DTSEN],
        initial=RegistrationSource.OPERATOR,
    )

    def __init__(self, *args: Any, kelurahan: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"].queryset = kelurahan  # type: ignore[attr-defined]
        if kelurahan.count() == 1:
            self.fields["kelurahan"].initial = kelurahan.first()

    def clean_kk_number(self) -> str:
        return "".join(self.cleaned_data["kk_number"].split())


class MemberRowForm(forms.Form):
    """One person of a new family (a row of the import: NIK, name, sex, birth date, relationship)."""

    nik = forms.CharField(label=_("NIK"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=120)
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "–"), *Sex.choices])
    birth_date = forms.DateField(label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"}))
    # A blank first choice: an untouched extra row submits nothing and is skipped.
    relationship = forms.ChoiceField(label=_("Relationship to head"), choices=[("", "–"), *Relationship.choices])

    def clean_nik(self) -> str:
        return "".join(self.cleaned_data["nik"].split())


MemberRowFormSet = forms.formset_factory(MemberRowForm, extra=6, max_num=30)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Registry file (CSV or XLSX)"),
        help_text=_("One row per member, the family's columns repeated on each row. See the template."),
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=RegistrationSource.choices, initial=RegistrationSource.OPERATOR
    )
    dry_run = forms.BooleanField(label=_("Check only (write nothing)"), required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in {".csv", ".txt", ".xlsx"}:
            raise forms.ValidationError(_("%(name)s is not a CSV or XLSX file.") % {"name": upload.name})
        try:
            uploads.check_size(upload.size, upload.name)
        except Refused as exc:
            raise forms.ValidationError(exc.message) from None
        return upload
