"""Related-paper test data: SciRepEval/SPECTER triplets and the SPECTER citation sample.

* ``scirepeval/specter_small.json`` (SciRepEval, Singh et al., "SciRepEval: A
  Multi-Format Benchmark for Scientific Document Representations", EMNLP 2023,
  https://github.com/allenai/scirepeval): a JSON list of ``{"query", "pos",
  "neg"}`` papers, each with ``title`` and ``abstract``; ``pos`` is cited by
  ``query``, ``neg`` is not (SPECTER's training triplets, Cohan et al., ACL 2020,
  https://arxiv.org/abs/2004.07180).
* ``specter-sample/training/`` (https://github.com/allenai/specter, ``data/training``):
  ``data.json`` maps a query paper id to the ids it cites or co-cites
  (``{"count": 5}`` = direct citation, 1 = co-citation); ``metadata.json`` gives
  ``title``/``abstract`` of some ids. In the shared sample no cited id has text,
  so the only citation-based relation between papers that *have* text is
  bibliographic coupling (Kessler 1963): two query papers that cite a common
  paper. ``coupling_pairs`` builds that relation; it is tiny (see
  docs/search-quality.md).

Malformed input raises ``EvalDataError`` naming the file and the entry.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCIREPEVAL_FILE = Path("scirepeval") / "specter_small.json"
SPECTER_GRAPH_FILE = Path("specter-sample") / "training" / "data.json"
SPECTER_METADATA_FILE = Path("specter-sample") / "training" / "metadata.json"


class EvalDataError(ValueError):
    """A related-paper data file is missing or malformed; the message names it."""


@dataclass(frozen=True)
class PaperText:
    """A paper's ``title`` and ``abstract`` (either may be empty, not both)."""

    title: str
    abstract: str


@dataclass(frozen=True)
class Triplet:
    """A ``query`` paper, a paper it cites (``pos``) and one it does not (``neg``)."""

    query: PaperText
    pos: PaperText
    neg: PaperText


def _load_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise EvalDataError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise EvalDataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalDataError(f"{path}: cannot read ({exc})") from exc


def _paper(path: Path, where: str, value: Any) -> PaperText:
    if not isinstance(value, dict):
        raise EvalDataError(f"{path}: {where} is not an object with title and abstract")
    title, abstract = value.get("title") or "", value.get("abstract") or ""
    if not isinstance(title, str) or not isinstance(abstract, str):
        raise EvalDataError(f"{path}: {where} has a title or abstract that is not text")
    if not title.strip() and not abstract.strip():
        raise EvalDataError(f"{path}: {where} has neither title nor abstract")
    return PaperText(title, abstract)


def load_triplets(path: Path) -> list[Triplet]:
    """The triplets of a SciRepEval ``specter_small.json``-style file, in file order.

    Raises:
        EvalDataError: missing file, invalid JSON, not a non-empty list, or an entry
            without ``query``/``pos``/``neg`` papers with text.
    """
    data = _load_json(path)
    if not isinstance(data, list) or not data:
        raise EvalDataError(f"{path}: expected a non-empty JSON list of triplets")
    triplets = []
    for number, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise EvalDataError(f"{path}: entry {number} is not an object")
        papers = [
            _paper(path, f"entry {number} {role!r}", entry.get(role))
            for role in ("query", "pos", "neg")
        ]
        triplets.append(Triplet(*papers))
    return triplets


@dataclass
class CouplingSet:
    """Papers with text and the bibliographic-coupling relation among them.

    ``papers``: id -> text, for every query paper of the graph that has metadata;
    ``related``: id -> ids of the other such papers sharing at least one cited or
    co-cited paper with it (symmetric); ``notes``: counts for the report.
    """

    papers: dict[str, PaperText]
    related: dict[str, set[str]]
    notes: list[str]


def load_coupling(data_dir: Path) -> CouplingSet:
    """Bibliographic coupling among the SPECTER sample's query papers that have text.

    Raises:
        EvalDataError: a file is missing or not of the documented shape.
    """
    graph_path, meta_path = data_dir / SPECTER_GRAPH_FILE, data_dir / SPECTER_METADATA_FILE
    graph, metadata = _load_json(graph_path), _load_json(meta_path)
    if not isinstance(graph, dict) or not all(isinstance(v, dict) for v in graph.values()):
        raise EvalDataError(f"{graph_path}: expected {{query id: {{cited id: {{count}}}}}}")
    if not isinstance(metadata, dict):
        raise EvalDataError(f"{meta_path}: expected {{paper id: {{title, abstract}}}}")
    papers = {
        pid: _paper(meta_path, f"paper {pid}", metadata[pid]) for pid in graph if pid in metadata
    }
    cited = {pid: set(graph[pid]) for pid in papers}
    related: dict[str, set[str]] = {pid: set() for pid in papers}
    for a, b in itertools.combinations(papers, 2):
        if cited[a] & cited[b]:
            related[a].add(b)
            related[b].add(a)
    all_cited = set().union(*graph.values()) if graph else set()
    with_text = len(all_cited & set(metadata))
    pairs = sum(len(r) for r in related.values()) // 2
    notes = [
        f"specter-sample: {len(graph)} query papers, {len(papers)} with text; "
        f"{len(all_cited)} cited/co-cited ids, {with_text} with text; "
        f"{pairs} coupled pairs (papers citing a common paper) among those with text"
    ]
    return CouplingSet(papers, related, notes)
