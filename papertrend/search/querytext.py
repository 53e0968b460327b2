"""The keyword query language, and the text analysis it shares with the index.

The index analyzes titles, authors and abstracts with ``analyzer`` (simple
tokenizer, lowercase, ASCII folding, English stopwords, Snowball stemming:
https://snowballstem.org/algorithms/english/stemmer.html); queries go through
the same analyzer, and highlighting (``search.highlight``) too, so a highlighted
word is one the index matched.

``parse_query`` splits a user's text into parts, never failing on any text, and
``search.backend.build_query`` turns them into a tantivy query (never through
tantivy's own query language):

* words, OR-ed: a paper matching more of them ranks higher;
* ``"double-quoted phrases"``, preferred, not required: their words count as
  free words, and a paper containing the phrase ranks higher (users type quotes
  loosely; a phrase nobody wrote must not empty the results);
* ``AND`` / ``OR`` / ``NOT`` in capitals are read as the operators users mean
  loosely, not as strict Boolean logic: ``AND`` and ``OR`` are dropped (ranking
  already puts papers with all the words first), and ``NOT word`` excludes papers
  containing ``word`` (in any field);
* ``prefix*`` (at least ``MIN_PREFIX_CHARS`` letters; shorter ones are words),
  OR-ed like a word: terms starting with the lowercased, ASCII-folded prefix, or
  with its stem (``transformer*`` finds "transformers", indexed as "transform");
* ``field:word``, ``field:"a phrase"`` and ``field:prefix*``, required, in one
  field only: ``title``/``ti``, ``author``/``authors``/``au``, ``abstract``/``abs``
  (arXiv's search prefixes:
  https://info.arxiv.org/help/api/user-manual.html#query_details), and ``all``
  (no restriction). Field names are case-insensitive; any other ``name:`` is an
  ordinary word, and a field name with nothing after it is dropped.

``meaning_text`` is what the embedding side reads: the words and phrases, and
the text of ``title:``/``abstract:`` parts, without the syntax, author names,
operators or excluded words.

Every other character (operators, brackets, ``+ - ~ ^ \\``) only separates words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import tantivy

MAX_TERMS = 64
MAX_PHRASES = 8
MAX_PHRASE_TOKENS = 32
MAX_RESTRICTED = 16  # field:word and field:"phrase" parts
# Prefixes: "t*" would expand to a good part of the vocabulary, so one letter is a word.
MIN_PREFIX_CHARS = 2
MAX_PREFIXES = 4
MAX_EXCLUDED = 8
# Capitalised words read as operators; lower-case "and"/"or"/"not" are stopwords anyway.
OPERATORS = ("AND", "OR", "NOT")

# Field names a user may type before ":" (lower case), and the field they search;
# None: every field, as if there were no name.
FIELD_NAMES: Mapping[str, str | None] = {
    "title": "title",
    "ti": "title",
    "author": "authors",
    "authors": "authors",
    "au": "authors",
    "abstract": "abstract",
    "abs": "abstract",
    "all": None,
}

# One part of a query, left to right: field:"phrase" or field:word, a "phrase", a
# word (anything up to a space or quote), or a stray quote. A field name is 2-8
# ASCII letters, so long words never backtrack far.
_PART = re.compile(
    r'(?P<field>[A-Za-z]{2,8}):(?:"(?P<fphrase>[^"]*)"|(?P<fword>[^\s"]+))'
    r'|"(?P<phrase>[^"]*)"'
    r'|(?P<word>[^\s"]+)'
    r'|"'
)
_BARE_FIELD = re.compile(r"[A-Za-z]{2,8}:")
_SURROGATE = re.compile("[\ud800-\udfff]")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})


def _build_analyzer() -> tantivy.TextAnalyzer:
    """The analyzer of the indexed text fields (and of query words)."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


analyzer = _build_analyzer()
# For prefixes and highlighting: the same words as ``analyzer`` (same tokenizer,
# same length limit), before stopwords and stemming; and stemming alone.
_fold_analyzer = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.ascii_fold())
    .build()
)
_stem_analyzer = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)


