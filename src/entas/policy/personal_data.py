"""What the policy register holds about a person, for the access report (entas.core.personaldata)."""

from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import model_provider

model_provider(
    "policy.benefit",
    _("Programme benefits received"),
    "policy.Benefit",
    household="household",
    member="member",
    fields=["programme", "received_on", "description", "quantity", "unit", "value"],
    order=35,
)
