from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "entas.outreach"
    verbose_name = _("Awareness campaigns")

    def ready(self) -> None:
        from entas.core import navigation
        from entas.policy.selectors import add_benefit_source, add_reach_source

        from .benefits import reach, sessions

        # What it delivers shows in the policy register's one benefit timeline and in its programmes'
        # reach, read where it is kept.
        add_benefit_source("outreach", sessions)
        add_reach_source("outreach", reach)

        navigation.add(
            "outreach:campaigns",
            _("Awareness campaigns"),
            ("outreach.manage", "analytics.view", "audit.view"),
            order=78,
        )
        from . import (
            home_page,  # noqa: F401  (registers its part of the home page)
            household_page,  # noqa: F401  (registers its part of the household page)
            personal_data,  # noqa: F401  (registers what it holds about a person: docs/privacy.md)
        )
