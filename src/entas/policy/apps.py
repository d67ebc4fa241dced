from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "entas.policy"
    verbose_name = _("Policy register")

    def ready(self) -> None:
        pass
