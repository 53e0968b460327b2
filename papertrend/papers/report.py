"""The ingest report: one tab-separated row per skipped or repaired record.

``papertrend ingest`` writes it to ``var/ingest-reports/<UTC time>-<pid>.tsv`` (or
``--report PATH``) and names it in its summary. Columns::

    action  format  file  position  reason

``action`` is ``skipped`` (not loaded) or ``repaired`` (loaded after a fix such as
removing NUL characters, or dropping a date it could not read unambiguously, such as a
later version's ``9/10/2025``); ``position`` is ``line 12``, ``record 3``, ``entry 7`` or
empty for a whole file; ``reason`` names the field. Rows are written as they happen,
so the report of an interrupted run is complete up to where it stopped. The file is
only created when there is something to report. Quoting follows Python's
``excel-tab`` dialect, which spreadsheets and ``csv.reader(dialect="excel-tab")`` read.
"""

from __future__ import annotations

import csv
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

COLUMNS = ("action", "format", "file", "position", "reason")
SKIPPED = "skipped"
REPAIRED = "repaired"
# The position part of a locator, as records.PaperRecord.origin strips it.
_POSITION = re.compile(r"(?::| |, )((?:line|record|entry|paper|item)\b.*)$", re.IGNORECASE)


def split_locator(locator: str) -> tuple[str, str]:
    """``"a.jsonl line 12"`` -> ``("a.jsonl", "line 12")``; a bare path has no position."""
    match = _POSITION.search(locator)
    if match is None:
        return locator, ""
    return locator[: match.start()], match.group(1)


def default_path(folder: Path) -> Path:
    """``folder/<YYYYmmddTHHMMSSZ>-<pid>.tsv``: unique per run, sorted by time."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"{stamp}-{os.getpid()}.tsv"


class IngestReport:
    """Appends rows to a TSV file, created with its header on the first row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._handle: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None

    def add(self, action: str, source_format: str, locator: str, reason: str) -> None:
        """Write one row; ``locator`` is a record's ``"<file> line N"`` (or a bare path)."""
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # backslashreplace: a file name that is not UTF-8 stays readable and exact.
            self._handle = self.path.open("w", encoding="utf-8", errors="backslashreplace")
            self._writer = csv.DictWriter(self._handle, COLUMNS, dialect="excel-tab")
            self._writer.writeheader()
        file, position = split_locator(locator)
        self._writer.writerow(
            {
                "action": action,
                "format": source_format,
                "file": file,
                "position": position,
                "reason": reason,
            }
        )
        self.rows += 1

    def close(self) -> None:
        """Flush and close the file (if one was started)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self._writer = None
