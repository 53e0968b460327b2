"""Kaggle-format JSON lines, good and bad in many ways, for the bad-input tests and bench.

``good_row(n)`` is a well-formed record with a unique identifier. ``BAD_KINDS`` maps a
name to a function that turns such a row into the bytes of one bad line, and
``EXPECTED`` says what ingest must do with it: ``"skip"`` (the record is reported and not
loaded; the reason names ``field``) or ``"repair"`` (it loads, with the value fixed).
Used by ``tests/papers/test_ingest_bad_input.py`` and ``bench/ingest_bad_input_bench.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


def good_row(n: int) -> Row:
    """A well-formed Kaggle record; ``n`` (0..9,999,999) makes its id and title unique."""
    return {
        "id": f"{2101 + n // 99999:04d}.{n % 99999 + 1:05d}",
        "submitter": "Anna Balázs",
        "authors": "Anna Bal\\'azs and J. Smith",
        "title": f"Sparse attention for paper number {n}",
        "comments": "12 pages, 3 figures",
        "journal-ref": "J. Stuff 1 (2021) 1-12",
        "doi": f"10.1000/stuff.{n}",
        "report-no": "REP-1",
        "categories": "cs.LG stat.ML",
        "license": "http://creativecommons.org/licenses/by/4.0/",
        "abstract": "We study attention. It works.",
        "versions": [
            {"version": "v1", "created": "Mon, 4 Jan 2021 10:00:00 GMT"},
            {"version": "v2", "created": "Tue, 5 Jan 2021 10:00:00 GMT"},
        ],
        "update_date": "2021-01-05",
        "authors_parsed": [["Balázs", "Anna", ""], ["Smith", "J.", "", "MIT"]],
    }


def dumps(row: Any) -> bytes:
    """One JSON line, as the Kaggle snapshot writes it (ASCII escapes)."""
    return json.dumps(row).encode() + b"\n"


@dataclass(frozen=True)
class BadKind:
    """How to spoil a good row, and what ingest must do with the result."""

    make: Callable[[Row], bytes]
    expected: str  # "skip" or "repair"
    field: str  # named in the skip reason (skip), or the column checked (repair)
    repaired: Any = None  # the stored value of ``field`` after a repair


def _set(field: str, value: Any) -> Callable[[Row], bytes]:
    def make(row: Row) -> bytes:
        row[field] = value
        return dumps(row)

    return make


def _author(index: int, value: Any, author: int = 0) -> Callable[[Row], bytes]:
    def make(row: Row) -> bytes:
        row["authors_parsed"][author][index] = value
        return dumps(row)

    return make


def _authors_text(value: str) -> Callable[[Row], bytes]:
    def make(row: Row) -> bytes:
        del row["authors_parsed"]
        row["authors"] = value
        return dumps(row)

    return make


def _version(label: Any = "v1", created: Any = "Mon, 4 Jan 2021 10:00:00 GMT") -> Callable:
    def make(row: Row) -> bytes:
        row["versions"] = [{"version": label, "created": created}]
        return dumps(row)

    return make


def _raw(transform: Callable[[bytes], bytes]) -> Callable[[Row], bytes]:
    def make(row: Row) -> bytes:
        return transform(dumps(row))

    return make


def _deep(row: Row) -> bytes:
    return dumps(row)[:-2] + b', "extra": ' + b"[" * 5000 + b"]" * 5000 + b"}\n"


SUR = "\ud800"  # a lone surrogate: valid in JSON text, not encodable as UTF-8
NUL = "\u0000"  # refused by PostgreSQL in text and in jsonb
LONG = "x" * 300  # longer than every CharField that holds source text

BAD_KINDS: dict[str, BadKind] = {
    # Lone surrogates: replaced with U+FFFD, the record loads.
    "surrogate-title": BadKind(
        _set("title", f"Bad {SUR} title"), "repair", "title", "Bad \ufffd title"
    ),
    "surrogate-abstract": BadKind(_set("abstract", f"x{SUR}"), "repair", "abstract", "x\ufffd"),
    "surrogate-comments": BadKind(_set("comments", f"c{SUR}"), "repair", "comments", "c\ufffd"),
    "surrogate-submitter": BadKind(_set("submitter", f"s{SUR}"), "repair", "submitter", "s\ufffd"),
    "surrogate-doi": BadKind(_set("doi", f"10.1/{SUR}"), "repair", "doi", "10.1/\ufffd"),
    "surrogate-journal-ref": BadKind(_set("journal-ref", SUR), "repair", "journal_ref", "\ufffd"),
    "surrogate-report-no": BadKind(_set("report-no", SUR), "repair", "report_no", "\ufffd"),
    "surrogate-license": BadKind(_set("license", SUR), "repair", "license", "\ufffd"),
    "surrogate-author": BadKind(_author(0, f"Ba{SUR}"), "repair", "authors", "Ba\ufffd"),
    "surrogate-affiliation": BadKind(_author(3, SUR, author=1), "repair", "authors", "\ufffd"),
    "surrogate-authors-text": BadKind(
        _authors_text(f"Anna B{SUR} and J. Smith"), "repair", "authors", "B\ufffd"
    ),
    "surrogate-category": BadKind(
        _set("categories", f"cs.LG{SUR}"), "repair", "categories", "cs.LG\ufffd"
    ),
    # NUL characters: removed, the record loads.
    "nul-title": BadKind(_set("title", f"Bad{NUL} title"), "repair", "title", "Bad title"),
    "nul-abstract": BadKind(_set("abstract", f"a{NUL}b"), "repair", "abstract", "ab"),
    "nul-comments": BadKind(_set("comments", f"c{NUL}"), "repair", "comments", "c"),
    "nul-submitter": BadKind(_set("submitter", f"s{NUL}"), "repair", "submitter", "s"),
    "nul-doi": BadKind(_set("doi", f"10.1/x{NUL}"), "repair", "doi", "10.1/x"),
    "nul-journal-ref": BadKind(_set("journal-ref", f"j{NUL}"), "repair", "journal_ref", "j"),
    "nul-report-no": BadKind(_set("report-no", f"r{NUL}"), "repair", "report_no", "r"),
    "nul-license": BadKind(_set("license", f"l{NUL}"), "repair", "license", "l"),
    "nul-author": BadKind(_author(0, f"Ba{NUL}lazs"), "repair", "authors", "Balazs"),
    "nul-forenames": BadKind(_author(1, f"An{NUL}na"), "repair", "authors", "Anna"),
    "nul-affiliation": BadKind(_author(3, f"M{NUL}IT", author=1), "repair", "authors", "MIT"),
    "nul-authors-text": BadKind(
        _authors_text(f"Anna Ba{NUL}lazs and J. Smith"), "repair", "authors", "Balazs"
    ),
    "nul-category": BadKind(_set("categories", f"cs.L{NUL}G"), "repair", "categories", "cs.LG"),
    "raw-nul-byte-in-title": BadKind(
        _raw(lambda line: line.replace(b"Sparse", b"Spa\x00rse", 1)),
        "repair",
        "title",
        "Sparse",
    ),
    # Nothing left once repaired: skipped.
    "nul-only-title": BadKind(_set("title", NUL), "skip", "title"),
    # Over-long values for every column with a length limit: skipped.
    "long-doi": BadKind(_set("doi", LONG), "skip", "doi"),
    "long-license": BadKind(_set("license", LONG), "skip", "license"),
    "long-submitter": BadKind(_set("submitter", LONG), "skip", "submitter"),
    "long-category": BadKind(_set("categories", "cs." + LONG), "skip", "categories"),
    "long-old-style-id": BadKind(_set("id", "a" * 60 + "/9901001"), "skip", "arxiv_id"),
    "long-gitlab-namespace": BadKind(
        _set("abstract", "Code: https://gitlab.com/" + "/".join(["g" * 200] * 3) + "/repo"),
        "skip",
        "abstract",
    ),
    # Numbers the database cannot store.
    "huge-version": BadKind(_version("v99999999999999999999"), "skip", "versions"),
    "int32-overflow-version": BadKind(_version("v3000000000"), "skip", "versions"),
    "negative-version": BadKind(_version("v-1"), "skip", "version"),
    "nan-title": BadKind(
        _raw(lambda line: line.replace(b'"Sparse', b'NaN, "x": "', 1)), "skip", "title"
    ),
    "nan-versions": BadKind(_set("versions", float("nan")), "skip", "versions"),
    # Wrong JSON types.
    "number-title": BadKind(_set("title", 12345), "skip", "title"),
    "object-abstract": BadKind(_set("abstract", {"a": 1}), "skip", "abstract"),
    "list-categories": BadKind(_set("categories", ["cs.LG"]), "skip", "categories"),
    "number-license": BadKind(_set("license", 4), "skip", "license"),
    "string-versions": BadKind(_set("versions", "v1"), "skip", "versions"),
    "number-version-label": BadKind(_version(1), "skip", "version"),
    "number-created": BadKind(_version("v1", 20210104), "skip", "created"),
    "string-authors-parsed": BadKind(_set("authors_parsed", "Smith, J."), "skip", "authors_parsed"),
    "flat-authors-parsed": BadKind(
        _set("authors_parsed", ["Smith", "J."]), "skip", "authors_parsed"
    ),
    "number-in-authors-parsed": BadKind(_set("authors_parsed", [[1, 2]]), "skip", "authors_parsed"),
    "object-authors-parsed": BadKind(_set("authors_parsed", {"a": "b"}), "skip", "authors_parsed"),
    "number-authors": BadKind(_authors_text(7), "skip", "authors"),  # type: ignore[arg-type]
    "number-id": BadKind(_set("id", 2101.00001), "skip", "id"),
    # Structure.
    "deep-nesting": BadKind(_deep, "skip", "nested"),
    "invalid-json": BadKind(_raw(lambda line: line[:40] + b"\n"), "skip", "JSON"),
    "invalid-utf8": BadKind(
        _raw(lambda line: line.replace(b"Sparse", b"Sp\xffarse", 1)), "skip", "UTF-8"
    ),
    "array-line": BadKind(lambda row: dumps([row]), "skip", "object"),
    "missing-title": BadKind(_set("title", ""), "skip", "title"),
    "bad-id": BadKind(_set("id", "not-an-id"), "skip", "id"),
}
