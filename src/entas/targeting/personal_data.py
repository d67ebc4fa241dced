"""What targeting holds about a person, for the access report (entas.core.personaldata)."""

from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import model_provider

model_provider(
    "targeting.score",
    _("Targeting: the family's welfare scores and desil"),
    "targeting.HouseholdScore",
    household="household",
    fields=["model", "predicted_consumption", "score", "desil", "scored_at"],
    order=20,
)
