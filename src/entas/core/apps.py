from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "entas.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import navigation

        navigation.add("jobs:list", _("Jobs"), None, order=110)
        navigation.add("audit:list", _("Audit trail"), "audit.view", order=120)
        from django.utils.module_loading import autodiscover_modules

        from . import signals  # noqa: F401  (login/logout audit)

        # Each app declares its background job kinds in jobs.py.
        autodiscover_modules("jobs")
