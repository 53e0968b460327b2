"""Typed settings helpers: read environment variables and fail loudly on bad values.

Every setting has a default that works for local development, so a fresh checkout
needs no environment at all.
"""

from __future__ import annotations

import os
from pathlib import Path


class ImproperlyConfiguredEnv(ValueError):
    """An environment variable holds a value that cannot be used."""


def env_str(name: str, default: str) -> str:
    """Return ``$name`` or ``default`` when unset or empty."""
    value = os.environ.get(name, "")
    return value if value != "" else default


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """Return ``$name`` (or ``default``) when it is one of ``choices``.

    Raises:
        ImproperlyConfiguredEnv: the value is not one of ``choices``.
    """
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfiguredEnv(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value


def env_bool(name: str, default: bool) -> bool:
    """Parse ``$name`` as a boolean (1/0, true/false, yes/no, on/off).

    Raises:
        ImproperlyConfiguredEnv: the value is none of those words.
    """
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Parse ``$name`` as an integer, optionally at least ``minimum``.

    Raises:
        ImproperlyConfiguredEnv: not an integer, or below ``minimum``.
    """
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfiguredEnv(f"{name}={value} must be at least {minimum}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    """Parse ``$name`` as a float, optionally at least ``minimum``.

    Raises:
        ImproperlyConfiguredEnv: not a number, or below ``minimum``.
    """
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfiguredEnv(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Parse ``$name`` as a comma-separated list; blanks are dropped."""
    raw = os.environ.get(name, "")
    if raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    """Return ``$name`` as an absolute path, or ``default``."""
    raw = os.environ.get(name, "").strip()
    return Path(raw).expanduser().resolve() if raw else default


def site_url_from_bind(bind: str) -> str:
    """The address a browser on this machine uses for a gunicorn ``--bind`` value.

    ``127.0.0.1:8080`` → ``http://127.0.0.1:8080``; a wildcard host (``0.0.0.0:8080``,
    ``:8080``, ``[::]:8080``) → the loopback address on that port; a bare host → port
    8000 (gunicorn's default); ``unix:/path`` and ``fd://N`` give no address:
    ``http://localhost`` (set ``SITE_URL`` for a site behind a proxy).
    """
    bind = bind.strip()
    if not bind or bind.startswith(("unix:", "fd://")):
        return "http://localhost"
    if bind.startswith("["):  # [v6]:port or [v6]
        host, _, rest = bind[1:].partition("]")
        port = rest.removeprefix(":") or "8000"
        host = "::1" if host in {"", "::"} else host
        return f"http://[{host}]:{port}"
    host, sep, port = bind.rpartition(":")
    if not sep:
        host, port = bind, "8000"
    host = "127.0.0.1" if host in {"", "0.0.0.0", "*"} else host  # noqa: S104 -- a bind, not ours
    return f"http://{host}:{port or '8000'}"
