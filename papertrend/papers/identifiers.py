"""arXiv identifiers: parsing, normalization and URLs.

Two schemes exist (https://info.arxiv.org/help/arxiv_identifier.html):

* new style since April 2007: ``YYMM.NNNN`` (to 1412) or ``YYMM.NNNNN`` (from 1501),
  optionally ``vN``;
* old style before that: ``archive[.SUBJ]/YYMMNNN`` such as ``hep-th/9901001`` or
  ``math.GT/0309136`` (the subject class is not part of the identity and is dropped).

A paper is keyed by its versionless identifier; the version is separate.

:func:`parse` is the one reader of what people paste (``/submit``, the search
box, the API, ``harvest --id``) and of the ids in harvested records: bare ids,
``arXiv:`` ids, OAI ids, arXiv DOIs and every arxiv.org page URL form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

NEW_STYLE = re.compile(r"^(?P<yymm>\d{4})\.(?P<num>\d{4,5})(?:v(?P<version>\d+))?$")
OLD_STYLE = re.compile(
    r"^(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.[A-Za-z][A-Za-z-]{1,15})?/(?P<yymm>\d{4})(?P<num>\d{3})"
    r"(?:v(?P<version>\d+))?$"
)
# An identifier at the start of a URL path's tail, followed by what may follow it
# there: "/", ".pdf", or (HTML pages) a page inside the paper such as "/S3" or "/x1.png".
_ID_IN_PATH = re.compile(
    r"^(?P<id>\d{4}\.\d{4,5}(?:v\d+)?"
    r"|[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z][A-Za-z-]{1,15})?/\d{7}(?:v\d+)?)"
    r"(?P<rest>.*)$",
    re.DOTALL,
)
# Prefixes of a bare identifier: "arXiv:" (any case, a space after the colon),
# OAI-PMH ids, and arXiv's DOIs (https://info.arxiv.org/help/doi.html).
_PREFIXES = re.compile(
    r"^(?:arxiv:\s*|oai:arxiv\.org:|oai:arxiv:|(?:doi:\s*)?10\.48550/arxiv\.)",
    re.IGNORECASE,
)
# arxiv.org hosts that serve a paper's pages (browse. and export. mirror arxiv.org).
_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org", "browse.arxiv.org"})
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
# The arxiv.org pages of one paper: abstract, PDF, HTML, formats, PostScript, source.
_PAGES = frozenset({"abs", "pdf", "html", "format", "ps", "src", "e-print"})
# Characters people paste around a link: <...>, quotes, brackets, a closing period.
_WRAPPING = "<>\"'()[]{}.,;"


class InvalidArxivId(ValueError):
    """The string is not an arXiv identifier in either scheme."""


@dataclass(frozen=True)
class ArxivId:
    """A parsed identifier: ``base`` is versionless, ``version`` is None when not given."""

    base: str
    version: int | None = None

    @property
    def is_old_style(self) -> bool:
        return "/" in self.base

    def __str__(self) -> str:
        return self.base if self.version is None else f"{self.base}v{self.version}"


def parse(raw: str) -> ArxivId:
    """Parse an identifier, a versioned identifier, or a link to one of its pages.

    Accepts, with or without a version (``v2``):

    * bare ids: ``2101.00001``, ``hep-th/9901001``, ``math.GT/0309136`` (the
      subject class is dropped);
    * prefixed ids: ``arXiv:2101.00001``, ``ARXIV: astro-ph/0112020``,
      ``oai:arXiv.org:hep-th/9901001``, the DOI ``10.48550/arXiv.2101.00001``;
    * URLs, ``http`` or ``https`` or no scheme, on ``arxiv.org``, ``www.``,
      ``export.`` or ``browse.arxiv.org``, of the ``abs``, ``pdf``, ``html``,
      ``format``, ``ps``, ``src`` pages: ``https://arxiv.org/abs/arXiv:astro-ph/0112020``,
      ``https://arxiv.org/abs/2101.00001?context=cs``,
      ``https://arxiv.org/pdf/2101.00001v2.pdf``, ``arxiv.org/html/2101.00001v2/#S3``,
      trailing slashes, queries and fragments ignored; and ``https://doi.org/`` DOIs.

    Surrounding whitespace, angle brackets, quotes and a closing period are ignored.

    Raises:
        InvalidArxivId: anything else, including impossible months (``0713.0001``)
            and links to other sites.
    """
    text = raw.strip().strip(_WRAPPING).strip()
    candidate = _from_url(text) if _looks_like_url(text) else _PREFIXES.sub("", text)
    parsed = _parse_bare(candidate) if candidate is not None else None
    if parsed is None:
        raise InvalidArxivId(f"not an arXiv identifier: {raw!r}")
    return parsed


def _looks_like_url(text: str) -> bool:
    lowered = text.lower()
    return "://" in lowered or lowered.split("/", 1)[0] in _HOSTS | _DOI_HOSTS


def _from_url(text: str) -> str | None:
    """The identifier part of an arxiv.org (or doi.org) URL, or None for other URLs."""
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:  # a malformed port or IPv6 literal
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    path = unquote(parts.path)
    if host in _DOI_HOSTS:
        doi = path.lstrip("/")
        return _PREFIXES.sub("", doi) if _PREFIXES.match(doi) else None
    if host not in _HOSTS:
        return None
    page, _, tail = path.lstrip("/").partition("/")
    if page.lower() not in _PAGES:
        return None
    tail = re.sub(r"^arxiv:", "", tail, flags=re.IGNORECASE)
    match = _ID_IN_PATH.match(tail)
    if match is None:
        return None
    rest = match["rest"]
    # After the id: nothing, "/", ".pdf" (PDF links), or a page inside an HTML paper.
    if re.fullmatch(r"/?|\.pdf/?", rest, flags=re.IGNORECASE) or (
        page.lower() == "html" and rest.startswith("/")
    ):
        return match["id"]
    return None


def _parse_bare(text: str) -> ArxivId | None:
    """An identifier with no prefix (a trailing ``.pdf`` or ``/`` allowed), or None."""
    text = re.sub(r"\.pdf$", "", text, flags=re.IGNORECASE).strip("/")
    match = NEW_STYLE.match(text)
    if match:
        yymm = match["yymm"]
        num = match["num"]
        # Five-digit numbers started in January 2015; four before.
        if not 1 <= int(yymm[2:]) <= 12 or (len(num) == 5) != (yymm >= "1501"):
            return None
        version = int(match["version"]) if match["version"] else None
        return ArxivId(f"{yymm}.{num}", version)
    match = OLD_STYLE.match(text)
    if match:
        if not 1 <= int(match["yymm"][2:]) <= 12:
            return None
        version = int(match["version"]) if match["version"] else None
        return ArxivId(f"{match['archive']}/{match['yymm']}{match['num']}", version)
    return None


def normalize(raw: str) -> str:
    """Return the versionless identifier of ``raw`` (see :func:`parse`).

    Raises:
        InvalidArxivId: ``raw`` is not an arXiv identifier.
    """
    return parse(raw).base


def is_valid(raw: str) -> bool:
    """True when :func:`parse` accepts ``raw``."""
    try:
        parse(raw)
    except InvalidArxivId:
        return False
    return True


def abs_url(arxiv_id: str, version: int | None = None) -> str:
    """The arxiv.org abstract page URL."""
    suffix = f"v{version}" if version else ""
    return f"https://arxiv.org/abs/{arxiv_id}{suffix}"


def pdf_url(arxiv_id: str, version: int | None = None) -> str:
    """The arxiv.org PDF URL."""
    suffix = f"v{version}" if version else ""
    return f"https://arxiv.org/pdf/{arxiv_id}{suffix}"
