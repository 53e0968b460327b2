"""arXiv identifiers: parsing, normalization and URLs.

Two schemes exist (https://info.arxiv.org/help/arxiv_identifier.html):

* new style since April 2007: ``YYMM.NNNN`` (to 1412) or ``YYMM.NNNNN`` (from 1501),
  optionally ``vN``;
* old style before that: ``archive[.SUBJ]/YYMMNNN`` such as ``hep-th/9901001`` or
  ``math.GT/0309136`` (the subject class is not part of the identity and is dropped).

A paper is keyed by its versionless identifier; the version is separate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NEW_STYLE = re.compile(r"^(?P<yymm>\d{4})\.(?P<num>\d{4,5})(?:v(?P<version>\d+))?$")
OLD_STYLE = re.compile(
    r"^(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.[A-Za-z][A-Za-z-]{1,15})?/(?P<yymm>\d{4})(?P<num>\d{3})"
    r"(?:v(?P<version>\d+))?$"
)
_PREFIXES = re.compile(
    r"^(?:arxiv:|oai:arxiv\.org:|oai:arxiv:|"
    r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)",
    re.IGNORECASE,
)


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
    """Parse an identifier, a versioned identifier, or an arxiv.org abs/pdf URL.

    Accepts ``2101.00001``, ``2101.00001v2``, ``arXiv:2101.00001``,
    ``oai:arXiv.org:hep-th/9901001``, ``https://arxiv.org/abs/hep-th/9901001v3``,
    ``https://arxiv.org/pdf/2101.00001v1.pdf``, ``math.GT/0309136``.

    Raises:
        InvalidArxivId: anything else, including impossible months (``0713.0001``).
    """
    text = raw.strip()
    text = _PREFIXES.sub("", text)
    text = re.sub(r"\.pdf$", "", text, flags=re.IGNORECASE).strip("/")
    match = NEW_STYLE.match(text)
    if match:
        yymm = match["yymm"]
        num = match["num"]
        # Five-digit numbers started in January 2015; four before.
        if not 1 <= int(yymm[2:]) <= 12 or (len(num) == 5) != (yymm >= "1501"):
            raise InvalidArxivId(f"not an arXiv identifier: {raw!r}")
        version = int(match["version"]) if match["version"] else None
        return ArxivId(f"{yymm}.{num}", version)
    match = OLD_STYLE.match(text)
    if match:
        if not 1 <= int(match["yymm"][2:]) <= 12:
            raise InvalidArxivId(f"not an arXiv identifier: {raw!r}")
        version = int(match["version"]) if match["version"] else None
        return ArxivId(f"{match['archive']}/{match['yymm']}{match['num']}", version)
    raise InvalidArxivId(f"not an arXiv identifier: {raw!r}")


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
