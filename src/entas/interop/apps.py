from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "entas.interop"
    verbose_name = _("Interoperability")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("interop:index", _("Data exchange"), ("registry.approve", "settings.manage"), order=61)
        from . import jobs  # noqa: F401  (registers the job kinds)
