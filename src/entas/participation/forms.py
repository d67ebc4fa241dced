"""Forms of community participation: a forum with its attendance, a decision on a household, the
signed scan of a berita acara."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from entas.accounts.models import User
from entas.accounts.scoping import visible_regions
from entas.regions.models import Region, RegionLevel
from entas.registry.forms import HouseholdByKKForm
from entas.targeting.models import EligibilityRule

from . import choices as c
from .models import Forum, Partner


def _count(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=100_000, initial=0)


class ForumForm(forms.Form):
    """A forum held with residents: what, where, when, who chaired, who attended."""

    kind = forms.ChoiceField(label=_("Kind"), choices=c.ForumKind.choices, initial=c.ForumKind.MUSYAWARAH)
    area: forms.ModelChoiceField[Region] = forms.ModelChoiceField(
        queryset=Region.objects.none(), label=_("Area"), empty_label=None
    )
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    berita_acara = forms.CharField(label=_("Berita acara number"), max_length=120)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    rt = forms.CharField(label=_("RT/RW"), max_length=20, required=False)
    chair = forms.CharField(label=_("Chair"), max_length=120, required=False)
    secretary = forms.CharField(label=_("Secretary (notulis)"), max_length=120, required=False)
    agenda = forms.CharField(label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    officials_men = _count(_("Officials, men"))
    officials_women = _count(_("Officials, women"))
    rt_rw_men = _count(_("RT/RW heads, men"))
    rt_rw_women = _count(_("RT/RW heads, women"))
    figures_men = _count(_("Community figures, men"))
    figures_women = _count(_("Community figures, women"))
    residents_men = _count(_("Residents, men"))
    residents_women = _count(_("Residents, women"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.ModelChoiceField)
        area.queryset = (
            visible_regions(user)
            .filter(level__in=(RegionLevel.KELURAHAN, RegionLevel.KECAMATAN, RegionLevel.REGENCY_CITY))
            .order_by("code")
        )

    def attendance(self) -> dict[str, tuple[int, int]]:
        data = self.cleaned_data
        return {g: (data[f"{g}_men"], data[f"{g}_women"]) for g in c.AttendeeGroup.values}


class DecisionForm(HouseholdByKKForm):
    """A musyawarah's decision on one household, on the registry's list or on a rule's list."""

    field_order = ["kk_number", "rule", "action", "reason"]
    rule = forms.ModelChoiceField(
        EligibilityRule.objects.all(),
        label=_("List"),
        required=False,
        empty_label=_("The registry's list (DTKS/DTSEN)"),
    )
    action = forms.ChoiceField(label=_("Decision"), choices=c.Decision.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ScanForm(forms.Form):
    scan = forms.FileField(label=_("Signed scan (PDF, JPEG or PNG)"))


class ProposalForm(forms.Form):
    """A residents' proposal as gathered at its first forum."""

    code = forms.CharField(label=_("Code"), max_length=40)
    title = forms.CharField(label=_("Title"), max_length=200)
    kelurahan: forms.ModelChoiceField[Region] = forms.ModelChoiceField(
        queryset=Region.objects.none(), label=_("Kelurahan"), empty_label=None
    )
    rt = forms.CharField(label=_("RT/RW"), max_length=20, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=c.ProposalCategory.choices)
    problem = forms.CharField(
        label=_("Poverty problem addressed"),
        max_length=300,
        required=False,
        help_text=_("Empty when the proposal addresses no poverty problem."),
    )
    estimated_cost = forms.IntegerField(label=_("Estimated cost (Rp)"), min_value=0, max_value=10**13)
    proposer = forms.CharField(label=_("Proposed by"), max_length=120, help_text=_("A group or office, e.g. RT 12"))
    stage = forms.ChoiceField(
        label=_("Gathered at"),
        choices=[(k.value, k.label) for k in (c.ForumKind.REMBUG_WARGA, c.ForumKind.MUSRENBANG_KELURAHAN)],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"].queryset = visible_regions(user).filter(level=RegionLevel.KELURAHAN).order_by("code")  # type: ignore[attr-defined]


class ReviewForm(forms.Form):
    """A Musrenbang forum's decision on a proposal."""

    forum: forms.ModelChoiceField[Forum] = forms.ModelChoiceField(
        queryset=Forum.objects.none(), label=_("Forum"), empty_label=None
    )
    score = forms.IntegerField(label=_("Priority score (0–100)"), min_value=0, max_value=100, initial=50)
    votes_for = forms.IntegerField(label=_("Votes for"), min_value=0, initial=0)
    votes_against = forms.IntegerField(label=_("Votes against"), min_value=0, initial=0)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=c.Outcome.choices)
    merged_into = forms.CharField(label=_("Merged into (code)"), max_length=40, required=False)
    note = forms.CharField(label=_("Reason or note"), max_length=300, required=False)

    def __init__(self, *args: Any, forums: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = forums  # type: ignore[attr-defined]


class FundForm(forms.Form):
    """What funds an accepted proposal: a programme of the policy register and, optionally, one of its
    activities (by register code and kode rekening)."""

    programme = forms.CharField(label=_("Programme (register code)"), max_length=20)
    activity = forms.CharField(label=_("Activity (kode rekening)"), max_length=30, required=False)


class PartnerForm(forms.Form):
    """A partner organisation (recorded again with the same code: corrected), its partner accounts and,
    optionally, its MoU/PKS with the city."""

    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=160)
    kind = forms.ChoiceField(label=_("Kind"), choices=c.PartnerKind.choices)
    contact_person = forms.CharField(label=_("Contact person"), max_length=120, required=False)
    contact = forms.CharField(label=_("Contact (phone or e-mail)"), max_length=120, required=False)
    users = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(role="partner", is_active=True).order_by("username"),
        label=_("Partner accounts"),
        required=False,
        help_text=_("The accounts that sign in to the partner portal for this organisation."),
    )
    agreement_kind = forms.ChoiceField(
        label=_("Agreement"), choices=[("", "–"), *c.AgreementKind.choices], required=False
    )
    agreement_number = forms.CharField(label=_("Agreement number"), max_length=80, required=False)
    signed_on = forms.DateField(label=_("Signed on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    scope = forms.CharField(label=_("Scope"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    kelurahan: forms.ModelMultipleChoiceField[Region] = forms.ModelMultipleChoiceField(
        queryset=Region.objects.filter(level=RegionLevel.KELURAHAN).order_by("name"),
        label=_("Kelurahan of the agreement"),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("agreement_number"):
            for name in ("agreement_kind", "signed_on", "start", "end"):
                if not data.get(name):
                    self.add_error(name, _("An agreement needs its kind, signing date and period."))
        return data


class ContributionForm(forms.Form):
    """What a partner pledged to a programme (or activity) of the register in a year, and what it has
    delivered so far."""

    partner: forms.ModelChoiceField[Partner] = forms.ModelChoiceField(
        queryset=Partner.objects.order_by("name"), label=_("Partner"), empty_label=None
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=c.ContributionKind.choices)
    description = forms.CharField(label=_("Description"), max_length=200)
    programme = forms.CharField(label=_("Programme (register code)"), max_length=20)
    activity = forms.CharField(label=_("Activity (kode rekening)"), max_length=30, required=False)
    kelurahan: forms.ModelChoiceField[Region] = forms.ModelChoiceField(
        queryset=Region.objects.filter(level=RegionLevel.KELURAHAN).order_by("name"),
        label=_("Kelurahan"),
        required=False,
        empty_label=_("City-wide"),
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    pledged_value = forms.IntegerField(label=_("Pledged value (Rp)"), min_value=0, initial=0, required=False)
    delivered_value = forms.IntegerField(label=_("Delivered value (Rp)"), min_value=0, initial=0, required=False)
    pledged_quantity = forms.IntegerField(label=_("Pledged quantity"), min_value=0, initial=0, required=False)
    delivered_quantity = forms.IntegerField(label=_("Delivered quantity"), min_value=0, initial=0, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=40, required=False, help_text=_("hours, places, packages…"))
    delivered_on = forms.DateField(
        label=_("Last delivered on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
