"""What outreach holds about a person, for the access report and retention (entas.core.personaldata)."""

from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import copy_purger, model_provider

model_provider(
    "outreach.attendance",
    _("Awareness campaigns: attendance"),
    "outreach.Attendance",
    member="member",
    nik="nik",
    fields=["event", "nik", "name", "birth_date", "source", "recorded_at"],
    order=50,
)
copy_purger("outreach.attendance", "outreach.Attendance")
