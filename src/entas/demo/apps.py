from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demonstration installation: ``entas seed_demo`` and ``entas synth`` put together what each
    app provides for a demo (regions, poverty lines, demo users, a synthetic city and its activity).
    It sits above every other app, since it touches them all; nothing imports it."""

    name = "entas.demo"
    verbose_name = _("Demonstration")
