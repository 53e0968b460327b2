"""The default SITE_URL follows the address the site is served at (issue 15, item 11).

With only ``PAPERTREND_BIND`` (or ``serve --bind``) changed, links in feeds and emails
used to point to port 8000. ``live_serve`` binds a free port with ``--bind``; the
feed's links and the confirmation email that ``papertrend serve``'s own mail worker
sends must point to that port. An explicit ``SITE_URL`` still wins.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from papertrend.env import site_url_from_bind
from tests.live_serve import LiveServer, live_serve


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000"),
        (":9000", "http://127.0.0.1:9000"),
        ("localhost", "http://localhost:8000"),
        ("papers.internal:80", "http://papers.internal:80"),
        ("[::]:8081", "http://[::1]:8081"),
        ("[2001:db8::5]:8082", "http://[2001:db8::5]:8082"),
        ("unix:/run/papertrend.sock", "http://localhost"),
    ],
)
def test_site_url_from_bind(bind: str, url: str) -> None:
    assert site_url_from_bind(bind) == url


def settings_site_url(**env: str) -> str:
    """``settings.SITE_URL`` in a fresh process with ``env`` added."""
    base = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PAPERTREND_BIND"}}
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "papertrend.settings", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_settings_derive_site_url_from_papertrend_bind() -> None:
    assert settings_site_url() == "http://127.0.0.1:8000"
    assert settings_site_url(PAPERTREND_BIND="0.0.0.0:8765") == "http://127.0.0.1:8765"
    explicit = {"PAPERTREND_BIND": "0.0.0.0:8765", "SITE_URL": "https://papers.example.org/"}
    assert settings_site_url(**explicit) == "https://papers.example.org"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    data_dir: Path = tmp_path_factory.mktemp("serve")
    extra = {"PAPERTREND_DIGEST_LOOP_SLEEP": "0.5"}
    with live_serve(data_dir, "--no-index-build", "--workers", "1", extra=extra) as live:
        yield live
    # The mail worker serve started ends with the site (it must not linger).
    log = data_dir / "digests-send.log"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and "stopping" not in log.read_text():
        time.sleep(0.2)
    assert "exited; stopping" in log.read_text()


def test_feed_links_point_to_the_bound_port(server: LiveServer) -> None:
    answer = server.get("/feeds/new.rss")
    assert answer.status == 200
    links = re.findall(r"<link>([^<]*)</link>", answer.text)
    assert links and all(link.startswith(f"http://127.0.0.1:{server.port}/") for link in links)


def test_serve_sends_the_confirmation_with_a_link_to_the_bound_port(server: LiveServer) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", "/digests/subscribe")
    form = connection.getresponse()
    page = form.read().decode()
    cookie = form.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = f"email=ada%40example.org&csrfmiddlewaretoken={token}"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    connection.request("POST", "/digests/subscribe", body, headers)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    assert answer.status == 302
    # The request only queued it; the worker `papertrend serve` started sends it.
    outbox = server.data_dir / "outbox"
    end = "-" * 79  # the file backend's line after each message: the file is complete
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
        f.read_text().rstrip().endswith(end) for f in outbox.glob("*.log")
    ):
        time.sleep(0.2)
    (file,) = list(outbox.glob("*.log"))
    text = file.read_text()
    assert "\nTo: ada@example.org\n" in text
    assert f"http://127.0.0.1:{server.port}/digests/confirm/" in text
