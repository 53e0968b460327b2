"""Import Papers with Code dumps: code links (official flag, framework) and paper metadata.

``papertrend pwc import FILE...`` reads rows with ``coderepos.pwc_files`` and matches
each to a stored paper (docs/pwc.md):

1. **arXiv id**: ``paper_arxiv_id`` / ``arxiv_id``, else an arXiv URL in
   ``paper_url_abs`` / ``url_abs`` / ``paper_url`` (evaluation tables), versions dropped.
2. **Normalized title**: ``papers.text.normalized_title`` (TeX to text, accents and
   case folded, punctuation and whitespace reduced to single spaces), compared through
   the indexed ``Paper.title_key``.
3. **Fuzzy title**: rapidfuzz's ``fuzz.ratio`` (normalized Indel similarity, 0-100)
   of the normalized titles at least :data:`FUZZY_MIN`, for titles of at least
   :data:`FUZZY_MIN_WORDS` words, and only when exactly one paper reaches it.

A row that has an arXiv id the database lacks may still match a paper stored without
an id (from a trending page) by title, never a paper stored under another arXiv id.
A title matching several papers is ambiguous and left unmatched. Unmatched rows are
counted and reported with their file and row.

Link rows become ``PaperRepository`` links with source "pwc", PwC's official flag and
framework (an existing link keeps its source and takes the flag and framework).
Papers-with-abstracts rows that match are ingested as records of format "pwc": they
fill only what the paper lacks (abstract, date, authors) and give a paper stored
without an arXiv id its id. Unmatched ones create papers only with ``create_papers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from rapidfuzz import fuzz, process

from papertrend.coderepos.extract import find_repositories
from papertrend.coderepos.linking import LinkRequest, link_refs
from papertrend.coderepos.models import PaperRepository
from papertrend.coderepos.pwc_files import ABSTRACTS, BadRow, PwcRow, read_rows
from papertrend.papers import identifiers
from papertrend.papers.ingest import ingest_records
from papertrend.papers.models import Paper
from papertrend.papers.records import AuthorName, PaperRecord
from papertrend.papers.report import SKIPPED, IngestReport
from papertrend.papers.text import normalized_title, title_key

PWC = "pwc"  # PaperSource.source_format of papers-with-abstracts rows
FUZZY_MIN = 95.0
FUZZY_MIN_WORDS = 4
BATCH = 1000
MAX_SHOWN = 200
UNMATCHED = "unmatched"
IGNORED = "ignored"  # a code link to another host, a row naming no paper

BY_ID, BY_TITLE, BY_FUZZY = "arXiv id", "title", "fuzzy title"


@dataclass
class PwcSummary:
    """Counts of one import. Every row read is matched, unmatched, ignored or skipped.

    ``skipped`` rows could not be read (not JSON, unknown shape) or were refused by
    the database; ``ignored`` rows are readable but unusable (code on a host other than
    GitHub/GitLab, no paper named).
    """

    rows: int = 0
    link_rows: int = 0
    abstract_rows: int = 0
    matched: dict[str, int] = field(default_factory=lambda: {BY_ID: 0, BY_TITLE: 0, BY_FUZZY: 0})
    unmatched: int = 0
    ignored: int = 0
    skipped: int = 0
    links: int = 0  # link rows written (new or confirmed)
    papers_created: int = 0
    papers_updated: int = 0
    problems: list[str] = field(default_factory=list)
    report: IngestReport | None = None

    def note(self, action: str, locator: str, reason: str) -> None:
        """Count an unmatched or skipped row and keep where it was and why."""
        if action == UNMATCHED:
            self.unmatched += 1
        elif action == IGNORED:
            self.ignored += 1
        else:
            self.skipped += 1
        if len(self.problems) < MAX_SHOWN:
            self.problems.append(f"{action} {locator}: {reason}")
        if self.report is not None:
            self.report.add(action, PWC, locator, reason)

    def render(self) -> str:
        """A few lines for a terminal."""
        by = ", ".join(f"{count} by {how}" for how, count in self.matched.items())
        lines = [
            f"read {self.rows} rows ({self.link_rows} code links, {self.abstract_rows} "
            f"papers): matched {sum(self.matched.values())} ({by}), unmatched "
            f"{self.unmatched}, ignored {self.ignored}, skipped {self.skipped}",
            f"code links written {self.links}; papers created {self.papers_created}, "
            f"updated {self.papers_updated}",
            *(f"  {line}" for line in self.problems),
        ]
        shown = len(self.problems)
        noted = self.unmatched + self.ignored + self.skipped
        if noted > shown:
            lines.append(f"  ... and {noted - shown} more")
        if self.report is not None and self.report.rows:
            lines.append(f"report of every unmatched and skipped row: {self.report.path}")
        return "\n".join(lines)


def arxiv_id_of(raw: str) -> str | None:
    """The versionless arXiv id a row names (an id or an arXiv URL), or None."""
    if not raw:
        return None
    try:
        return identifiers.parse(raw).base
    except identifiers.InvalidArxivId:
        return None


class PaperMatcher:
    """Finds the stored paper a row describes (rules in the module docstring).

    Fuzzy candidates (every paper's normalized title) are loaded on first need only,
    once per import.
    """

    def __init__(self, *, fuzzy: bool = True) -> None:
        self.fuzzy = fuzzy
        self._all: dict[int, str] | None = None
        self._title_only: dict[int, str] | None = None

    def match(self, rows: Sequence[PwcRow]) -> list[tuple[int, str] | str]:
        """For each row ``(paper id, how)`` or the reason it matches nothing."""
        ids = {r.locator: arxiv_id_of(r.arxiv_id) for r in rows}
        keys = {r.locator: title_key(r.title) for r in rows if r.title}
        by_id = dict(
            Paper.objects.filter(arxiv_id__in={i for i in ids.values() if i}).values_list(
                "arxiv_id", "id"
            )
        )
        by_key: dict[str, list[tuple[int, bool]]] = {}
        for key, pk, aid in Paper.objects.filter(title_key__in=set(keys.values())).values_list(
            "title_key", "id", "arxiv_id"
        ):
            by_key.setdefault(key, []).append((pk, aid is None))
        results: list[tuple[int, str] | str] = []
        for row in rows:
            aid = ids[row.locator]
            if aid and aid in by_id:
                results.append((by_id[aid], BY_ID))
                continue
            # With an arXiv id the database lacks, only a paper without an id may match.
            found = [
                pk
                for pk, title_only in by_key.get(keys.get(row.locator, ""), [])
                if title_only or not aid
            ]
            if len(found) == 1:
                results.append((found[0], BY_TITLE))
            elif len(found) > 1:
                results.append(f"title matches {len(found)} papers")
            else:
                results.append(self._fuzzy(row, title_only=bool(aid)))
        return results

    def _fuzzy(self, row: PwcRow, *, title_only: bool) -> tuple[int, str] | str:
        what = f"arXiv {arxiv_id_of(row.arxiv_id)}, " if arxiv_id_of(row.arxiv_id) else ""
        nothing = (
            f"no paper with {what}title {row.title[:100]!r}"
            if row.title
            else (f"no paper with {what}no title" if what else "no arXiv id and no title")
        )
        wanted = normalized_title(row.title) if row.title else ""
        if not self.fuzzy or len(wanted.split()) < FUZZY_MIN_WORDS:
            return nothing
        choices = self._choices(title_only)
        best = process.extract(wanted, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN, limit=2)
        if len(best) == 1:
            return (int(best[0][2]), BY_FUZZY)
        if len(best) > 1:
            return f"title {row.title[:100]!r} is as close to several papers"
        return nothing

    def _choices(self, title_only: bool) -> dict[int, str]:
        if self._all is None:
            self._all, self._title_only = {}, {}
            for pk, aid, title in Paper.objects.values_list("id", "arxiv_id", "title").iterator(
                chunk_size=5000
            ):
                self._all[pk] = normalized_title(title)
                if aid is None:
                    self._title_only[pk] = self._all[pk]
        assert self._title_only is not None
        return self._title_only if title_only else self._all


def import_files(
    paths: Iterable[Path],
    *,
    create_papers: bool = False,
    fuzzy: bool = True,
    report: IngestReport | None = None,
) -> PwcSummary:
    """Import every row of ``paths``; return the counts (unreadable rows are reported).

    ``fuzzy=False`` skips step 3 of the matching (for a very large site: each row that
    reaches it costs about 0.6 ms per 10,000 stored papers).

    Raises:
        OSError: a file cannot be read. ValueError: a JSON array breaks off (rows
            before it are imported).
    """
    summary = PwcSummary(report=report)
    matcher = PaperMatcher(fuzzy=fuzzy)
    for path in paths:
        for batch in _batches(read_rows(path), BATCH):
            _import_batch(batch, matcher, summary, create_papers=create_papers)
    return summary


def _batches(rows: Iterator[PwcRow | BadRow], size: int) -> Iterator[list[PwcRow | BadRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def _import_batch(
    batch: list[PwcRow | BadRow], matcher: PaperMatcher, summary: PwcSummary, *, create_papers: bool
) -> None:
    rows: list[PwcRow] = []
    for item in batch:
        summary.rows += 1
        if isinstance(item, BadRow):
            summary.note(SKIPPED, item.locator, item.message)
            continue
        if item.kind == ABSTRACTS:
            summary.abstract_rows += 1
        else:
            summary.link_rows += 1
            if not find_repositories(item.repo_url):
                reason = f"not a GitHub/GitLab repository: {item.repo_url!r}"
                summary.note(IGNORED, item.locator, reason)
                continue
        if not item.title and not arxiv_id_of(item.arxiv_id):
            summary.note(IGNORED, item.locator, "no arXiv id and no title")
            continue
        rows.append(item)
    requests: list[LinkRequest] = []
    records: list[PaperRecord] = []
    matches = matcher.match(rows)
    matched_abstracts: list[tuple[PwcRow, int]] = []
    for row, result in zip(rows, matches, strict=True):
        if isinstance(result, str):
            if row.kind == ABSTRACTS and create_papers:
                records.append(_record(row, None))
            else:
                summary.note(UNMATCHED, row.locator, result)
            continue
        paper_id, how = result
        summary.matched[how] += 1
        if row.kind == ABSTRACTS:
            matched_abstracts.append((row, paper_id))
        else:
            ref = find_repositories(row.repo_url)[0]
            requests.append(
                LinkRequest(paper_id, ref, PaperRepository.PWC, row.is_official, row.framework)
            )
    summary.links += link_refs(requests)
    if matched_abstracts:
        stored = Paper.objects.filter(pk__in={pk for _, pk in matched_abstracts})
        titles = {
            pk: (title, aid) for pk, title, aid in stored.values_list("id", "title", "arxiv_id")
        }
        for row, pk in matched_abstracts:
            records.append(_record(row, titles[pk]))
    if records:
        loaded = ingest_records(records)
        summary.papers_created += loaded.new
        summary.papers_updated += loaded.updated
        for reason in loaded.skip_reasons:
            summary.note(SKIPPED, reason.split(":", 1)[0], reason.split(":", 1)[-1].strip())


def _record(row: PwcRow, stored: tuple[str, str | None] | None) -> PaperRecord:
    """A papers-with-abstracts row as an ingest record.

    For a matched paper the record carries the stored title (so ingest finds the same
    paper even after a fuzzy match) and the row's arXiv id only when the paper has none
    or the same (ingest then moves a title-only paper onto its id).
    """
    aid = arxiv_id_of(row.arxiv_id)
    title = row.title
    if stored is not None:
        title, stored_id = stored
        if stored_id is not None:
            aid = stored_id
    published = None
    if row.date:
        try:
            published = datetime.strptime(row.date[:10], "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            published = None
    return PaperRecord(
        source_format=PWC,
        locator=row.locator,
        title=title,
        arxiv_id=aid,
        abstract=row.abstract,
        authors=[_author(name) for name in row.authors],
        published=published,
    )


def _author(name: str) -> AuthorName:
    forenames, _, keyname = name.rpartition(" ")
    return AuthorName(keyname=keyname or forenames, forenames=forenames if keyname else "")
