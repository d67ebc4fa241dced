"""What the programmes module holds about a person, for the access report (entas.core.personaldata)."""

from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import model_provider

model_provider(
    "programs.enrolment",
    _("Programmes: enrolments of the family"),
    "programs.Enrolment",
    household="household",
    fields=["programme", "state", "reason", "source", "changed_at"],
    order=30,
)
model_provider(
    "programs.payment",
    _("Programmes: payments to the family"),
    "programs.Payment",
    household="entitlement__household",
    fields=["entitlement", "reference", "amount", "status", "reason", "created_at"],
    order=31,
)
model_provider(
    "programs.shock_flag",
    _("Programmes: the family reported affected by a shock"),
    "programs.ShockFlag",
    household="household",
    fields=["event", "kind", "note", "reported_at"],
    order=32,
)
