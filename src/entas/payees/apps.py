from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayeesConfig(AppConfig):
    name = "entas.payees"
    verbose_name = _("Payees")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("payees:import", _("Import bank accounts"), "programmes.manage", order=95)
        navigation.add("payees:paying_account", _("Paying account"), "settings.manage", order=200)
        from . import (
            household_page,  # noqa: F401  (registers its part of the household page)
            personal_data,  # noqa: F401  (registers what it holds about a person: docs/privacy.md)
        )
