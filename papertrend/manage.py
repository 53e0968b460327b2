"""The ``papertrend`` console script: Django's manage command with our settings."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a Django management command (``papertrend ingest ...``, ``papertrend runserver``)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertrend.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv if argv is not None else sys.argv)


if __name__ == "__main__":
    main()
