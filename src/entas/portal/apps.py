from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "entas.portal"
    verbose_name = _("Citizen portal")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("portal:cases", _("Complaints"), ("grievances.handle", "audit.view"), order=60)
        navigation.add(
            "portal:dashboard",
            _("Complaint statistics"),
            ("analytics.view", "grievances.handle", "audit.view"),
            order=61,
        )
        # The home-page items, the job kinds, the indicator sources it registers with monitoring, and
        # what it holds about a person (docs/privacy.md).
        from . import home_page, indicator_sources, jobs, personal_data  # noqa: F401
