from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.accounts.models import User
from entas.accounts.scoping import visible_regions
from entas.regions.models import Region
from entas.registry.models import Member

from .models import DuplicatePair


class RunForm(forms.Form):
    kelurahan = forms.ModelChoiceField(
        Region.objects.none(), label=_("Kelurahan"), required=False, empty_label=_("Whole registry")
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kelurahan"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = visible_regions(user).kelurahan().order_by("name")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[c for c in DuplicatePair.Decision.choices if c[0]], widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class MergeForm(forms.Form):
    survivor = forms.ChoiceField(label=_("Record to keep"), widget=forms.RadioSelect)
    household = forms.ChoiceField(label=_("The right household"), widget=forms.RadioSelect, required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)

    def __init__(self, *args: Any, pair: DuplicatePair, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        left, right = pair.member_l, pair.member_r
        self.members = {str(m.pk): m for m in (left, right)}
        self.fields["survivor"].choices = [  # type: ignore[attr-defined]
            (str(m.pk), f"{m.name} · {m.masked_nik} · KK {m.household.kk_number}") for m in (left, right)
        ]
        self.two_homes = left.household_id != right.household_id
        if self.two_homes:
            self.fields["household"].required = True
            self.fields["household"].choices = [  # type: ignore[attr-defined]
                (str(m.household_id), f"KK {m.household.kk_number} · {m.household.address}") for m in (left, right)
            ]
        else:
            del self.fields["household"]

    def survivor_and_merged(self) -> tuple[Member, Member]:
        keep = self.members[self.cleaned_data["survivor"]]
        other = next(m for pk, m in self.members.items() if pk != self.cleaned_data["survivor"])
        return keep, other
