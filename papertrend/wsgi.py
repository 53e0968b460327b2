"""WSGI entry point: ``gunicorn papertrend.wsgi``.

``papertrend serve`` adds ``--config python:papertrend.gunicorn_conf``, whose
``post_worker_init`` hook loads the embedding model in each worker before it
accepts requests; other WSGI servers load it on the first search.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")
application = get_wsgi_application()
