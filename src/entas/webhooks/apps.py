from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "entas.webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("webhooks:list", _("Webhooks"), ("users.manage",), order=135)
        from . import jobs, services  # noqa: F401  (registers the job kind and the event listener)
