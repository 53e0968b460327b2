"""Schemathesis against the live schema: every operation, generated requests, no 5xx,
and every answer (errors included) documented in the schema it serves.

The schema is loaded from ``/api/openapi.json`` through the WSGI app, so it is the
one clients get, not a copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.json_api_data import seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db: None) -> dict[str, Any]:
    return seed()


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(seeded: Any, settings: Any) -> Iterator[Any]:
    """The live OpenAPI schema, with papers in the database and no rate limit in the way.

    Requests go through the real WSGI handler, whose end-of-request signal would
    close the test's database connection (and its transaction) as Django's test
    client prevents: the signal is held off here the same way.
    """
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "st"}
    }
    settings.API_RATE = "100000/h"
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def test_api_conforms_to_its_schema(api_schema: Any) -> None:
    # One Hypothesis run per operation inside one test, so the database fixture is set
    # up once (schemathesis' lazy fixture loader does not run under this pytest).
    operations = _operations(api_schema)
    assert len(operations) == 6
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        check()


def test_schema_lists_every_operation(client: Any, seeded: Any) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert set(paths) == {
        "/api/daily_papers",
        "/api/papers/search",
        "/api/papers/{arxiv_id}",
        "/api/related/{arxiv_id}",
        "/api/trending",
        "/api/repos/{owner}/{name}",
    }
    info = client.get("/api/openapi.json").json()["info"]
    assert (info["title"], info["version"]) == ("papertrend API", "1")
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.content
