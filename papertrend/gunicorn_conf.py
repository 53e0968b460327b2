"""gunicorn hooks for ``papertrend serve`` (``--config python:papertrend.gunicorn_conf``).

Each worker loads the embedding model before it accepts a request, so no search
waits for it: a first search used to wait 16-21 s per worker while PyTorch
loaded (docs/search.md has the measurements). The model is loaded per worker,
not once in the master with ``--preload``: PyTorch's thread pools are not safe
to use across ``fork``.

The command line of ``papertrend serve`` sets gunicorn's other options.
"""

from __future__ import annotations

import threading
from typing import Any

# Seconds between heartbeats while the model loads (gunicorn's --timeout is 60).
HEARTBEAT_S = 1.0


def post_worker_init(worker: Any) -> None:
    """Load the model and vector index (``search.dense.load_for_serving``) in this worker.

    Runs after the worker has imported the application and before its request
    loop. Loading can take longer than gunicorn's worker timeout on a busy machine
    (it is I/O and CPU bound, and the background ``index build`` competes), so it
    runs in a thread while this one keeps telling the master the worker is alive.
    A worker told to stop while loading stops waiting.
    """
    from papertrend.search.dense import load_for_serving

    outcome: list[str] = []
    loader = threading.Thread(
        target=lambda: outcome.append(load_for_serving()), name="model-load", daemon=True
    )
    loader.start()
    while loader.is_alive() and worker.alive:
        worker.notify()
        loader.join(HEARTBEAT_S)
    if outcome:
        worker.log.info("worker %s ready: %s", worker.pid, outcome[0])
