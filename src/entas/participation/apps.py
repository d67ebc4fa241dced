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
        # The partners' delivered contributions count in the policy register's funding roll-ups.
        from entas.policy.selectors import add_funding_source

        from .funding import delivered

        add_funding_source("partner", delivered)
        navigation.add(
            "participation:forums", _("Forums"), ("registry.view", "analytics.view", "policy.view"), order=58
        )
        navigation.add(
            "participation:proposals",
            _("Musrenbang proposals"),
            ("registry.view", "analytics.view", "policy.view"),
            order=59,
        )
        navigation.add("participation:partners", _("Partners"), ("policy.view",), order=60)
        navigation.add("participation:portal", _("Our contributions"), ("policy.view_funded",), order=58)
        from . import (  # noqa: F401  (register their pages' parts, job kinds)
            home_page,
            household_page,
            jobs,
            personal_data,
        )
