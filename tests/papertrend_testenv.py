"""Environment for the test run, set before Django reads its settings.

Connections close after each request in tests (the site keeps them 60 s): a live
server thread holding one would keep PostgreSQL from dropping the test database.
"""

import os
import tempfile
from pathlib import Path

os.environ["DATABASE_CONN_MAX_AGE"] = "0"
# Models distilled on first use (the static model, ~25 s) are kept between test
# runs and shared by the xdist workers (embedders.py locks the distillation).
os.environ.setdefault(
    "PAPERTREND_MODEL_CACHE_DIR", str(Path(tempfile.gettempdir()) / "papertrend-test-models")
)
