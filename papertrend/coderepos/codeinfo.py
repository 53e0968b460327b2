"""What pages, feeds and the API show and filter about a paper's code.

* :func:`with_link_details` puts each link's source, official flag and framework on
  the repositories a page shows (``repo.link``).
* :func:`filter_code` restricts papers to those with code (``has_code``) or with
  the authors' own code (``official_code``): a visible repository whose link is
  official (Papers with Code's flag, else a repository the paper itself names).
* :func:`code_flags` reads both parameters from a query string.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypedDict, TypeVar

from django.db.models import Exists, F, Model, OuterRef, Prefetch, QuerySet

from papertrend.coderepos.models import PaperRepository, Repository
from papertrend.papers.models import Paper

_TRUE = frozenset({"1", "true", "on", "yes"})
M = TypeVar("M", bound=Model)


class CodeFlags(TypedDict):
    """The code filters of a request, as :func:`filter_code` takes them."""

    has_code: bool
    official_code: bool


def card_repositories() -> QuerySet[Repository]:
    """Repositories not hidden, each with its link's ``link_official`` (True, False or
    None) and ``link_framework`` (Papers with Code's value, "" when unknown).

    For ``Prefetch("repositories", queryset=...)``: Django's many-to-many prefetch
    joins the link table once and these columns ride on that join, so cards show the
    official flag at no extra query (tested on SQLite and PostgreSQL).
    """
    return Repository.objects.filter(hidden=False).annotate(
        link_official=F("paper_links__is_official"), link_framework=F("paper_links__framework")
    )


def visible_links() -> Prefetch:
    """Prefetch a paper's ``repository_links`` to repositories not hidden, with them,
    for :func:`linked_repositories` (one query for a page's papers)."""
    return Prefetch(
        "repository_links",
        queryset=PaperRepository.objects.filter(repository__hidden=False)
        .select_related("repository")
        .order_by("pk"),
    )


def linked_repositories(paper: Paper) -> list[Repository]:
    """The paper's repositories not hidden, in link order, each with ``.link`` (see
    :func:`with_link_details`): no query when :func:`visible_links` was prefetched."""
    cache = getattr(paper, "_prefetched_objects_cache", {})
    links: Iterable[PaperRepository] = cache.get("repository_links") or []
    if "repository_links" not in cache:
        links = PaperRepository.objects.filter(paper=paper, repository__hidden=False)
        links = links.select_related("repository").order_by("pk")
    shown = []
    for link in links:
        repository = link.repository
        if repository.hidden:
            continue
        repository.link = link  # type: ignore[attr-defined]
        shown.append(repository)
    return shown


def with_link_details(paper: Paper, repositories: Sequence[Repository]) -> list[Repository]:
    """``repositories`` (linked to ``paper``), each with ``.link``: its PaperRepository
    (``source``, ``is_official``, ``framework``, ``framework_name``). One query."""
    links = {
        link.repository_id: link
        for link in PaperRepository.objects.filter(
            paper=paper, repository__in=[r.pk for r in repositories]
        )
    }
    shown = list(repositories)
    for repository in shown:
        repository.link = links.get(repository.pk)  # type: ignore[attr-defined]
    return shown


def filter_code(
    papers: QuerySet[M], *, has_code: bool = False, official_code: bool = False, via: str = "pk"
) -> QuerySet[M]:
    """``papers`` narrowed to those with a visible linked repository (``has_code``) or
    with an official one (``official_code``, which implies ``has_code``).

    ``via`` names the paper's id on the queryset's model ("pk" for papers,
    "paper_id" for rows pointing at a paper, such as trending scores).
    """
    if not (has_code or official_code):
        return papers
    links = PaperRepository.objects.filter(
        paper=OuterRef(via), repository__hidden=False, repository__missing=False
    )
    if official_code:
        links = links.filter(is_official=True)
    return papers.filter(Exists(links))


def code_flags(query: Mapping[str, str]) -> CodeFlags:
    """``{"has_code": ..., "official_code": ...}`` from request parameters: true for
    "1", "true", "on", "yes" (any case); anything else, or absent, is false."""

    def flag(name: str) -> bool:
        return str(query.get(name) or "").strip().lower() in _TRUE

    return CodeFlags(has_code=flag("has_code"), official_code=flag("official_code"))


def code_query(flags: CodeFlags) -> str:
    """The true flags as a query-string prefix for page links: ``"has_code=1&"`` or ""."""
    return "".join(f"{name}=1&" for name, on in flags.items() if on)
