"""A script written for Hugging Face's ``/api/daily_papers`` runs unchanged against papertrend.

The script below is what people write against https://huggingface.co (the base
URL from ``HF_ENDPOINT``, as huggingface_hub reads it); only that variable
points it at a live papertrend server. It runs in its own process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.api.json_api_data import seed

SCRIPT = r"""
import json
import os
import urllib.request

BASE = os.environ.get("HF_ENDPOINT", "https://huggingface.co")


def fetch_daily_papers(date):
    url = f"{BASE}/api/daily_papers?date={date}"
    req = urllib.request.Request(url, headers={"User-Agent": "Mozilla/5.0"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read().decode())


papers = []
for item in fetch_daily_papers("2025-03-14"):
    paper = item["paper"]
    papers.append({
        "id": paper["id"],
        "title": item["title"],
        "upvotes": paper["upvotes"],
        "authors": [a["name"] for a in paper["authors"]],
        "github": paper.get("githubRepo"),
        "stars": paper.get("githubStars"),
        "date": item["publishedAt"][:10],
        "summary": paper["summary"][:40],
        "url": f"https://arxiv.org/abs/{paper['id']}",
    })
print(json.dumps(papers))
"""


@pytest.fixture
def seeded(db: None) -> dict[str, Any]:
    return seed()


@pytest.mark.django_db(transaction=True)
def test_hugging_face_script_runs_unchanged(live_server: Any, seeded: Any, settings: Any) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hf"}
    }
    env = {**os.environ, "HF_ENDPOINT": live_server.url}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    papers = json.loads(done.stdout)
    assert papers == [
        {
            "id": "2503.01234",
            "title": "Attention Is Still All You Need",
            "upvotes": 0,
            "authors": ["Ada Lovelace", "Kurt Gödel"],
            "github": "https://github.com/Acme/Attn",
            "stars": 1234,
            "date": "2025-03-14",
            "summary": "We study x^2 and things.",
            "url": "https://arxiv.org/abs/2503.01234",
        },
        {
            "id": "2503.05555",
            "title": "<script>alert(1)</script> Robust parsing",
            "upvotes": 1,
            "authors": ["Ada Lovelace"],
            "github": None,
            "stars": None,
            "date": "2025-03-14",
            "summary": "We study x^2 and things.",
            "url": "https://arxiv.org/abs/2503.05555",
        },
    ]
