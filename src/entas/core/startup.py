"""Start-up without the garbage collector's passes (issue #28: a command starts in under a second).

Loading the settings, the apps and the URL configuration creates some 300,000 long-lived objects
(modules, classes, models, schemas) and no garbage; with the collector on, every few hundred
allocations it walks them all again — about a tenth of start-up. So start-up runs with the collector
off, then **freezes** what it built (``gc.freeze``: those objects are never scanned again, which also
keeps a server worker's pages shared after a fork) and turns the collector back on for the command's
or the request's own work. `benchmarks/startup.py` measures it."""

from __future__ import annotations

import gc


def quick_setup(*, urls: bool = True) -> None:
    """django.setup() and (with ``urls``) the URL configuration, with the collector paused, then
    frozen. Idempotent: Django sets up once. Settings that cannot load are left for Django's own
    command line to report (it still answers ``help`` then)."""
    import django
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured:
        return

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        django.setup()
        if urls:
            from django.urls import get_resolver

            get_resolver().url_patterns  # noqa: B018  (loads every view and the API's schemas)
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
