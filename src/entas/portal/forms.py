from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.regions.models import Region, RegionLevel

from . import challenge
from .choices import Category, Channel, NoteKind


def kelurahan_choices(regions: Any = None) -> list[tuple[str, str]]:
    regions = regions if regions is not None else Region.objects.filter(level=RegionLevel.KELURAHAN)
    return [("", "—"), *((r.code, r.name) for r in regions.order_by("name", "code"))]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); the services check each one's bytes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ComplaintForm(forms.Form):
    """The public form: plain words, no login, no JavaScript."""

    category = forms.ChoiceField(label=_("What is it about?"), choices=[("", "—"), *Category.choices])
    kelurahan = forms.ChoiceField(label=_("Kelurahan"), help_text=_("Where the problem happened or where you live."))
    description = forms.CharField(
        label=_("Tell us what happened"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=4000,
        help_text=_("Do not write your NIK or anyone's bank account number here."),
    )
    anonymous = forms.BooleanField(
        label=_("Send anonymously"), required=False, help_text=_("We will not keep your name or contact details.")
    )
    contact_name = forms.CharField(label=_("Your name (optional)"), max_length=120, required=False)
    contact_phone = forms.CharField(label=_("Telephone or WhatsApp (optional)"), max_length=20, required=False)
    contact_email = forms.EmailField(label=_("E-mail (optional)"), required=False)
    attachment = MultipleFileField(
        label=_("Photo or document (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
        help_text=_("JPEG, PNG or PDF; at most 5 MB each, 3 files."),
    )
    answer = forms.CharField(label="", max_length=4)
    token = forms.CharField(widget=forms.HiddenInput)
    # Left empty by people (hidden from them); a bot that fills every box marks its complaint as spam.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"].choices = kelurahan_choices()  # type: ignore[attr-defined]
        question = challenge.new()
        self.fields["answer"].label = question.question
        self.fields["answer"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        if not self.is_bound:
            self.initial["token"] = question.token
        self.question = question

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not challenge.check(self.data.get("token", ""), data.get("answer", "")):
            self.add_error("answer", _("That is not the right number. Try the new question."))
        return data

    def refresh_challenge(self) -> None:
        """After a failed attempt: a new question and token (the old answer is not shown back)."""
        data = self.data.copy()  # type: ignore[attr-defined]
        data["token"] = self.question.token
        data["answer"] = ""
        self.data = data


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=20,
        help_text=_("The code you got when you sent the complaint, e.g. ABCD-EFGH-JKMN."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class IntakeForm(forms.Form):
    """An officer takes in a complaint for a walk-in or a telephone caller."""

    channel = forms.ChoiceField(
        label=_("Received by"), choices=[(Channel.WALK_IN, Channel.WALK_IN.label), (Channel.PHONE, Channel.PHONE.label)]
    )
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Category.choices])
    kelurahan = forms.ChoiceField(label=_("Kelurahan"))
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), max_length=4000)
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    contact_name = forms.CharField(label=_("Name"), max_length=120, required=False)
    contact_phone = forms.CharField(label=_("Telephone"), max_length=20, required=False)
    contact_email = forms.EmailField(label=_("E-mail"), required=False)
    attachment = MultipleFileField(label=_("Photo or document"), required=False, help_text=_("JPEG, PNG or PDF."))

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"].choices = kelurahan_choices(regions)  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=NoteKind.choices, widget=forms.RadioSelect, initial=NoteKind.INTERNAL
    )
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)


class LinkForm(forms.Form):
    kk_number = forms.CharField(label=_("KK number of the household"), max_length=16, required=False)
    payment_reference = forms.CharField(label=_("Payment reference"), max_length=35, required=False)


class CheckForm(forms.Form):
    """Cek bansos: the kelurahan, the NIK and the first letters of the name."""

    kelurahan = forms.ChoiceField(label=_("Kelurahan"))
    nik = forms.RegexField(
        label=_("NIK"),
        regex=r"^\d{16}$",
        max_length=16,
        error_messages={"invalid": _("A NIK has 16 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    letters = forms.CharField(
        label=_("First letters of the name"),
        min_length=3,
        max_length=20,
        help_text=_("At least the first 3 letters of the name on the KTP."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"].choices = kelurahan_choices()  # type: ignore[attr-defined]


class UsulAnswerForm(forms.Form):
    """The public answer that goes with registering an usul's family."""

    answer = forms.CharField(
        label=_("Answer to the citizen"),
        widget=forms.Textarea(attrs={"rows": 3}),
        initial=_("Your family is registered as a proposal; an officer will visit to verify it."),
    )
