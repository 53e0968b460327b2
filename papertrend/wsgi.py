"""WSGI entry point: ``gunicorn papertrend.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")
application = get_wsgi_application()
