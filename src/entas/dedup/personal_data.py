"""What deduplication holds about a person, for the access report (entas.core.personaldata)."""

from django.utils.translation import gettext_lazy as _

from entas.core.personaldata import model_provider

model_provider(
    "dedup.merge",
    _("Deduplication: records merged"),
    "dedup.MemberMerge",
    member="survivor",
    fields=["survivor", "merged", "reason", "merged_at", "unmerged_at"],
    order=15,
)
