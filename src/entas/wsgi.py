"""WSGI entry point for a production server (e.g. ``gunicorn entas.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entas.settings")
application = get_wsgi_application()
