"""Shared start of the benchmarks: papertrend on a fresh data folder, migrated."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def django_in_fresh_folder(prefix: str, database_url: str = "", **env: str) -> Path:
    """Point papertrend at a new temporary data folder (and ``database_url`` when
    given, else its default SQLite there), set ``env`` variables, set up Django and
    migrate. Returns the folder."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["PAPERTREND_DATA_DIR"] = str(work)
    os.environ.update(env)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    return work
