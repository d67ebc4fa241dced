"""What the citizen portal holds about a person, for the access report (entas.core.personaldata)."""

from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import model_provider

model_provider(
    "portal.case",
    _("Portal: complaints and cases about the family"),
    "portal.Case",
    household="household",
    fields=["reference", "category", "state", "description", "contact_name", "submitted_at", "closed_at"],
    order=60,
)
