"""The ``papertrend`` console script: Django's manage command with our settings."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a Django management command (``papertrend ingest ...``, ``papertrend runserver``)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")
    from django.core.management import execute_from_command_line

    from papertrend.env import ImproperlyConfiguredEnv

    try:
        execute_from_command_line(argv if argv is not None else sys.argv)
    except ImproperlyConfiguredEnv as error:
        # A bad environment variable: say which, without a traceback.
        sys.exit(f"papertrend: configuration error: {error}")


if __name__ == "__main__":
    main()
