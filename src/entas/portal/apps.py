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
        from . import home_page, jobs  # noqa: F401  (register the home-page items and the job kinds)
        from . import indicator_sources  # noqa: F401  (registers its indicator sources with monitoring)
