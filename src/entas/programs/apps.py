from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "entas.programs"
    verbose_name = _("Programmes")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add(
            "programs:list", _("Programmes"), ("programmes.manage", "programmes.approve", "audit.view"), order=90
        )
        navigation.add("programs:affected", _("Affected households"), "registry.change", order=100)
        from . import (  # noqa: F401  (register their parts of the home and household pages)
            home_page,
            household_page,
            personal_data,
        )
