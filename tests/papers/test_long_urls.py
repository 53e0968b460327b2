"""Over-long addresses through the real server (issue 15, item 9).

A 20 kB query used to get gunicorn's bare "414 Request-URI Too Long" page, the
JSON API included. Now gunicorn lets it through and the site answers 414 in its
own page, and the API in its ``{"error": {...}}`` shape; addresses under the
limit (a 1,000-character search in any script) are served as usual.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from papertrend.middleware import MAX_URL_BYTES
from tests.live_serve import LiveServer, live_serve

LONG_QUERY = quote("attention " * 2048)  # 20 kB


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("serve")
    # The static model: quick to load (cached), as no search here uses it.
    extra = {"PAPERTREND_EMBEDDING_MODEL": "minilm-static"}
    with live_serve(data_dir, "--no-index-build", "--workers", "1", extra=extra) as live:
        yield live


def test_long_search_gets_the_sites_414_page(server: LiveServer) -> None:
    answer = server.get(f"/search?q={LONG_QUERY}")
    assert answer.status == 414
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert "<title>Address too long · papertrend</title>" in page
    assert f"papertrend answers addresses of up to {MAX_URL_BYTES:,} bytes" in page
    assert 'class="site-header"' in page  # the site's layout, not gunicorn's page
    assert "attention attention" not in page and "attention+attention" not in page


def test_long_api_query_gets_the_json_error_shape(server: LiveServer) -> None:
    answer = server.get(f"/api/papers/search?q={LONG_QUERY}")
    assert answer.status == 414
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["access-control-allow-origin"] == "*"
    error = json.loads(answer.body)["error"]
    assert (error["status"], error["code"]) == (414, "uri_too_long")
    assert f"up to {MAX_URL_BYTES:,} bytes" in error["message"]


def test_search_of_1000_encoded_characters_is_served(server: LiveServer) -> None:
    # 1,000 CJK characters: 9 bytes each once percent-encoded, over gunicorn's 8190.
    query = quote("注意" * 500)
    assert len(query) > 8190
    answer = server.get(f"/search?q={query}")
    assert answer.status == 200
    assert "注意注意" in answer.text
    api = server.get(f"/api/papers/search?q={query}")
    assert api.status == 200
    assert "error" not in json.loads(api.body)
