from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "entas.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.conf import settings
        from django.utils.module_loading import autodiscover_modules

        from . import ratelimit, signals  # noqa: F401  (signals: login/logout audit)

        for spec in getattr(settings, "ENTAS_RATE_LIMITS", {}).values():
            ratelimit.parse(str(spec))  # a mistyped limit stops the start, not the first lookup

        # Each app declares its background job kinds in jobs.py.
        autodiscover_modules("jobs")
