"""Turn repository URLs found in a paper's text into Repository rows linked to the paper."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from papertrend.coderepos.extract import RepoRef, find_repositories
from papertrend.coderepos.models import PaperRepository, Repository
from papertrend.papers.models import Paper


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


def link_repositories(papers: Iterable[tuple[Paper, str, str, Sequence[str]]]) -> int:
    """Create repositories and paper links for ``(paper, abstract, comments, links)`` tuples.

    Papers must already be saved. Existing repositories and links are kept as they
    are (a repository keeps the case it was first written with). Returns the number
    of (paper, repository) pairs seen.
    """
    pairs: list[tuple[Paper, RepoRef, str]] = []
    for paper, abstract, comments, links in papers:
        for ref, where in refs_for(abstract, comments, links):
            pairs.append((paper, ref, where))
    if not pairs:
        return 0
    refs = {ref.key: ref for _, ref, _ in pairs}
    Repository.objects.bulk_create(
        [Repository(host=r.host, owner=r.owner, name=r.name, key=key) for key, r in refs.items()],
        ignore_conflicts=True,
        batch_size=1000,
    )
    ids = dict(Repository.objects.filter(key__in=list(refs)).values_list("key", "id"))
    PaperRepository.objects.bulk_create(
        [PaperRepository(paper=p, repository_id=ids[ref.key], found_in=w) for p, ref, w in pairs],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return len(pairs)
