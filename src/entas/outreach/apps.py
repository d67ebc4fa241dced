from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "entas.outreach"
    verbose_name = _("Awareness campaigns")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add(
            "outreach:campaigns",
            _("Awareness campaigns"),
            ("outreach.manage", "analytics.view", "audit.view"),
            order=78,
        )
        from . import home_page, household_page  # noqa: F401  (register their parts of the home and household pages)
