from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "entas.policy"
    verbose_name = _("Policy register")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("policy:plan", _("Policy register"), "policy.view", order=58)
        navigation.add("policy:funded", _("Programmes we fund"), "policy.view_funded", order=59)
        from . import (  # noqa: F401  (register their parts of the home and household pages)
            home_page,
            household_page,
            personal_data,
        )
