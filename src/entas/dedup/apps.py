from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupConfig(AppConfig):
    name = "entas.dedup"
    verbose_name = _("Deduplication")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("dedup:queue", _("Duplicates"), "registry.change", order=80)
        from . import (  # noqa: F401  (register their parts of the home and household pages)
            home_page,
            household_page,
            personal_data,
        )
