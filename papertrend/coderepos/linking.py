"""Turn repository URLs into Repository rows linked to papers, each link with its source.

Sources (``PaperRepository.found_in``): a paper's abstract or comments, links in its
arXiv record, a trending page, a Papers with Code dump (``coderepos.pwc``), a user.
A link is made whenever a source names a repository, whether the paper is new or
already stored; an existing link keeps its first source, and gains the official
flag and framework when a later source (Papers with Code) states them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from papertrend.coderepos.extract import RepoRef, find_repositories
from papertrend.coderepos.models import PaperRepository, Repository
from papertrend.papers.models import Paper


@dataclass(frozen=True)
class LinkRequest:
    """One (paper, repository) link to make: ``found_in`` is a ``PaperRepository.FOUND_IN``
    value; ``is_official``/``framework`` are None when the source does not say."""

    paper_id: int
    ref: RepoRef
    found_in: str
    is_official: bool | None = None
    framework: str | None = None


def refs_for(abstract: str, comments: str, links: Sequence[str]) -> list[tuple[RepoRef, str]]:
    """Repositories named in a paper, each with where it was found (abstract, comments, link).

    The first place a repository appears wins; order follows the text.
    """
    found: dict[str, tuple[RepoRef, str]] = {}
    for text, where in (
        (abstract, PaperRepository.ABSTRACT),
        (comments, PaperRepository.COMMENTS),
        (" ".join(links), PaperRepository.SOURCE_LINK),
    ):
        for ref in find_repositories(text or ""):
            found.setdefault(ref.key, (ref, where))
    return list(found.values())


def refs_for_record(
    abstract: str, comments: str, links: Sequence[str], source_format: str
) -> list[tuple[RepoRef, str]]:
    """Like :func:`refs_for`, for one ingested record: every repository on a trending
    page is sourced "trending-page" (the page, not the paper's own text, names it)."""
    if not links and "git" not in abstract and "git" not in comments:
        return []  # fast path: nothing to extract (the bulk of a snapshot)
    refs = refs_for(abstract, comments, links)
    if source_format == "trending-page":
        return [(ref, PaperRepository.TRENDING) for ref, _ in refs]
    return refs


def link_repositories(papers: Iterable[tuple[Paper, str, str, Sequence[str]]]) -> int:
    """Create repositories and paper links for ``(paper, abstract, comments, links)`` tuples.

    Papers must already be saved. Returns the number of (paper, repository) pairs seen.
    """
    requests = [
        LinkRequest(paper.pk, ref, where)
        for paper, abstract, comments, links in papers
        for ref, where in refs_for(abstract, comments, links)
    ]
    return link_refs(requests)


def link_refs(requests: Sequence[LinkRequest]) -> int:
    """Create the repositories and links ``requests`` name; returns how many were given.

    A repository keeps the case it was first written with. A new link gets its
    request's ``is_official`` or, when that is None, the source's default
    (``PaperRepository.default_official``). An existing link keeps its source; an
    explicit ``is_official`` or non-empty ``framework`` in a request overwrites its
    stored values (Papers with Code's flag is better evidence than our default).
    """
    if not requests:
        return 0
    refs = {r.ref.key: r.ref for r in requests}
    Repository.objects.bulk_create(
        [Repository(host=r.host, owner=r.owner, name=r.name, key=key) for key, r in refs.items()],
        ignore_conflicts=True,
        batch_size=1000,
    )
    ids = dict(Repository.objects.filter(key__in=list(refs)).values_list("key", "id"))
    PaperRepository.objects.bulk_create(
        [
            PaperRepository(
                paper_id=r.paper_id,
                repository_id=ids[r.ref.key],
                found_in=r.found_in,
                is_official=(
                    r.is_official
                    if r.is_official is not None
                    else PaperRepository.default_official(r.found_in)
                ),
                framework=r.framework or "",
            )
            for r in requests
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    _apply_flags([r for r in requests if r.is_official is not None or r.framework], ids)
    return len(requests)


def _apply_flags(requests: Sequence[LinkRequest], ids: dict[str, int]) -> None:
    """Write stated official flags and frameworks onto links that already existed."""
    if not requests:
        return
    wanted = {(r.paper_id, ids[r.ref.key]): r for r in requests}
    links = PaperRepository.objects.filter(
        paper_id__in={p for p, _ in wanted}, repository_id__in={i for _, i in wanted}
    )
    changed = []
    for link in links:
        request = wanted.get((link.paper_id, link.repository_id))
        if request is None:
            continue
        official = link.is_official if request.is_official is None else request.is_official
        framework = request.framework or link.framework
        if (official, framework) != (link.is_official, link.framework):
            link.is_official, link.framework = official, framework
            changed.append(link)
    PaperRepository.objects.bulk_update(changed, ["is_official", "framework"], batch_size=1000)
