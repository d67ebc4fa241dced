"""What training holds about a person, for the access report and retention (entas.core.personaldata)."""

from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import copy_purger, model_provider

model_provider(
    "training.application",
    _("Training: applications"),
    "training.Application",
    member="member",
    nik="nik",
    fields=[
        "cohort",
        "nik",
        "name",
        "birth_date",
        "channel",
        "baseline_income",
        "status",
        "rank",
        "reason",
        "created_at",
    ],
    order=40,
)
copy_purger("training.application", "training.Application")
