"""What economic empowerment holds about a person, for the access report (entas.core.personaldata)."""

from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import model_provider

model_provider(
    "enterprise.membership",
    _("Business groups: membership"),
    "enterprise.Membership",
    member="member",
    fields=["group", "role", "joined_on", "left_on"],
    order=45,
)
model_provider(
    "enterprise.loan",
    _("Business groups: loans of the person's groups"),
    "enterprise.Loan",
    member="group__memberships__member",
    fields=["group", "reference", "principal", "term_months", "disbursed_on", "written_off_on"],
    order=46,
)
