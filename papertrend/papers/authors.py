"""Split arXiv author strings into :class:`AuthorName` parts.

arXiv keeps authors as one free-text line ("Authors:" in ``.abs`` files,
``<authors>`` in arXivRaw, ``authors`` in the Kaggle snapshot), written by the
submitter following https://info.arxiv.org/help/prep.html#author-names :
names separated by commas and/or "and", affiliations in parentheses after a
name, optionally numbered with the list at the end
("A. One (1), B. Two (2) ((1) MIT, (2) CERN)").

The rules here follow arXiv's own splitter (``arxiv.authors`` in
https://github.com/arXiv/arxiv-base) so that keynames agree with the Kaggle
``authors_parsed`` field: same separators, same surname particles, same
back-propagation of an affiliation to the preceding names that have none.
Differences: braces are respected (``{\\O}ystein``, ``{Smith, Jr.}`` never
split), and "for the X Collaboration" yields the collaboration as an author.

Every part stays TeX source; convert with :func:`papertrend.papers.text.tex_to_text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from papertrend.papers.records import AuthorName
from papertrend.papers.text import fold_whitespace

__all__ = ["AuthorName", "parse_name", "split_authors"]

# Surname particles that belong to the keyname ("van der Tak", "de Haro").
# The capitalised forms count too, as arXiv's list does ("Di Vecchia"), except
# for words that are common given names or surnames when capitalised.
_PARTICLES = frozenset(
    [
        "van",
        "der",
        "den",
        "de",
        "del",
        "della",
        "da",
        "di",
        "du",
        "dos",
        "das",
        "von",
        "vom",
        "ter",
        "ten",
        "zu",
        "la",
        "le",
        "mac",
    ]
)
_LOWERCASE_ONLY_PARTICLES = frozenset({"la", "le", "zu", "mac"})
_SUFFIX = re.compile(r"^(?:Jr|Sr|II|III|IV|V|SJ|S\.J)\.?$")
_COLLABORATION = re.compile(
    r"\b(?:collaborations?|collab\.|consortium|team|group|project|survey)\b", re.IGNORECASE
)
_ET_AL = re.compile(r"^et\.?\s*al\.?$|^others$", re.IGNORECASE)
# "for the ATLAS Collaboration", "on behalf of the CMS collaboration": the
# connective is dropped and the collaboration becomes an author of its own.
_FOR_THE = re.compile(r"(?:^|\s)(?:for|on\s+behalf\s+of)\s+(?:the\s+)?", re.IGNORECASE)
_FOR_THE_SPAN = re.compile(
    r"(?:^|\s)(?:for|on\s+behalf\s+of)\s[^,;:]*?\b(?:collaborations?|collab\.|consortium|team)\b",
    re.IGNORECASE,
)
_LEADING_AND = re.compile(r"^(?:(?:and|&)(?:\s+|$))+", re.IGNORECASE)
# Author separators: comma, semicolon, colon, "and", "&", with an optional comma before "and".
_SEPARATOR = re.compile(r"\s*(?:[,;:]\s*(?:(?:and|&)\s+)?|\s(?:and|&)\s+)", re.IGNORECASE)
# "J.P.Hague" -> "J. P. Hague"; a backslash before the dot is a TeX accent (\.{Z}).
_DOT_SPACE = re.compile(r"(?<!\\)\.(?=[A-Za-z])")
# Where a numbered affiliation list starts: "((1) MIT", ") (1) MIT", ") (1 MIT".
_ENUM_START = (
    re.compile(r"\(\s*(?=\(\s*(?:\d+|[a-z])\s*\))"),
    re.compile(r"(?<=\))\s*(?=\(\s*1\s*\)\s*[^\s,;()])"),
    re.compile(r"(?<=\))\s*\((?=\s*1\s+[^\s\d(),])"),
)
_ENUM_LABEL_PARENS = re.compile(r"\(\s*(\d+|[a-z])\s*\)\s*")
_ENUM_LABEL_BARE = re.compile(r"(?:^|(?<=[,;]))\s*(\d+)\s+(?=\D)")
_NUMBERED_REF = re.compile(r"^[\da-z]{1,3}(?:\s*(?:,|&|\band\b)\s*[\da-z]{1,3})*$", re.IGNORECASE)


@dataclass
class _Entry:
    """An author under construction: the raw name and the affiliation text seen so far."""

    name: str
    affiliation: str = ""
    collaboration: bool = False


def split_authors(s: str) -> list[AuthorName]:
    """Split one arXiv author line into authors, in order.

    ``s`` is the line as the source gives it (TeX source, possibly over several
    lines). Returns one :class:`AuthorName` per author; "et al." is dropped;
    affiliations are attached (numbered ones resolved against the trailing list)
    and copied back to preceding authors that have none, as arXiv does.
    Never raises: a malformed line degrades to fewer or rougher names.
    """
    line = fold_whitespace(s)
    if not line:
        return []
    masked = _mask_braces(line)
    authors_part, enumerated = _cut_enumerated(line, masked)
    entries = _scan(authors_part)
    for entry in entries:
        entry.affiliation = _resolve_affiliation(entry.affiliation, enumerated)
    _back_propagate(entries)
    return [
        AuthorName(keyname=e.name, affiliation=e.affiliation)
        if e.collaboration
        else _with_affiliation(parse_name(e.name), e.affiliation)
        for e in entries
    ]


def parse_name(s: str) -> AuthorName:
    """Split one "Forenames Keyname [Suffix]" name (TeX source) into its parts.

    The keyname is the last word plus any particles before it ("van der Tak");
    a name of one word, or a collaboration ("ATLAS Collaboration"), is all keyname.
    Initials run together get spaces ("J.P." -> "J. P."). Never raises.
    """
    name = fold_whitespace(s)
    if not name:
        return AuthorName(keyname="")
    if _COLLABORATION.search(_mask_braces(name)):
        return AuthorName(keyname=name)
    name = _insert_initial_spaces(name)
    words = _split_words(name)
    suffix = ""
    if len(words) >= 3 and _SUFFIX.match(words[-1]):
        suffix = words.pop()
    if len(words) == 1:
        return AuthorName(keyname=words[0], suffix=suffix)
    start = len(words) - 1
    while start > 1 and _is_particle(words[start - 1]):
        start -= 1
    return AuthorName(
        keyname=" ".join(words[start:]), forenames=" ".join(words[:start]), suffix=suffix
    )


def _is_particle(word: str) -> bool:
    lowered = word.lower()
    if lowered not in _PARTICLES:
        return False
    return word == lowered or lowered not in _LOWERCASE_ONLY_PARTICLES


def _with_affiliation(name: AuthorName, affiliation: str) -> AuthorName:
    if not affiliation:
        return name
    return AuthorName(name.keyname, name.forenames, name.suffix, affiliation)


def _mask_braces(s: str) -> str:
    """``s`` with every character inside {...} replaced by "_" (same length).

    Regular expressions then run on the mask, and their positions slice the
    original, so that nothing inside braces is ever taken for a separator.
    """
    out = []
    depth = 0
    for ch in s:
        if ch == "{":
            depth += 1
            out.append(ch)
        elif ch == "}" and depth:
            depth -= 1
            out.append(ch)
        else:
            out.append("_" if depth else ch)
    return "".join(out)


def _insert_initial_spaces(name: str) -> str:
    masked = _mask_braces(name)
    pieces = []
    last = 0
    for m in _DOT_SPACE.finditer(masked):
        pieces.append(name[last : m.end()])
        pieces.append(" ")
        last = m.end()
    pieces.append(name[last:])
    return "".join(pieces)


def _split_words(name: str) -> list[str]:
    masked = _mask_braces(name)
    return [name[m.start() : m.end()] for m in re.finditer(r"\S+", masked)]


def _cut_enumerated(line: str, masked: str) -> tuple[str, dict[str, str]]:
    """Separate a trailing numbered affiliation list; returns (authors part, label -> text)."""
    for pattern in _ENUM_START:
        m = pattern.search(masked)
        if m is None:
            continue
        body = line[m.end() :].strip()
        if pattern is not _ENUM_START[1] and body.endswith(")"):
            body = body[:-1]
        labels = _ENUM_LABEL_PARENS if pattern is not _ENUM_START[2] else _ENUM_LABEL_BARE
        return line[: m.start()], _parse_enumerated(body, labels)
    return line, {}


def _parse_enumerated(body: str, labels: re.Pattern[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    marks = list(labels.finditer(body))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        text = body[m.end() : end].strip().rstrip(".,; ").strip()
        if text:
            found[m.group(1)] = text
    return found


def _scan(line: str) -> list[_Entry]:
    """Walk the line: text outside parentheses holds names, a (...) group is an affiliation."""
    masked = _mask_braces(line)
    entries: list[_Entry] = []
    pos = 0
    while pos < len(line):
        open_at = masked.find("(", pos)
        text_end = open_at if open_at >= 0 else len(line)
        names, dropped_last = _names_in(line[pos:text_end], masked[pos:text_end])
        entries.extend(names)
        if open_at < 0:
            break
        close_at = _matching_paren(masked, open_at)
        group = line[open_at + 1 : close_at].strip()
        if dropped_last:
            # "J. Adams, et al. (KTeV Collaboration)": the group names the team, not Adams.
            if _COLLABORATION.search(group):
                team = _FOR_THE.sub("", group, count=1) if _FOR_THE.match(group) else group
                entries.append(_Entry(team, collaboration=True))
        elif entries and not entries[-1].affiliation:
            entries[-1].affiliation = group
        pos = close_at + 1
    return entries


def _matching_paren(masked: str, open_at: int) -> int:
    """Index of the ")" closing the "(" at ``open_at``; the end of the line if unbalanced."""
    depth = 0
    for i in range(open_at, len(masked)):
        if masked[i] == "(":
            depth += 1
        elif masked[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return len(masked)


def _names_in(text: str, masked: str) -> tuple[list[_Entry], bool]:
    """Names in a stretch of text between affiliation groups; and whether the last was dropped."""
    entries: list[_Entry] = []
    # "for the ATLAS and CMS Collaborations" is one author: hide its "and" from the splitter.
    hidden = _FOR_THE_SPAN.sub(lambda m: m.group(0).replace(" and ", " _n_ "), masked)
    last = 0
    pieces: list[tuple[str, str]] = []
    for m in _SEPARATOR.finditer(hidden):
        pieces.append((text[last : m.start()], masked[last : m.start()]))
        last = m.end()
    pieces.append((text[last:], masked[last:]))
    dropped_last = False
    for piece, piece_mask in pieces:
        for raw, is_collab in _split_for_the(piece, piece_mask):
            name = _LEADING_AND.sub("", raw.strip()).strip()
            if is_collab and name.startswith("the "):
                name = name[4:]
            if not name:
                continue
            dropped_last = bool(_ET_AL.match(name)) or not re.search(r"\w", name)
            if dropped_last:
                continue
            if _SUFFIX.match(name) and entries and not entries[-1].collaboration:
                # "James C. Lombardi, Jr." - the suffix was split off by the comma.
                entries[-1].name = f"{entries[-1].name} {name}"
                continue
            entries.append(_Entry(name, collaboration=is_collab))
    return entries, dropped_last


def _split_for_the(piece: str, masked: str) -> list[tuple[str, bool]]:
    """Split "A. Smith for the X Collaboration" into the person and the collaboration."""
    collab = _COLLABORATION.search(masked)
    if collab is None:
        return [(piece, False)]
    m = _FOR_THE.search(masked)
    if m is None or m.end() > collab.start():
        return [(piece, True)]
    return [(piece[: m.start()], False), (piece[m.end() :], True)]


def _resolve_affiliation(affiliation: str, enumerated: dict[str, str]) -> str:
    """Turn "1 and 2" into the texts of affiliations 1 and 2, when the line lists them."""
    if not enumerated or not _NUMBERED_REF.match(affiliation):
        return affiliation
    labels = re.split(r"\s*(?:,|&|\band\b)\s*", affiliation, flags=re.IGNORECASE)
    texts = [enumerated[label] for label in labels if label in enumerated]
    return "; ".join(texts) if len(texts) == len(labels) else affiliation


def _back_propagate(entries: list[_Entry]) -> None:
    """ "A, B (MIT)" means both are at MIT: copy an affiliation back to the names before it."""
    carried = ""
    for entry in reversed(entries):
        if entry.affiliation:
            carried = entry.affiliation
        elif carried and not entry.collaboration:
            entry.affiliation = carried
