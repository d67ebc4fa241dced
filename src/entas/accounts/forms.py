"""Forms of the user-account pages. They parse input; the rules (roles, password strength, who may
change whom) live in services.py and come back as messages next to their fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.regions.models import Region, RegionLevel

from .models import Opd
from .roles import Role


class AreaField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} · {obj}"


def _areas() -> AreaField:
    return AreaField(
        label=_("Areas"),
        queryset=Region.objects.filter(
            level__in=[RegionLevel.REGENCY_CITY, RegionLevel.KECAMATAN, RegionLevel.KELURAHAN], valid_to__isnull=True
        ).order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("Where the user works; a region includes everything under it. Hold Ctrl to choose several."),
    )


class UserForm(forms.Form):
    """An account's role, areas and details."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    organisation = forms.CharField(label=_("Organisation"), max_length=120, required=False)
    opd = forms.ModelChoiceField(
        label=_("OPD"),
        queryset=Opd.objects.order_by("code"),
        required=False,
        help_text=_("The regional agency of an officer, who enters budget realisation for its activities only."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["areas"] = _areas()


class NewUserForm(UserForm):
    """A new account: its user name and first password too."""

    field_order = ["username", "password1", "password2"]
    username = forms.CharField(label=_("User name"), max_length=150)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class PasswordForm(forms.Form):
    """A new password an administrator gives an account (forgotten, or to be changed at once)."""

    password1 = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class TokenForm(forms.Form):
    """A new API token: its name, scopes, lifetime and (for administrators) whose it is."""

    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. the system that uses it.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the token may reach; write includes read. It never exceeds the account's own rights."),
    )
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=3650,
        initial=90,
        required=False,
        help_text=_("Empty: never (not recommended)."),
    )
    owner = forms.TypedChoiceField(label=_("Account"), coerce=int, required=False)

    def __init__(self, *args: Any, actor: Any, owners: Any = (), **kwargs: Any) -> None:
        from .scopes import ALL, FAMILIES

        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(s, f"{s} — {FAMILIES[s.split(':')[0]]}") for s in ALL]  # type: ignore[attr-defined]
        choices = [(actor.pk, _("Myself (%(name)s)") % {"name": actor.username})]
        choices += [(u.pk, _("Service account %(name)s") % {"name": u.username}) for u in owners]
        self.fields["owner"].choices = choices  # type: ignore[attr-defined]
        if len(choices) == 1:
            del self.fields["owner"]


class ServiceAccountForm(forms.Form):
    """A new service account: an account for another system, with a role and areas, and no password."""

    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    organisation = forms.CharField(label=_("Organisation"), max_length=120, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["areas"] = _areas()


class OAuthClientForm(forms.Form):
    """A new OAuth client of a service account: its name, scopes, lifetime, and how it proves who it
    is (a secret, a public key for signed assertions, or both)."""

    owner = forms.TypedChoiceField(label=_("Service account"), coerce=int)
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("The system that uses the client."))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The most its access tokens may reach; write includes read. Never more than the account's rights."),
    )
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=3650,
        initial=365,
        required=False,
        help_text=_("Empty: never (not recommended)."),
    )
    with_secret = forms.BooleanField(
        label=_("Give it a secret"),
        required=False,
        initial=True,
        help_text=_("Shown once. Leave unticked for a client that signs assertions with its key only."),
    )
    jwks = forms.CharField(
        label=_("Public key (JWK or JWKS JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For private_key_jwt: the public key the system signs its assertions with."),
    )

    def __init__(self, *args: Any, owners: Any = (), **kwargs: Any) -> None:
        from .scopes import ALL, FAMILIES

        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(s, f"{s} — {FAMILIES[s.split(':')[0]]}") for s in ALL]  # type: ignore[attr-defined]
        self.fields["owner"].choices = [(u.pk, u.username) for u in owners]  # type: ignore[attr-defined]

    def clean_jwks(self) -> Any:
        import json

        text = self.cleaned_data["jwks"].strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("This is not JSON.")) from None
