from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "entas.evaluation"
    verbose_name = _("Impact evaluation and policy simulation")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("evaluation:index", _("Evaluation"), ("analytics.view", "policy.edit"), order=64)
        from . import jobs  # noqa: F401  (registers the job kind)
