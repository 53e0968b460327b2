"""Fixtures shared by the digest tests: a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from smtp_server import SMTPTestServer


@pytest.fixture
def smtp(settings) -> Iterator[SMTPTestServer]:
    """Django's SMTP backend pointed at a fresh loopback server, and a private cache
    (rate limits and resend windows must not leak between tests)."""
    with SMTPTestServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
        settings.EMAIL_TIMEOUT = 5
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": f"test-{uuid.uuid4()}",
            }
        }
        yield server