def without_surrogates(text: str) -> str:
    """``text`` with lone surrogates (which tantivy cannot take) as U+FFFD, same length."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def indexed_tokens(text: str) -> list[tuple[int, str]]:
    """(position, token) pairs; positions keep the gaps left by stopwords."""
    return [(t.position, t.text) for t in analyzer.pre_tokenize(without_surrogates(text)).tokens]


def analyze(text: str) -> list[str]:
    """The index terms of some text, e.g. ``"The Networks"`` -> ``["network"]``."""
    return [token for _, token in indexed_tokens(text)]


def fold(text: str) -> list[tuple[int, int, str]]:
    """Every word of ``text`` lowercased and ASCII-folded, not stemmed, stopwords kept.

    Returns ``(start, end, word)`` with ``text[start:end]`` the original word
    (Python string indices), e.g. ``"Über-Nets"`` -> ``[(0, 4, "uber"), (5, 9, "nets")]``.
    """
    tokens = _fold_analyzer.pre_tokenize(without_surrogates(text)).tokens
    return [(t.char_offset_from, t.char_offset_to, t.text) for t in tokens]


def analyzed_words(text: str) -> list[tuple[int, int, str, str | None]]:
    """Every word of ``text`` as ``(start, end, folded, term)``.

    ``text[start:end]`` is the word as written (Python string indices),
    ``folded`` as ``fold`` gives it, ``term`` its index term (as ``analyze`` gives
    it), or None for a stopword: ``"The Nets"`` -> ``[(0, 3, "the", None), (4, 8,
    "nets", "net")]``.
    """
    text = without_surrogates(text)
    terms = {t.char_offset_from: t.text for t in analyzer.pre_tokenize(text).tokens}
    return [(start, end, word, terms.get(start)) for start, end, word in fold(text)]


def stem(word: str) -> str:
    """The Snowball English stem of one folded word (``"networks"`` -> ``"network"``)."""
    stems = _stem_analyzer.analyze(without_surrogates(word))
    return stems[0] if stems else word


@dataclass
class ParsedQuery:
    """The parts of a user's query (see the module docstring).

    ``free``: the free words in order, joined by spaces (stopwords kept, so that
    positions keep their gaps), the words of unrestricted phrases included;
    ``phrases``: quoted phrases, as typed (preferred, not required);
    ``prefixes``: (field or None, prefix forms): the folded prefix and its stem
    when that differs and does not already start with the other form;
    ``restricted``: (field, text) for ``field:word`` and ``field:"phrase"``;
    ``excluded``: words after ``NOT``; ``meaning``: the text for the embedding
    side (see ``meaning_text``).
    """

    free: str = ""
    phrases: list[str] = field(default_factory=list)
    prefixes: list[tuple[str | None, tuple[str, ...]]] = field(default_factory=list)
    restricted: list[tuple[str, str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    meaning: str = ""

    @property
    def constrained(self) -> bool:
        """True when the query has parts every result must satisfy (``field:`` parts,
        field prefixes) or must not (``NOT word``): results found by meaning alone
        have to be checked against them."""
        required_prefix = any(name is not None for name, _ in self.prefixes)
        return bool(self.restricted or self.excluded or required_prefix)


def _prefix_forms(word: str) -> tuple[str, tuple[str, ...]] | None:
    """For a word ending in ``*``: (the text before its last word, the prefix forms).

    None when the word is not a usable prefix (no letters right before the ``*``,
    or fewer than ``MIN_PREFIX_CHARS`` of them).
    """
    body = word.rstrip("*")
    words = fold(body)
    if not words or words[-1][1] != len(body) or len(words[-1][2]) < MIN_PREFIX_CHARS:
        return None
    start, _, folded = words[-1]
    forms = [folded]
    stemmed = stem(folded)
    # A stem that the folded prefix starts with matches a superset: keep just it.
    if stemmed != folded and len(stemmed) >= MIN_PREFIX_CHARS:
        forms = [stemmed] if folded.startswith(stemmed) else [folded, stemmed]
    return body[:start], tuple(forms)


def parse_query(text: str) -> ParsedQuery:
    """Split a user's query into its parts, without analyzing them.

    Never raises. Caps: ``MAX_PHRASES`` phrases, ``MAX_PREFIXES`` prefixes,
    ``MAX_RESTRICTED`` field parts and ``MAX_EXCLUDED`` ``NOT`` words; parts beyond
    them are dropped (extra prefixes become free words, extra phrases stay words). A
    known field name followed by nothing is dropped.
    """
    parsed = ParsedQuery()
    free: list[str] = []
    meaning: list[str] = []

    def add_plain(field_name: str | None, word: str) -> None:
        if field_name is None:
            free.append(word)
        elif len(parsed.restricted) < MAX_RESTRICTED:
            parsed.restricted.append((field_name, word))

    def add_word(field_name: str | None, word: str) -> None:
        if field_name != "authors":
            meaning.append(word.rstrip("*"))
        prefix = None
        if word.endswith("*") and len(parsed.prefixes) < MAX_PREFIXES:
            prefix = _prefix_forms(word)
        if prefix is None:
            add_plain(field_name, word)
            return
        before, forms = prefix  # "neural-net*": "neural-" is a plain word
        if before:
            add_plain(field_name, before)
        parsed.prefixes.append((field_name, forms))

    negate = False
    for part in _PART.finditer(text.translate(_QUOTES)):
        name, phrase, word = part["field"], part["fphrase"], part["fword"]
        if name is None and part["word"] in OPERATORS:
            negate = part["word"] == "NOT"
            continue
        if negate and part["word"] is not None and len(parsed.excluded) < MAX_EXCLUDED:
            negate = False
            parsed.excluded.append(part["word"])
            continue
        negate = False
        if name is not None and name.lower() not in FIELD_NAMES:
            # An unknown "name:" is an ordinary word; what follows keeps its meaning.
            free.append(name)
            meaning.append(name)
            name = None
        target = FIELD_NAMES.get(name.lower()) if name else None
        if phrase is None and word is None:
            phrase, word = part["phrase"], part["word"]
        if phrase is not None:
            if target != "authors":
                meaning.append(phrase)
            if target is not None and len(parsed.restricted) < MAX_RESTRICTED:
                parsed.restricted.append((target, phrase))
            elif target is None:
                # Preferred, not required: the words count as typed, the phrase ranks.
                free.append(phrase)
                if len(parsed.phrases) < MAX_PHRASES:
                    parsed.phrases.append(phrase)
        elif word is not None:
            bare = _BARE_FIELD.fullmatch(word)
            if bare is None or word[:-1].lower() not in FIELD_NAMES:
                add_word(target, word)
    parsed.free = " ".join(free)
    parsed.meaning = " ".join(w for w in meaning if w.strip())
    return parsed


def meaning_text(text: str) -> str:
    """The part of a query the embedding side reads: words and phrases as typed, and
    ``title:``/``abstract:`` text, without quotes, field names, ``*``, author names,
    operators or ``NOT`` words. ``'author:Hinton "deep belief" nets NOT vision'`` ->
    ``"deep belief nets"``; empty when only such parts remain."""
    return parse_query(text).meaning


def query_terms(text: str) -> list[str]:
    """The analyzed terms a query searches for, each once, for highlighting.

    Phrase words, field-restricted words and free words as index terms
    (``"Networks"`` -> ``"network"``); prefixes as their forms followed by ``*``
    (``"Transformer*"`` -> ``"transform*"``), e.g. ``'"deep nets" author:Hinton
    transformer*'`` -> ``["deep", "net", "hinton", "transform*"]``. A word matches
    when its index term is one of the terms or starts with a prefix form.
    """
    parsed = parse_query(text)
    terms = [t for phrase in parsed.phrases for t in analyze(phrase)]
    terms += [t for _, part in parsed.restricted for t in analyze(part)]
    terms += [f"{form}*" for _, forms in parsed.prefixes for form in forms]
    terms += list(dict.fromkeys(analyze(parsed.free)))[:MAX_TERMS]
    return list(dict.fromkeys(terms))
