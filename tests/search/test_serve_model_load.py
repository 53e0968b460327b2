"""The embedding model is loaded as each web worker starts (issue 15, item 12).

Through the real ``papertrend serve`` (gunicorn): the site starts with papers but
no vector index, the index is built while it serves (as ``papertrend serve``'s
background build does), and the first search after that uses the index at once
instead of waiting for PyTorch to load the model (16-21 s per worker before).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import quote

from tests.live_serve import live_serve, run_command

TOPICS = [
    ("Protein structure prediction with deep learning", "Folding proteins from sequences."),
    ("Sparse attention for long documents", "Transformers that read long inputs cheaply."),
    ("Graph neural networks for molecules", "Message passing over chemical bonds."),
    ("Quantum error correction with surface codes", "Logical qubits from noisy ones."),
    ("Reinforcement learning for robot grasping", "Robots learn to pick up objects."),
    ("Diffusion models for image synthesis", "Denoising generates pictures."),
]
READY = re.compile(r"worker \d+ ready: embedding model all-MiniLM-L6-v2 .*? loaded in ([\d.]+) s")
MODEL = {"PAPERTREND_EMBEDDING_MODEL": "minilm"}  # the default: PyTorch, the slow one to load


def write_papers(path: Path) -> None:
    """Six papers in the Kaggle snapshot's JSON-lines shape."""
    lines = []
    for i, (title, abstract) in enumerate(TOPICS, start=1):
        record = {
            "id": f"2401.{i:05d}",
            "authors": "Ada Lovelace",
            "title": title,
            "abstract": abstract,
            "categories": "cs.LG",
            "versions": [{"version": "v1", "created": "Mon, 1 Jan 2024 10:00:00 GMT"}],
            "update_date": "2024-01-01",
            "authors_parsed": [["Lovelace", "Ada", ""]],
        }
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n")


def test_first_search_after_a_background_build_does_not_load_the_model(tmp_path: Path) -> None:
    data = tmp_path / "site"
    data.mkdir()
    write_papers(tmp_path / "papers.jsonl")
    run_command(
        data, "serve", "--prepare-only", "--no-fetch", "--load", str(tmp_path / "papers.jsonl")
    )
    with live_serve(data, "--no-index-build", "--workers", "1", extra=MODEL) as server:
        assert server.get("/").status == 200  # answered once the worker is ready
        ready = READY.search(server.log.read_text())
        # No index yet: keyword results, saying so.
        assert "is not ready yet" in server.get("/search?q=proteins").text
        built = run_command(data, "index", "build", "--no-progress", extra=MODEL)
        assert "vector index rebuilt: 6 vectors" in built, built
        query = "/search?q=" + quote("amino acid chains in three dimensions")
        started = time.monotonic()
        page = server.get(query)
        first_search_s = time.monotonic() - started
        started = time.monotonic()
        assert server.get(query).status == 200
        second_search_s = time.monotonic() - started
        log = server.log.read_text()
    assert page.status == 200
    assert "is not ready yet" not in page.text  # the new index was used
    assert "Protein structure prediction with deep learning" in page.text
    # The model was loaded before the worker took its first request, not by this search:
    # loading takes seconds (PyTorch), a search with it loaded a fraction of one.
    assert first_search_s < second_search_s + 3.0, (first_search_s, second_search_s)
    assert ready is not None, log[-3000:]
    assert float(ready[1]) > 0
