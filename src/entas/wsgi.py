"""WSGI entry point for a production server (e.g. ``gunicorn entas.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

from entas.core.startup import quick_setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entas.settings")
quick_setup()  # each server worker starts with the collector paused, then freezes what it loaded
application = get_wsgi_application()
