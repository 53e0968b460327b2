# ruff: noqa: SIM905 - word lists read best as words
"""Find GitHub and GitLab repository links in free text (abstracts, comments, pages).

Authors write links every way: with or without scheme or ``www.``, inside
``\\url{...}`` or ``\\href{...}{code}``, glued to TeX (``.../Cr-KD-NCD{here}.``),
followed by sentence punctuation, or pointing deep into a repository
(``/tree/master/sub``, ``/blob/...``, ``#readme``, ``?tab=...``). This module keeps
only links that name a repository: ``github.com/<owner>/<name>`` and
``gitlab.com/<namespace...>/<name>``. Pages that are not repositories
(``github.com/features``, ``github.com/orgs/x``, a user alone, ``x.github.io``
project sites) are not returned. A URL broken over two lines is not joined
(the second half cannot be told apart from ordinary text).

Name rules: GitHub owners are ``[A-Za-z0-9-]``, no leading hyphen, at most 39
characters; repository names ``[A-Za-z0-9._-]``, never "." or ".."
(https://docs.github.com/en/repositories/creating-and-managing-repositories/creating-a-new-repository).
GitLab namespaces are "/"-separated paths of ``[A-Za-z0-9_.-]``
(https://docs.gitlab.com/user/reserved_names/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["RepoRef", "find_repositories"]

GITHUB = "github.com"
GITLAB = "gitlab.com"


@dataclass(frozen=True)
class RepoRef:
    """A repository as written in the text: ``host`` is "github.com" or "gitlab.com".

    ``owner`` is the user or organisation (for GitLab the whole namespace path,
    e.g. "group/subgroup"); ``name`` the repository. Case is kept as written.
    """

    host: str
    owner: str
    name: str

    @property
    def url(self) -> str:
        """``https://<host>/<owner>/<name>``."""
        return f"https://{self.host}/{self.owner}/{self.name}"

    @property
    def key(self) -> str:
        """``<host>/<owner>/<name>`` lowercased: both hosts treat names case-insensitively."""
        return f"{self.host}/{self.owner}/{self.name}".lower()


# The host must start the token: "x.github.io", "gist.github.com" or "mygithub.com" never match.
# The path stops at whitespace and at characters no repository URL contains unescaped
# (quotes, brackets, braces, backslash, "#", "?"), which is where TeX and prose begin.
# "\_" is TeX for "_" and is kept.
_URL = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:www\.)?(?P<host>github\.com|gitlab\.com)"
    r"/(?P<path>(?:[^\s\"'`<>()\[\]{}\\#?|^]|\\_)*)",
    re.IGNORECASE,
)
_TRAILING = ".,;:!*"
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}")
_REPO_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_GITLAB_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}")

# First path segments that are GitHub pages, not users or organisations.
_GITHUB_RESERVED = frozenset(
    """about account apps blog codespaces collections contact copilot customer-stories
    dashboard discussions education enterprise events explore features git-guides issues
    join login logout marketplace new nonprofit notifications orgs organizations pricing
    pulls readme resources search security sessions settings site solutions sponsors
    stars team topics trending users watching""".split()
)
_GITLAB_RESERVED = frozenset(
    "- admin api dashboard explore groups help profile projects public search snippets"
    " users".split()
)
# GitLab pages inside a project, in URLs written without the "/-/" separator.
_GITLAB_ROUTES = frozenset(
    """blob commit commits compare issues jobs merge_requests pipelines raw releases tags
    tree wikis""".split()
)


def find_repositories(text: str) -> list[RepoRef]:
    """Every GitHub/GitLab repository linked in ``text``, in order of first mention.

    Duplicates (same :attr:`RepoRef.key`) are dropped, keeping the first
    spelling. Returns ``[]`` for text without repository links. Never raises.
    """
    found: dict[str, RepoRef] = {}
    for m in _URL.finditer(text or ""):
        host = m.group("host").lower()
        segments = [s for s in m.group("path").replace("\\_", "_").split("/")]
        ref = _github(segments) if host == GITHUB else _gitlab(segments)
        if ref is not None and ref.key not in found:
            found[ref.key] = ref
    return list(found.values())


def _clean_name(name: str) -> str:
    """A repository name without sentence punctuation after it or a ".git" suffix."""
    name = name.rstrip(_TRAILING)
    if name.lower().endswith(".git"):
        name = name[:-4].rstrip(_TRAILING)
    return name


def _valid_name(name: str) -> bool:
    return bool(_REPO_NAME.fullmatch(name)) and name not in (".", "..")


def _github(segments: list[str]) -> RepoRef | None:
    if len(segments) < 2:
        return None
    owner = segments[0]
    # The name is the last segment when nothing follows it, so punctuation can stick to it.
    name = _clean_name(segments[1])
    if owner.lower() in _GITHUB_RESERVED or not _GITHUB_OWNER.fullmatch(owner):
        return None
    if not _valid_name(name):
        return None
    return RepoRef(GITHUB, owner, name)


def _gitlab(segments: list[str]) -> RepoRef | None:
    path: list[str] = []
    for segment in segments:
        if segment == "-" or (len(path) >= 2 and segment in _GITLAB_ROUTES):
            break
        path.append(segment)
    while path and not path[-1].rstrip(_TRAILING):
        path.pop()  # "gitlab.com/group/project/" or a trailing "." segment
    if len(path) < 2:
        return None
    *namespace, name = path
    name = _clean_name(name)
    if namespace[0].lower() in _GITLAB_RESERVED or not _valid_name(name):
        return None
    if not all(_GITLAB_SEGMENT.fullmatch(part) for part in namespace):
        return None
    return RepoRef(GITLAB, "/".join(namespace), name)
