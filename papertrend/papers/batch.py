"""One ingest batch: load the papers a batch touches, merge records, write the changes.

Used only by ``papers.ingest``; split out to keep each module to one job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Q
from django.utils import timezone

from papertrend.coderepos.extract import RepoRef
from papertrend.coderepos.linking import LinkRequest, link_refs, refs_for_record
from papertrend.papers.bulk import insert_rows
from papertrend.papers.merge import TEXT_FIELDS, PaperState, VersionState, merge_record
from papertrend.papers.models import Paper, PaperCategory, PaperSource, Version
from papertrend.papers.records import PaperRecord
from papertrend.papers.text import title_key
from papertrend.search.models import enqueue

Outcome = Literal["new", "updated", "unchanged"]

# Paper columns the merge may change, written back with bulk_update.
STORED_FIELDS = (
    *TEXT_FIELDS,
    "authors",
    "categories",
    "primary_category",
    "latest_version",
    "published",
    "updated",
    "announced",
    "withdrawn",
)
# Every column of a new paper row (``insert_rows`` applies no model defaults).
INSERT_COLUMNS = (
    *STORED_FIELDS,
    "key",
    "arxiv_id",
    "title_key",
    "feed_day",
    "hidden",
    "created_at",
    "modified_at",
)


@dataclass
class Entry:
    """A paper being merged: the stored row (None when new) and its in-memory state."""

    key: str
    arxiv_id: str | None
    state: PaperState
    paper: Paper | None = None
    dirty: bool = False
    counted: bool = False
    old_keys: list[str] = field(default_factory=list)
    absorbed: list[Entry] = field(default_factory=list)
    sources: set[tuple[str, str]] = field(default_factory=set)
    stored_sources: set[tuple[str, str]] = field(default_factory=set)
    stored_versions: dict[int, VersionState] = field(default_factory=dict)
    categories_before: list[str] = field(default_factory=list)
    # Repositories the batch's records name, with their source: linked whether or not
    # the paper changed (a trending page can name code for a paper stored unchanged).
    refs: dict[str, tuple[RepoRef, str]] = field(default_factory=dict)


def _state_from_paper(paper: Paper, versions: list[Version]) -> PaperState:
    fields: dict[str, Any] = {name: getattr(paper, name) for name in STORED_FIELDS}
    return PaperState(
        fields=fields, versions={v.number: VersionState(v.submitted, v.size) for v in versions}
    )


class BatchWriter:
    """Merges a batch of records into the papers they name, then writes with bulk queries."""

    def __init__(self, records: list[PaperRecord]) -> None:
        self._title_keys = {id(r): title_key(r.title) for r in records}
        arxiv_ids = {r.arxiv_id for r in records if r.arxiv_id}
        keys = set(self._title_keys.values())
        papers = list(Paper.objects.filter(Q(arxiv_id__in=arxiv_ids) | Q(title_key__in=keys)))
        versions: dict[int, list[Version]] = {}
        for version in Version.objects.filter(paper__in=papers):
            versions.setdefault(version.paper_id, []).append(version)
        sources: dict[int, set[tuple[str, str]]] = {}
        for paper_id, fmt, origin in PaperSource.objects.filter(paper__in=papers).values_list(
            "paper_id", "source_format", "origin"
        ):
            sources.setdefault(paper_id, set()).add((fmt, origin))
        self.entries: list[Entry] = []
        self.by_arxiv: dict[str, Entry] = {}
        self.by_title_only: dict[str, Entry] = {}
        self.by_title_arxiv: dict[str, Entry] = {}
        self._regrouped = False
        for paper in papers:
            entry = Entry(
                key=paper.key,
                arxiv_id=paper.arxiv_id,
                state=_state_from_paper(paper, versions.get(paper.pk, [])),
                paper=paper,
                stored_sources=sources.get(paper.pk, set()),
                stored_versions={
                    v.number: VersionState(v.submitted, v.size) for v in versions.get(paper.pk, [])
                },
                categories_before=list(paper.categories),
            )
            self._register(entry, paper.title_key)

    def _register(self, entry: Entry, tkey: str) -> None:
        self.entries.append(entry)
        if entry.arxiv_id:
            self.by_arxiv[entry.arxiv_id] = entry
            self.by_title_arxiv.setdefault(tkey, entry)
        else:
            self.by_title_only.setdefault(tkey, entry)

    def _target(self, record: PaperRecord) -> Entry:
        tkey = self._title_keys[id(record)]
        aid = record.arxiv_id
        if aid:
            entry = self.by_arxiv.get(aid)
            title_only = self.by_title_only.pop(tkey, None)
            if entry is None and title_only is not None:
                # A paper first seen without its id (trending page) now has one.
                title_only.old_keys.append(title_only.key)
                title_only.key = title_only.arxiv_id = aid
                title_only.dirty = self._regrouped = True
                self.by_arxiv[aid] = title_only
                self.by_title_arxiv.setdefault(tkey, title_only)
                return title_only
            if entry is not None and title_only is not None and title_only is not entry:
                entry.absorbed.append(title_only)
                entry.dirty = self._regrouped = True
            if entry is None:
                entry = Entry(key=aid, arxiv_id=aid, state=PaperState(fields={}))
                self._register(entry, tkey)
            return entry
        entry = self.by_title_arxiv.get(tkey) or self.by_title_only.get(tkey)
        if entry is None:
            entry = Entry(key=tkey, arxiv_id=None, state=PaperState(fields={}))
            self._register(entry, tkey)
        return entry

    def merge(self, record: PaperRecord) -> Outcome:
        """Fold one record into its paper; say whether that made it new, updated or unchanged."""
        self._regrouped = False
        entry = self._target(record)
        changed = merge_record(entry.state, record)
        entry.dirty |= changed
        entry.sources.add((record.source_format, record.origin))
        for ref, where in refs_for_record(
            record.abstract, record.comments, record.links, record.source_format
        ):
            entry.refs.setdefault(ref.key, (ref, where))
        if entry.paper is None and not entry.counted:
            entry.counted = True
            return "new"
        return "updated" if changed or self._regrouped else "unchanged"

    def write(self) -> None:
        """Write new and changed papers, versions, categories, sources and code links."""
        now = timezone.now()
        new = [e for e in self.entries if e.paper is None]
        changed = [e for e in self.entries if e.paper is not None and e.dirty]
        for entry in new:
            entry.paper = Paper(key=entry.key, arxiv_id=entry.arxiv_id, created_at=now)
            entry.paper.modified_at = now
            self._fill(entry.paper, entry)
        self._insert_papers([e.paper for e in new if e.paper is not None])
        for entry in changed:
            assert entry.paper is not None
            self._fill(entry.paper, entry)
            entry.paper.modified_at = now
        Paper.objects.bulk_update(
            [e.paper for e in changed if e.paper is not None],
            [*STORED_FIELDS, "key", "arxiv_id", "title_key", "feed_day", "modified_at"],
            batch_size=500,
        )
        touched = new + changed
        self._absorb(touched)
        self._write_versions(touched)
        self._write_categories(touched)
        self._write_sources()
        link_refs(
            [
                LinkRequest(e.paper.pk, ref, where)
                for e in self.entries
                if e.paper is not None and e.paper.pk is not None
                for ref, where in e.refs.values()
            ]
        )
        keys = [e.key for e in touched]
        keys += [k for e in touched for k in e.old_keys]
        keys += [a.key for e in touched for a in e.absorbed]
        enqueue(keys)

    @staticmethod
    def _insert_papers(papers: list[Paper]) -> None:
        """INSERT new papers in one statement batch, then read back their ids by key."""
        insert_rows(
            Paper,
            INSERT_COLUMNS,
            ([getattr(paper, name) for name in INSERT_COLUMNS] for paper in papers),
        )
        ids = dict(Paper.objects.filter(key__in=[p.key for p in papers]).values_list("key", "id"))
        for paper in papers:
            paper.pk = ids[paper.key]
            paper._state.adding = False

    @staticmethod
    def _fill(paper: Paper, entry: Entry) -> None:
        fields = entry.state.fields
        for name in STORED_FIELDS:
            if name in fields and fields[name] is not None:
                setattr(paper, name, fields[name])
        paper.key = entry.key
        paper.arxiv_id = entry.arxiv_id
        paper.title_key = title_key(paper.title)  # cached: the batch computed it already
        paper.feed_day = paper.default_feed_day()

    def _absorb(self, entries: list[Entry]) -> None:
        """Move sources and code links of title-only duplicates onto the arXiv paper; drop them."""
        from papertrend.coderepos.models import PaperRepository

        for entry in entries:
            for other in entry.absorbed:
                for key, ref in other.refs.items():
                    entry.refs.setdefault(key, ref)
                if other.paper is None or other.paper.pk is None:
                    continue
                entry.sources |= other.stored_sources | other.sources
                links = PaperRepository.objects.filter(paper=other.paper)
                PaperRepository.objects.bulk_create(
                    [
                        PaperRepository(
                            paper=entry.paper,
                            repository_id=link.repository_id,
                            found_in=link.found_in,
                            is_official=link.is_official,
                            framework=link.framework,
                        )
                        for link in links
                    ],
                    ignore_conflicts=True,
                )
                other.paper.delete()
                other.paper = None

    def _write_versions(self, entries: list[Entry]) -> None:
        """Insert versions the database lacks; update those whose date or size was filled in."""
        create: list[tuple[int, int, Any, str]] = []
        changed: dict[tuple[int, int], VersionState] = {}
        for entry in entries:
            assert entry.paper is not None
            for number, state in entry.state.versions.items():
                stored = entry.stored_versions.get(number)
                if stored is None:
                    create.append((entry.paper.pk, number, state.submitted, state.size))
                elif (stored.submitted, stored.size) != (state.submitted, state.size):
                    changed[(entry.paper.pk, number)] = state
        insert_rows(Version, ("paper", "number", "submitted", "size"), create)
        if changed:
            rows = Version.objects.filter(paper_id__in={pk for pk, _ in changed})
            update = [row for row in rows if (row.paper_id, row.number) in changed]
            for row in update:
                state = changed[(row.paper_id, row.number)]
                row.submitted, row.size = state.submitted, state.size
            Version.objects.bulk_update(update, ["submitted", "size"], batch_size=1000)

    def _write_categories(self, entries: list[Entry]) -> None:
        """Replace the category rows of papers whose category list changed."""
        stale = [
            e
            for e in entries
            if e.paper is not None and e.categories_before != e.state.fields.get("categories", [])
        ]
        existing = [e.paper for e in stale if e.stored_versions or e.categories_before]
        if existing:
            PaperCategory.objects.filter(paper__in=existing).delete()
        rows = []
        for entry in stale:
            assert entry.paper is not None
            primary = entry.state.fields.get("primary_category", "")
            for code in entry.state.fields.get("categories", []):
                rows.append((entry.paper.pk, code, code == primary))
        insert_rows(PaperCategory, ("paper", "category", "is_primary"), rows)

    def _write_sources(self) -> None:
        now = timezone.now()
        rows = [
            (entry.paper.pk, fmt, origin, now)
            for entry in self.entries
            if entry.paper is not None and entry.paper.pk is not None
            for fmt, origin in entry.sources - entry.stored_sources
        ]
        insert_rows(
            PaperSource,
            ("paper", "source_format", "origin", "first_seen"),
            rows,
            ignore_conflicts=True,
        )
