"""What participation holds about a person, for the access report (entas.core.personaldata)."""

from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import model_provider

model_provider(
    "participation.decision",
    _("Musyawarah: decisions on the family"),
    "participation.ForumDecision",
    household="household",
    fields=["forum", "rule", "action", "reason", "recorded_at"],
    order=55,
)
