"""WSGI entry point: ``gunicorn papertrend.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")
application = get_wsgi_application()

# Load the embedding model in the background as each worker starts, so the first
# search does not wait seconds for PyTorch (a search arriving earlier waits on the
# model's lock, no longer than it would have anyway).
from papertrend.search.dense import warm_up  # noqa: E402 -- needs the app loaded

warm_up()
