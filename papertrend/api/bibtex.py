"""BibTeX entries for papers (format: https://www.bibtex.org/Format/, the BibTeX and
biblatex manuals; arXiv fields as in https://arxiv.org/help/hypertex/bibstyles).

Decisions:

* ``@article`` with ``journal = {<journal_ref>}`` when arXiv has a journal reference
  (so styles print the publication), else ``@misc``; both carry ``eprint``,
  ``archivePrefix = {arXiv}``, ``primaryClass``, ``doi`` and ``url`` (the arXiv
  abstract page, or this site's page for a paper without an arXiv id).
* Titles and names stay TeX, as arXiv gives them (accents such as ``Bal\\'azs`` and
  math such as ``$O(n^2)$`` keep working); non-ASCII text stays UTF-8, which biber
  and LaTeX since 2018 read natively. The TeX is untrusted, so :func:`tex_field`
  makes it safe: bare ``% & #`` are escaped, ``_`` and ``^`` outside math are
  escaped, an unmatched ``$`` becomes ``\\$``, and braces are balanced the way
  BibTeX counts them (literally, backslash or not): an unmatched brace becomes
  ``\\textbraceleft{}``/``\\textbraceright{}``; a backslash ending the text becomes
  ``\\textbackslash{}`` (``\\ `` stays a control space). ``~`` stays a tie, as everywhere
  on this site (``tex_to_text``).
* Title words with a capital after their first letter (``BERT``, ``ImageNet``,
  ``GPT-4``) are wrapped in braces so that sentence-casing styles keep them.
* ``year``/``month`` are v1's submission date, else (an arXiv paper without one)
  the day arXiv listed it. A paper known only by title (from a trending page) has
  ``year = {unknown}`` and no month: the day a trending page showed it says
  nothing about when it was written (such pages list papers years old).
* Keys are ``<Keyname><year><FirstTitleWord>`` in ASCII letters and digits (no year
  when it is unknown), made unique within one export by suffixes ``b``, ``c``, ….
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date

from django.conf import settings

from papertrend.papers.models import Paper
from papertrend.papers.text import tex_to_text

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# C0/C1 controls and lone surrogates: never text, and some tools choke on them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_WHITESPACE = re.compile(r"\s+")
_STOPWORDS = frozenset(
    ("a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "by", "from", "at", "is")
)
_WORD = re.compile(r"[\w-]+")
_UNSAFE_VERBATIM = re.compile(r"[\s{}\\%#\"]")


def _plain(s: str) -> str:
    return _CONTROL.sub("", _WHITESPACE.sub(" ", s)).strip()


def _escape_unmatched_dollars(s: str) -> str:
    """Escape the last bare ``$`` when the bare ones are odd in number (unclosed math)."""
    bare = [m.start() for m in re.finditer(r"\$", s) if not _escaped(s, m.start())]
    if len(bare) % 2 == 0:
        return s
    last = bare[-1]
    return s[:last] + "\\$" + s[last + 1 :]


def _escaped(s: str, index: int) -> bool:
    """True when the character at ``index`` follows an odd run of backslashes."""
    run = 0
    while index - run - 1 >= 0 and s[index - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _tokens(s: str) -> Iterator[str]:
    """Split TeX into control sequences (``\\alpha``, ``\\%``, ``\\ ``) and characters.

    Only a backslash ending the text stands alone (it escapes nothing).
    """
    i = 0
    while i < len(s):
        if s[i] != "\\":
            yield s[i]
            i += 1
            continue
        j = i + 1
        while j < len(s) and s[j].isascii() and s[j].isalpha():
            j += 1
        if j == i + 1 and j < len(s):
            j += 1  # a control symbol: \% \{ \' \\ or a control space
        yield s[i:j]
        i = j


def _balance(tokens: list[str]) -> list[str]:
    """Replace tokens holding a brace BibTeX would find unmatched (it counts ``\\{`` too)."""
    stack: list[int] = []
    unmatched: set[int] = set()
    for index, token in enumerate(tokens):
        if token.endswith("{"):
            stack.append(index)
        elif token.endswith("}"):
            if stack:
                stack.pop()
            else:
                unmatched.add(index)
    unmatched.update(stack)
    return [
        ("\\textbraceleft{}" if tok.endswith("{") else "\\textbraceright{}")
        if i in unmatched
        else tok
        for i, tok in enumerate(tokens)
    ]


def _protect(match: re.Match[str]) -> str:
    """Brace a word with a capital after its first character (``BERT``, ``3D``)."""
    word = match[0]
    return "{" + word + "}" if any(ch.isupper() for ch in word[1:]) else word


def _escape_piece(piece: str, in_math: bool) -> str:
    """One token made safe: a lone backslash, bare ``% & #``, and ``_ ^`` in text."""
    if piece == "\\":
        return "\\textbackslash{}"
    if piece in {"%", "&", "#"}:
        return "\\" + piece
    if not in_math and piece == "_":
        return "\\_"
    if not in_math and piece == "^":
        return "\\^{}"
    return piece


def tex_field(value: str, *, protect_case: bool = False) -> str:
    """Untrusted TeX source as a safe BibTeX field value (without the outer braces).

    The result has balanced braces (as BibTeX counts them), no bare ``% & #``, no
    ``_``/``^`` outside math and no unclosed ``$``; see the module docstring.
    ``protect_case`` braces words with inner capitals. Never raises.
    """
    text = _escape_unmatched_dollars(_plain(value))
    pieces = _tokens(text)
    out: list[str] = []
    in_math = False
    depth = 0
    segment: list[str] = []  # plain text at brace depth 0 outside math, for case protection

    def flush() -> None:
        joined = "".join(segment)
        out.append(_WORD.sub(_protect, joined) if protect_case else joined)
        segment.clear()

    for raw in _balance(list(pieces)):
        if raw == "$":
            in_math = not in_math
        piece = _escape_piece(raw, in_math)
        depth += {"{": 1, "}": -1}.get(piece, 0)
        if depth == 0 and not in_math and len(piece) == 1 and piece not in "${}":
            segment.append(piece)
        else:
            flush()
            out.append(piece)
    flush()
    return "".join(out)


def _verbatim(value: str) -> str:
    """A DOI or URL: no whitespace, braces, backslashes, ``%``, ``#`` or quotes at all."""
    return _UNSAFE_VERBATIM.sub("", _plain(value))


def _name_part(part: str) -> str:
    """One part of a name; braced when BibTeX would otherwise split it (commas, ``and``)."""
    field = tex_field(part)
    if "," in field or re.search(r"\band\b", field, re.IGNORECASE):
        return "{" + field + "}"
    return field


def author_field(paper: Paper) -> str:
    """``Keyname, Forenames and …`` (``Keyname, Suffix, Forenames`` with a suffix).

    A name with no forenames (a collaboration) is braced whole so BibTeX keeps it as
    one family name.
    """
    names = []
    for author in paper.authors:
        keyname = _name_part(str(author.get("keyname") or ""))
        forenames = _name_part(str(author.get("forenames") or ""))
        suffix = _name_part(str(author.get("suffix") or ""))
        if not keyname and not forenames:
            continue
        if not forenames:
            names.append("{" + keyname + "}")
        elif suffix:
            names.append(f"{keyname}, {suffix}, {forenames}")
        else:
            names.append(f"{keyname}, {forenames}")
    return " and ".join(names)


def _ascii_word(tex: str) -> str:
    text = unicodedata.normalize("NFKD", tex_to_text(tex))
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def paper_date(paper: Paper) -> date | None:
    """The date a citation gives: v1 submitted, else the day arXiv listed an arXiv paper.

    None for a paper without an arXiv id and without a submission date (known only by
    title from a trending page): its listing day is not when it was written.
    """
    if paper.published is not None:
        return paper.published.date()
    return paper.feed_day if paper.arxiv_id else None


def base_key(paper: Paper) -> str:
    """``Keyname`` + year (when known) + first significant title word, ASCII only."""
    first = paper.authors[0] if paper.authors else {}
    name = _ascii_word(str(first.get("keyname") or "")) or "Anonymous"
    day = paper_date(paper)
    year = str(day.year) if day else ""
    words = [_ascii_word(w) for w in tex_to_text(paper.title).split()]
    significant = [w for w in words if w and w.lower() not in _STOPWORDS] or [w for w in words if w]
    word = significant[0].capitalize() if significant else ""
    return f"{name[:1].upper()}{name[1:]}{year}{word}"


_LETTERS = "bcdefghijklmnopqrstuvwxyz"


def _suffix(n: int) -> str:
    """The ``n``-th key suffix: ``""``, then ``b`` … ``z``, then ``27``, ``28``, …."""
    if n == 0:
        return ""
    return _LETTERS[n - 1] if n <= len(_LETTERS) else str(n + 1)


def _unique(key: str, used: set[str], tried: dict[str, int]) -> str:
    """``key`` with the first suffix not in ``used`` (added to it).

    ``tried[key]`` is where the search for ``key`` resumes: a month of papers sharing
    one key (no authors, one title word) cost a quadratic scan of the suffixes (220 s
    for 25,000 papers, docs/benchmarks.md).
    """
    n = tried.get(key, 0)
    while key + _suffix(n) in used:
        n += 1
    tried[key] = n + 1
    used.add(key + _suffix(n))
    return key + _suffix(n)


def _fields(paper: Paper) -> list[tuple[str, str]]:
    fields = [("title", tex_field(paper.title, protect_case=True))]
    authors = author_field(paper)
    if authors:
        fields.append(("author", authors))
    if paper.journal_ref:
        fields.append(("journal", tex_field(paper.journal_ref)))
    day = paper_date(paper)
    if day:
        fields += [("year", str(day.year)), ("month", _MONTHS[day.month - 1])]
    else:
        fields.append(("year", "unknown"))
    if paper.arxiv_id:
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", _verbatim(paper.primary_category)))
    if paper.doi:
        fields.append(("doi", _verbatim(paper.doi)))
    url = paper.abs_url or f"{settings.SITE_URL}{paper.get_absolute_url()}"
    fields.append(("url", _verbatim(url)))
    return fields


def paper_entry(paper: Paper, key: str | None = None) -> str:
    """One BibTeX entry (ends with a newline); ``key`` defaults to :func:`base_key`."""
    kind = "article" if paper.journal_ref else "misc"
    lines = [f"@{kind}{{{key or base_key(paper)},"]
    for name, value in _fields(paper):
        # Month macros (jan…dec) are written bare, as BibTeX and biblatex expect.
        lines.append(f"  {name} = {value}," if name == "month" else f"  {name} = {{{value}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def iter_entries(papers: Iterable[Paper]) -> Iterator[str]:
    """Entries of ``papers`` in order, with keys unique among them."""
    used: set[str] = set()
    tried: dict[str, int] = {}
    for paper in papers:
        yield paper_entry(paper, _unique(base_key(paper), used, tried))


def entries(papers: Iterable[Paper]) -> str:
    """All entries of ``papers``, separated by blank lines, keys unique among them."""
    return "\n".join(iter_entries(papers))
