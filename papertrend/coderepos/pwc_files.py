"""Read Papers with Code dump files row by row, whatever their packaging.

Papers with Code published its dumps (https://github.com/paperswithcode/paperswithcode-data)
as gzipped JSON arrays; copies circulate unzipped and as JSON lines. This module
accepts all three, told apart by content, not by name: gzip by its magic bytes, a
JSON array by a leading ``[`` (streamed with ijson, so a 1 GB papers-with-abstracts
array is never held in memory), anything else as JSON lines (one object a line,
blank lines ignored).

Each row is classified by its keys:

* *links-between-papers-and-code*: ``repo_url`` (with ``paper_url, paper_title,
  paper_arxiv_id, paper_url_abs, is_official, mentioned_in_paper,
  mentioned_in_github, framework``);
* *papers-with-abstracts*: ``title`` with ``abstract`` or ``arxiv_id`` (with
  ``tasks, methods, date, proceeding``; the real dump also has ``authors``,
  ``paper_url``, ``url_abs``, ``url_pdf``);
* *evaluation-tables*: a task (``task`` and ``datasets``); every leaderboard row with
  ``code_links`` becomes one link row per code link, its paper from ``paper_url`` and
  ``paper_title``, nested subtasks and subdatasets included.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import ijson

LINKS = "links"
ABSTRACTS = "abstracts"
EVALUATION = "evaluation-tables"
GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class PwcRow:
    """One usable row: ``kind`` is LINKS (evaluation-table code links too) or ABSTRACTS.

    ``locator`` says where it was ("links.json.gz item 12", "papers.jsonl line 3",
    "squad.json item 1 row 7 link 1"). ``arxiv_id`` is the raw value the row gives (an
    id or an arXiv URL, or ""). ``is_official`` is None when the row does not say.
    """

    kind: str
    locator: str
    title: str
    arxiv_id: str = ""
    repo_url: str = ""
    is_official: bool | None = None
    framework: str = ""
    abstract: str = ""
    date: str = ""
    authors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BadRow:
    """A row that could not be read or has an unknown shape: where and why."""

    locator: str
    message: str

    def __str__(self) -> str:
        return f"{self.locator}: {self.message}"


def read_rows(path: Path) -> Iterator[PwcRow | BadRow]:
    """Every row of one dump file, in file order.

    Raises:
        OSError: the file cannot be opened or read.
        ValueError: a JSON array that breaks off or is not JSON (ijson's error; rows
            before it were yielded).
    """
    with _open(path) as stream:
        first = _peek(stream)
        if first == b"[":
            for number, item in enumerate(ijson.items(stream, "item", use_float=True), 1):
                yield from _rows_of(item, f"{path.name} item {number}")
            return
        for number, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield BadRow(f"{path.name} line {number}", f"not JSON: {exc}")
                continue
            yield from _rows_of(item, f"{path.name} line {number}")


def _open(path: Path) -> IO[bytes]:
    raw = path.open("rb")
    if raw.read(2) == GZIP_MAGIC:
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    raw.seek(0)
    return raw


def _peek(stream: IO[bytes]) -> bytes:
    """The first non-whitespace byte, leaving the stream where it was (buffered)."""
    peek = getattr(stream, "peek", None)  # BufferedReader and GzipFile both buffer
    if peek is not None:
        head = peek(4096)
    else:  # pragma: no cover - every stream _open returns can peek
        head = stream.read(4096)
        stream.seek(0)
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _framework(value: Any) -> str:
    name = _text(value).lower()
    return "" if name in ("", "none", "null") else name[:32]


def _rows_of(item: Any, locator: str) -> Iterator[PwcRow | BadRow]:
    if not isinstance(item, dict):
        yield BadRow(locator, f"expected a JSON object, got {type(item).__name__}")
        return
    if "repo_url" in item:
        yield PwcRow(
            kind=LINKS,
            locator=locator,
            title=_text(item.get("paper_title")),
            arxiv_id=_text(item.get("paper_arxiv_id")) or _text(item.get("paper_url_abs")),
            repo_url=_text(item.get("repo_url")),
            is_official=_flag(item.get("is_official")),
            framework=_framework(item.get("framework")),
        )
    elif "task" in item or "datasets" in item or "subtasks" in item:
        yield from _evaluation_rows(item, locator)
    elif "title" in item and ("abstract" in item or "arxiv_id" in item):
        authors = item.get("authors")
        yield PwcRow(
            kind=ABSTRACTS,
            locator=locator,
            title=_text(item.get("title")),
            arxiv_id=_text(item.get("arxiv_id")) or _text(item.get("url_abs")),
            abstract=_text(item.get("abstract")),
            date=_text(item.get("date")),
            authors=[a.strip() for a in authors if isinstance(a, str) and a.strip()]
            if isinstance(authors, list)
            else [],
        )
    else:
        keys = ", ".join(sorted(item)[:8])
        yield BadRow(locator, f"not a Papers with Code row (keys: {keys})")


def _evaluation_rows(task: dict[str, Any], locator: str) -> Iterator[PwcRow]:
    """Link rows of one evaluation-tables task: each leaderboard row's code links."""
    number = 0
    tasks = [task]
    while tasks:
        current = tasks.pop(0)
        datasets = list(current.get("datasets") or [])
        while datasets:
            dataset = datasets.pop(0)
            if not isinstance(dataset, dict):
                continue
            for row in (dataset.get("sota") or {}).get("rows") or []:
                number += 1
                if not isinstance(row, dict):
                    continue
                for index, link in enumerate(row.get("code_links") or [], 1):
                    if not isinstance(link, dict) or not _text(link.get("url")):
                        continue
                    yield PwcRow(
                        kind=LINKS,
                        locator=f"{locator} row {number} link {index}",
                        title=_text(row.get("paper_title")),
                        arxiv_id=_text(row.get("paper_url")),
                        repo_url=_text(link.get("url")),
                        is_official=_official_from_title(_text(link.get("title"))),
                    )
            datasets.extend(d for d in dataset.get("subdatasets") or [] if isinstance(d, dict))
        tasks.extend(t for t in current.get("subtasks") or [] if isinstance(t, dict))


# Negated forms seen in the real evaluation tables ("Non Official", "Unofficial",
# "not official"); checked before the bare word, which they contain.
_NOT_OFFICIAL = re.compile(r"\b(?:un|non|not)[\s-]*official", re.IGNORECASE)
_COMMUNITY = re.compile(r"replicat|re-?implement", re.IGNORECASE)


def _official_from_title(title: str) -> bool | None:
    """A code link's title in the evaluation tables as a flag: "Official", "Official
    Implementation", "Detectron (Official Version)" -> True; "Replicated", "Unofficial",
    "Non Official", a re-implementation -> False; anything else -> None (unknown)."""
    if _NOT_OFFICIAL.search(title) or _COMMUNITY.search(title):
        return False
    if re.search(r"official", title, re.IGNORECASE):
        return True
    return None
