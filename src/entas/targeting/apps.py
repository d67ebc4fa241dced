from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetingConfig(AppConfig):
    name = "entas.targeting"
    verbose_name = _("Targeting")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("targeting:report", _("Targeting"), ("analytics.view", "programmes.manage"), order=60)
        navigation.add("targeting:rules", _("Eligibility rules"), ("analytics.view", "programmes.manage"), order=61)
        navigation.add("targeting:pmt", _("PMT models"), "analytics.view", order=62)
        navigation.add("targeting:overrides", _("Musyawarah decisions"), "registry.change", order=70)
        from . import personal_data  # noqa: F401  (registers what it holds about a person: docs/privacy.md)
