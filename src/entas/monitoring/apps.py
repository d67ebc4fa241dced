from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "entas.monitoring"
    verbose_name = _("Monitoring and evaluation")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("home", _("Summary"), "summary.view", order=10)
        navigation.add("monitoring:poverty_profile", _("Poverty profile"), "summary.view", order=50)
        navigation.add("monitoring:reference_data", _("Reference data"), "analytics.view", order=55)
        navigation.add("monitoring:dashboard", _("Indicators"), "summary.view", order=52)
        navigation.add("monitoring:indicators", _("Manage indicators"), "analytics.view", order=53)
        from . import home_page  # noqa: F401  (registers its part of the home page)
