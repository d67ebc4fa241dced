from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from entas.core import uploads
from entas.core.errors import Refused

from . import banks


def _bank_choices() -> list[tuple[str, str]]:
    return [("", "—"), *banks.choices()]


class AccountForm(forms.Form):
    """A household's account, entered on its page."""

    bank_code = forms.ChoiceField(label=_("Bank"), choices=_bank_choices)
    account_number = forms.CharField(label=_("Account number"), max_length=40)
    account_holder = forms.CharField(
        label=_("Account holder"), max_length=70, help_text=_("The name as the bank has it.")
    )
    member = forms.TypedChoiceField(
        label=_("Named payee"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Leave empty when the head of the family is paid."),
    )

    def __init__(self, *args: Any, members: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", gettext("Head of family")), *[(m.pk, m.name) for m in members]]  # type: ignore[attr-defined]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Accounts file (CSV or XLSX)"),
        help_text=_("One row per family: kk_number, bank_code, account_number, account_holder."),
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


class PayingAccountForm(forms.Form):
    name = forms.CharField(label=_("Account name"), max_length=70)
    bank_code = forms.ChoiceField(label=_("Bank"), choices=_bank_choices, required=False)
    account_number = forms.CharField(label=_("Account number"), max_length=40)
