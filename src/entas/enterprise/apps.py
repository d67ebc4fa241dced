from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterpriseConfig(AppConfig):
    name = "entas.enterprise"
    verbose_name = _("Economic empowerment")

    def ready(self) -> None:
        from entas.core import navigation
        from entas.policy.selectors import add_benefit_source, add_reach_source

        from .benefits import assistance, reach

        # What it delivers shows in the policy register's one benefit timeline and in its programmes'
        # reach, read where it is kept.
        add_benefit_source("enterprise", assistance)
        add_reach_source("enterprise", reach)

        navigation.add("enterprise:groups", _("Business groups"), ("training.manage", "audit.view"), order=76)
        navigation.add(
            "enterprise:results",
            _("Empowerment results"),
            ("training.manage", "analytics.view", "audit.view"),
            order=77,
        )
        from entas.portal import opendata as portal_open_data

        # Their parts of those pages, and the indicator sources they register with monitoring.
        from . import (  # noqa: F401
            home_page,
            household_page,
            indicator_sources,
            personal_data,
        )
        from .opendata import DATASET

        portal_open_data.register(DATASET)  # published on the portal's open data with suppression
