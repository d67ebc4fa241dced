from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "entas.participation"
    verbose_name = _("Community participation")

    def ready(self) -> None:
        from entas.core import navigation
        from entas.targeting import overrides as targeting_overrides

        from .overrides import ForumDecisions

        # The musyawarah decisions recorded here are targeting's overrides (one record, read there).
        targeting_overrides.register(ForumDecisions())
        navigation.add(
            "participation:forums", _("Forums"), ("registry.view", "analytics.view", "policy.view"), order=58
        )
        navigation.add(
            "participation:proposals",
            _("Musrenbang proposals"),
            ("registry.view", "analytics.view", "policy.view"),
            order=59,
        )
        from . import home_page, household_page, jobs  # noqa: F401  (register their pages' parts, job kinds)
