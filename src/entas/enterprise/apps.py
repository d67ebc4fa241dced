from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterpriseConfig(AppConfig):
    name = "entas.enterprise"
    verbose_name = _("Economic empowerment")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("enterprise:groups", _("Business groups"), ("training.manage", "audit.view"), order=76)
        navigation.add(
            "enterprise:results",
            _("Empowerment results"),
            ("training.manage", "analytics.view", "audit.view"),
            order=77,
        )
        # Their parts of those pages, and the indicator sources they register with monitoring.
        from . import home_page, household_page, indicator_sources  # noqa: F401
