from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "entas.reports"
    verbose_name = _("Official reports")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("reports:list", _("Official reports"), ("reports.view", "reports.edit"), order=60)
        from . import home_page, jobs  # noqa: F401  (register their part of the home page, their job kinds)
