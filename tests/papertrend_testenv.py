"""Environment for the test run, set before Django reads its settings.

Connections close after each request in tests (the site keeps them 60 s): a live
server thread holding one would keep PostgreSQL from dropping the test database.
"""

import os

os.environ["DATABASE_CONN_MAX_AGE"] = "0"
