from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "entas.registry"
    verbose_name = _("Social registry")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("registry:household_list", _("Registry"), "registry.view", order=20)
        navigation.add("registry:change_requests", _("Approvals"), "registry.approve", order=30)
        navigation.add("registry:ratification", _("Ratification"), "registry.approve", order=40)
        navigation.add("registry:privacy_report", _("Personal data report"), "privacy.report", order=190)
        from . import (
            home_page,  # noqa: F401  (registers its part of the home page)
            privacy,  # noqa: F401  (registers what it holds about a person: docs/privacy.md)
        )
