from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "entas.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.conf import settings
        from django.utils.module_loading import autodiscover_modules

        # signals: login/logout audit; busy: a session's refresh clock starts at login
        from . import busy, home, navigation, ratelimit, signals  # noqa: F401

        navigation.add("jobs:list", _("Jobs"), None, order=110)
        navigation.add("audit:list", _("Audit trail"), "audit.view", order=120)
        home.contribute("core.jobs", order=90)(home.jobs_running)

        for spec in getattr(settings, "ENTAS_RATE_LIMITS", {}).values():
            ratelimit.parse(str(spec))  # a mistyped limit stops the start, not the first lookup

        # Each app declares its background job kinds in jobs.py.
        autodiscover_modules("jobs")
