"""``papertrend eval``: offline retrieval quality of keyword, dense and hybrid search.

Reads the SMART test collections (CISI, Cranfield, CACM) and the related-paper
sets (SciRepEval triplets, the SPECTER citation sample) from ``--data-dir``,
runs each system through the site's own search code
(``search.evaluation.runner``) and prints a Markdown table of nDCG@10, MAP@100 and
R@100 (docs/search-quality.md explains the numbers). Queries go through the
site's query path unchanged (quotes, ``AND``/``OR``/``NOT``, the similarity floor,
exact titles first). ``--titles`` adds exact-title queries: each document's title
asked as a query, and the share ranked first.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from papertrend.search.embedders import Embedder, EmbeddingModelError, get_embedder
from papertrend.search.evaluation import report as report_format
from papertrend.search.evaluation import runner
from papertrend.search.evaluation.smart import LAYOUTS, SmartFormatError, load_collection
from papertrend.search.evaluation.triplets import (
    SCIREPEVAL_FILE,
    EvalDataError,
    load_coupling,
    load_triplets,
)
from papertrend.search.ranking import min_similarity

RELATED = ("triplets", "specter-sample")
COLLECTIONS = (*LAYOUTS, *RELATED)
DEFAULT_DATA_DIR = Path("..") / "shared" / "data" / "eval"


def _systems(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in runner.SYSTEMS]
    if not names or unknown:
        raise ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(runner.SYSTEMS)}; got {value!r}"
        )
    return names


class Command(BaseCommand):
    help = (
        "Evaluate keyword (BM25), dense and hybrid search on the CISI, Cranfield and "
        "CACM test collections and dense related papers on SciRepEval triplets; prints "
        "nDCG@10 / MAP@100 / R@100 as a Markdown table."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help=f"folder holding ir-cisi/, ir-cranfield/, ... (default: {DEFAULT_DATA_DIR} "
            "from the current folder)",
        )
        parser.add_argument(
            "--collection",
            action="append",
            choices=COLLECTIONS,
            default=None,
            help="evaluate only this collection (repeatable; default: all)",
        )
        parser.add_argument(
            "--model", default=None, help="embedding model (default: PAPERTREND_EMBEDDING_MODEL)"
        )
        parser.add_argument(
            "--systems",
            type=_systems,
            default=list(runner.SYSTEMS),
            help="comma-separated systems to report (default: bm25,dense,hybrid)",
        )
        parser.add_argument(
            "--ann", action="store_true", help="use the HNSW index even for small collections"
        )
        parser.add_argument(
            "--output", type=Path, default=None, help="also write the Markdown here"
        )
        parser.add_argument(
            "--json", action="store_true", help="print JSON (with per-query values)"
        )
        parser.add_argument(
            "--titles",
            action="store_true",
            help="also ask each document's unique title as a query (share ranked first)",
        )
        parser.add_argument(
            "--vector-cache",
            type=Path,
            default=None,
            help="keep embeddings here and reuse them when model and texts are unchanged",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir: Path = options["data_dir"] or Path.cwd() / DEFAULT_DATA_DIR
        if not data_dir.is_dir():
            raise CommandError(
                f"evaluation data folder {data_dir} does not exist; pass --data-dir "
                "(it holds ir-cisi/, ir-cranfield/, ir-cacm/, scirepeval/, specter-sample/)"
            )
        names = list(dict.fromkeys(options["collection"] or COLLECTIONS))
        systems: list[str] = options["systems"]
        needs_model = bool({"dense", "hybrid"} & set(systems))
        embedder = self._embedder(options["model"]) if needs_model else None
        report = report_format.Report(self._config(options, embedder))
        try:
            for name in names:
                self._run(name, data_dir, systems, embedder, options, report)
        except (SmartFormatError, EvalDataError) as exc:
            raise CommandError(str(exc)) from exc
        report.notes += report_format.hybrid_notes(report.rows)
        markdown = report_format.to_markdown(report)
        if options["output"] is not None:
            try:
                options["output"].write_text(markdown)
            except OSError as exc:
                raise CommandError(f"cannot write {options['output']}: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(report_format.to_json(report), indent=2))
        else:
            self.stdout.write(markdown)

    def _embedder(self, model: str | None) -> Embedder:
        try:
            return get_embedder(model)
        except EmbeddingModelError as exc:
            raise CommandError(str(exc)) from exc

    def _config(self, options: dict[str, Any], embedder: Embedder | None) -> dict[str, Any]:
        from papertrend.search.vector_sync import hnsw_params

        params = hnsw_params()
        index = (
            f"HNSW forced (M={params.connectivity}, ef_search={params.expansion_search}, "
            f"{params.dtype})"
            if options["ann"]
            else f"exact below {settings.VECTOR_EXACT_MAX} vectors"
        )
        return {
            "model": embedder.name if embedder else None,
            "identity": embedder.identity if embedder else "no model needed",
            "systems": options["systems"],
            "vector_index": index,
            "rrf_k": settings.SEARCH_RRF_K,
            "keyword_weight": settings.SEARCH_KEYWORD_WEIGHT,
            "dense_weight": settings.SEARCH_DENSE_WEIGHT,
            "depth": runner.DEPTH,
            "candidates": runner.pool_size(),
            "min_similarity": min_similarity(embedder.name) if embedder else None,
        }

    def _run(
        self,
        name: str,
        data_dir: Path,
        systems: list[str],
        embedder: Embedder | None,
        options: dict[str, Any],
        report: report_format.Report,
    ) -> None:
        ann, cache = options["ann"], options["vector_cache"]
        if name in LAYOUTS:
            collection = load_collection(name, data_dir)
            rows, notes = runner.evaluate_collection(
                collection, systems, embedder, ann=ann, cache_dir=cache
            )
            report.rows += rows
            report.notes += notes
            if options["titles"]:
                rows, notes = runner.evaluate_titles(
                    collection, systems, embedder, ann=ann, cache_dir=cache
                )
                report.rows += rows
                report.notes += notes
            return
        if embedder is None or "dense" not in systems:
            report.notes.append(
                f"{name}: skipped (related papers are ranked by the dense system only)"
            )
            return
        if name == "triplets":
            triplets = load_triplets(data_dir / SCIREPEVAL_FILE)
            report.rows.append(
                runner.evaluate_triplets(triplets, embedder, ann=ann, cache_dir=cache)
            )
            return
        coupling = load_coupling(data_dir)
        report.notes += coupling.notes
        if not any(coupling.related.values()):
            report.notes.append(f"{name}: no coupled pairs, so no related-papers figure")
            return
        report.rows.append(runner.evaluate_coupling(coupling, embedder, ann=ann, cache_dir=cache))
