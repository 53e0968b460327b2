"""The evaluation report: scores with standard errors, rows, and their Markdown and JSON.

``papertrend eval`` fills a :class:`Report` with :class:`ResultRow` s (see
``runner``) and prints it with :func:`to_markdown` or :func:`to_json`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Score:
    """A measure over queries: ``mean``, its standard error ``se`` (sample standard
    deviation / sqrt(n); 0 for n < 2) and the per-query values."""

    mean: float
    se: float
    per_query: dict[str, float]

    @classmethod
    def of(cls, per_query: dict[str, float]) -> Score:
        values = np.array(list(per_query.values()), dtype=np.float64)
        n = len(values)
        mean = float(values.mean()) if n else 0.0
        se = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
        return cls(mean, se, per_query)


@dataclass
class ResultRow:
    """One line of the report: a system's ``metrics`` on ``data`` over ``n`` queries."""

    data: str
    system: str
    n: int
    metrics: dict[str, Score]
    kind: str = "retrieval"  # or "related" (the related-papers table)


@dataclass
class Report:
    """Everything ``papertrend eval`` prints: settings, rows, notes."""

    config: dict[str, Any]
    rows: list[ResultRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def paired_difference(a: ResultRow, b: ResultRow, measure: str = "nDCG@10") -> tuple[float, float]:
    """Mean of ``a - b`` per query on ``measure``, and its standard error (paired)."""
    first, second = a.metrics[measure].per_query, b.metrics[measure].per_query
    diffs = {qid: first[qid] - second[qid] for qid in first}
    score = Score.of(diffs)
    return score.mean, score.se


def hybrid_notes(rows: Sequence[ResultRow]) -> list[str]:
    """Per collection: hybrid minus the better of bm25 and dense on nDCG@10, paired SE."""
    notes = []
    by_data: dict[str, dict[str, ResultRow]] = {}
    for row in rows:
        if row.kind == "retrieval":
            by_data.setdefault(row.data, {})[row.system] = row
    for data, systems in by_data.items():
        if not {"bm25", "dense", "hybrid"} <= set(systems):
            continue
        best = max(("bm25", "dense"), key=lambda s: systems[s].metrics["nDCG@10"].mean)
        diff, se = paired_difference(systems["hybrid"], systems[best])
        verdict = "meets" if diff >= 0 else "misses"
        notes.append(
            f"{data}: hybrid - {best} (the better single system) nDCG@10 = {diff:+.3f} "
            f"(paired SE {se:.3f}); {verdict} the goal hybrid >= best"
        )
    return notes


def _cell(score: Score) -> str:
    return f"{score.mean:.3f}"


def to_markdown(report: Report) -> str:
    """The report as Markdown: a settings line, the retrieval table, the related-papers
    table, then the notes as a list."""
    config = report.config
    lines = [
        f"Model: `{config['model']}` ({config['identity']}); vectors: {config['vector_index']}; "
        f"RRF k={config['rrf_k']}, weights keyword {config['keyword_weight']:g} / "
        f"dense {config['dense_weight']:g}, "
        f"{config.get('candidates', config['depth'])} candidates each, top {config['depth']} scored"
        + (
            f"; meaning-only results from cosine {config['min_similarity']:g}."
            if config.get("min_similarity") is not None
            else "."
        ),
        "",
    ]
    retrieval = [row for row in report.rows if row.kind == "retrieval"]
    if retrieval:
        lines += [
            "| collection | system | queries | nDCG@10 | ± SE | MAP@100 | R@100 |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for row in retrieval:
            m = row.metrics
            lines.append(
                f"| {row.data} | {row.system} | {row.n} | {_cell(m['nDCG@10'])} | "
                f"{m['nDCG@10'].se:.3f} | {_cell(m['MAP@100'])} | {_cell(m['R@100'])} |"
            )
        lines.append("")
    related = [row for row in report.rows if row.kind in ("related", "titles")]
    if related:
        lines += ["| data | system | n | measure | value | ± SE |", "|---|---|---:|---|---:|---:|"]
        for row in related:
            for label, score in row.metrics.items():
                cells = [row.data, row.system, str(row.n), label, _cell(score), f"{score.se:.3f}"]
                lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if report.notes:
        lines += ["Notes:", ""] + [f"- {note}" for note in report.notes] + [""]
    return "\n".join(lines)


def to_json(report: Report, *, per_query: bool = True) -> dict[str, Any]:
    """The report as a JSON-ready dict (per-query values included unless told not to)."""

    def metric(score: Score) -> dict[str, Any]:
        out: dict[str, Any] = {"mean": score.mean, "se": score.se}
        if per_query:
            out["per_query"] = score.per_query
        return out

    return {
        "config": report.config,
        "results": [
            {
                "data": row.data,
                "system": row.system,
                "kind": row.kind,
                "n": row.n,
                "metrics": {label: metric(score) for label, score in row.metrics.items()},
            }
            for row in report.rows
        ],
        "notes": report.notes,
    }
