"""What the citizen portal holds about a person, for the access report (entas.core.personaldata)."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import model_provider, purger

model_provider(
    "portal.case",
    _("Portal: complaints and cases about the family"),
    "portal.Case",
    household="household",
    fields=["reference", "category", "state", "description", "contact_name", "submitted_at", "closed_at"],
    order=60,
)


@purger("portal.case", order=10)
def _purge_contacts(before: dt.date, dry_run: bool) -> dict[str, int]:
    """The contact of complaints about families whose members have all left past the retention period:
    name, telephone and e-mail cleared (the case, its category, state and dates stay)."""
    from entas.registry.privacy import households_leaving

    from .models import Case

    cases = Case.objects.filter(household__in=households_leaving(before)).exclude(
        contact_name="", contact_phone="", contact_email=""
    )
    n = cases.count() if dry_run else cases.update(contact_name="", contact_phone="", contact_email="")
    return {"portal.case_contacts_cleared": n}
