from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "entas.training"
    verbose_name = _("Skills training")

    def ready(self) -> None:
        from entas.core import navigation
        from entas.policy.selectors import add_benefit_source, add_reach_source

        from .benefits import places, reach

        # What it delivers shows in the policy register's one benefit timeline and in its programmes'
        # reach, read where it is kept.
        add_benefit_source("training", places)
        add_reach_source("training", reach)

        navigation.add("training:cohorts", _("Training"), ("training.manage", "registry.view"), order=90)
        navigation.add("training:outcomes", _("Training outcomes"), ("analytics.view",), order=63)
        from . import (  # noqa: F401  (register their parts of those pages)
            home_page,
            household_page,
            personal_data,
        )
