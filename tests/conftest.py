"""Shared fixtures: the real data folder beside the checkout, and a per-test search index."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (see README, 'Tests')")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_search_index(settings, tmp_path: Path) -> None:
    """Every test writes its own full-text index, so tests never see each other's documents."""
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    settings.VECTOR_INDEX_DIR = tmp_path / "vector-index"
