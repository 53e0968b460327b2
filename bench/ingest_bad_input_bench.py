"""Bad-input ingest benchmark: a file with a share of bad records, against a clean one.

Not a test. Writes two Kaggle-format JSON-lines files of ``--records`` records each:
one all good (the baseline), and one where every ``--bad-every``-th record is spoiled
in one of the ways ``tests/papers/bad_kaggle.py`` lists (NUL bytes, lone surrogates,
over-long fields and ids, huge version numbers, JSON nested 5,000 deep, wrong types...).
Ingests each into a fresh database and prints, for each: records loaded, repaired and
skipped, seconds and records/s, and the time the repair-and-check step
(``papers.validation``) takes on its own. Database: a SQLite file under a temporary
folder, or ``--database-url postgres://...`` (emptied first).

    .venv/bin/python bench/ingest_bad_input_bench.py --records 10000 --bad-every 10
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _setup import django_in_fresh_folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.papers.bad_kaggle

import contextlib  # noqa: E402

from tests.papers.bad_kaggle import BAD_KINDS, dumps, good_row  # noqa: E402


def make_file(path: Path, count: int, bad_every: int) -> int:
    """Write ``count`` lines, every ``bad_every``-th one bad (0: none); return the bad count."""
    kinds = list(BAD_KINDS.values())
    bad = 0
    with path.open("wb") as out:
        for n in range(count):
            if bad_every and n % bad_every == bad_every - 1:
                out.write(kinds[bad % len(kinds)].make(good_row(n)))
                bad += 1
            else:
                out.write(dumps(good_row(n)))
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--bad-every", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    work = django_in_fresh_folder("papertrend-bench-", args.database_url)
    from django.core.management import call_command
    from django.db import connection

    from papertrend.papers import formats, validation
    from papertrend.papers.ingest import ingest_records
    from papertrend.papers.models import Paper
    from papertrend.papers.records import PaperRecord

    print(f"database: {connection.vendor}; {args.records} records, batch {args.batch_size}")
    runs = (("all good (baseline)", 0), (f"1 in {args.bad_every} bad", args.bad_every))
    for label, bad_every in runs:
        call_command("flush", interactive=False, verbosity=0)
        path = work / f"snapshot-{bad_every}.jsonl"
        bad = make_file(path, args.records, bad_every)
        parsed = [r for r in formats.iter_records([path]) if isinstance(r, PaperRecord)]
        started = time.perf_counter()
        for record in parsed:
            with contextlib.suppress(validation.InvalidRecord):
                validation.check(validation.repair(record)[0])
        check_s = time.perf_counter() - started
        started = time.perf_counter()
        summary = ingest_records(formats.iter_records([path]), batch_size=args.batch_size)
        seconds = time.perf_counter() - started
        print(
            f"{label:>22}: {bad} bad lines; loaded {Paper.objects.count()} "
            f"(repaired {summary.repaired}), skipped {summary.skipped}; "
            f"{seconds:.1f} s, {args.records / seconds:,.0f} rec/s; "
            f"repair+check alone {check_s * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
