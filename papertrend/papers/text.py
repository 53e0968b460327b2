# ruff: noqa: RUF001, RUF002, SIM905 - non-ASCII text is the subject; word lists read best as words
"""arXiv TeX source to plain text, to safe HTML with MathML, and to title keys.

arXiv titles and abstracts are TeX fragments written by submitters: accents
(``Bal\\'azs``), inline math (``$\\alpha$-stable``), font switches
(``{\\bf x}``), and also bare ``%``, ``&``, ``<script>`` and unbalanced braces or
dollars. Nothing here raises on any string.

* :func:`tex_to_text` gives readable unicode for e-mails, ``<title>`` and indexing
  (pylatexenc, https://pylatexenc.readthedocs.io/, with a regex fallback).
* :func:`tex_to_html` gives escaped HTML in which math is MathML
  (latex2mathml, https://github.com/roniemartinez/latex2mathml; MathML Core,
  https://www.w3.org/TR/mathml-core/), serialized here from an allowlist so that
  no markup from the source can get through.
* :func:`normalized_title` / :func:`title_key` match a paper known only by its
  title to the same paper arriving later with an arXiv id.
"""

from __future__ import annotations

import functools
import hashlib
import html
import logging
import re
import unicodedata
from xml.etree.ElementTree import Element

from django.utils.html import escape, urlize
from django.utils.safestring import SafeString, mark_safe
from latex2mathml.converter import convert_to_element
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec
from pylatexenc.latex2text import get_default_latex_context_db as text_context_db
from pylatexenc.latexwalker import LatexMacroNode, LatexWalker
from pylatexenc.latexwalker import get_default_latex_context_db as walker_context_db
from pylatexenc.macrospec import MacroSpec

__all__ = [
    "fold_whitespace",
    "normalized_title",
    "tex_to_html",
    "tex_to_text",
    "title_key",
]

_WHITESPACE = re.compile(r"\s+")
# Anything that may be TeX markup; strings without it skip the parser (most titles).
_MAY_BE_TEX = re.compile(r"[\\$\{\}~`]|--|''")
# Without \ or $ the only TeX left is ligatures and ties: plain replacements. Braces
# alone are kept: text that has lost its backslashes (pages copied from the web,
# "mathcal{O}(n)") reads better with them.
_NEEDS_PARSER = re.compile(r"[\\$]")
_LIGATURES = (("---", "\u2014"), ("--", "\u2013"), ("``", "\u201c"), ("''", "\u201d"), ("~", " "))
# A bare % starts a TeX comment and & is a column separator: in abstracts both are
# almost always literal ("improves by 5%", "R&D"), so they are escaped before parsing.
_BARE_SPECIAL = re.compile(r"(?<!\\)([%&])")

# Macros the walker must know the arguments of, so their text is kept.
_WALKER_MACROS = [
    MacroSpec("href", "{{"),
    MacroSpec("bm", "{"),
    MacroSpec("boldsymbol", "{"),
    MacroSpec("operatorname", "*{"),
    MacroSpec("textup", "{"),
    MacroSpec("textnormal", "{"),
    MacroSpec("hbox", "{"),
    MacroSpec("mathnormal", "{"),
    MacroSpec("binom", "{{"),
]
# Font, size and spacing switches: no text of their own, in math or out.
_SWITCHES = (
    "it bf cal em rm sl sc sf tt bi mit normalfont small large Large LARGE huge Huge tiny"
    " scriptsize footnotesize normalsize displaystyle textstyle scriptstyle"
    " scriptscriptstyle left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl"
    " biggr Biggl Biggr protect noindent nonumber limits nolimits relax"
).split()
_KEEP_FIRST_ARG = (
    "texttt textsf textsl textup textnormal mbox hbox bm boldsymbol mathnormal url"
).split()
_TEXT_MACROS = [
    *(MacroTextSpec(name, simplify_repl="%(1)s") for name in _KEEP_FIRST_ARG),
    MacroTextSpec("operatorname", simplify_repl="%(2)s"),
    MacroTextSpec("href", simplify_repl="%(2)s"),
    *(MacroTextSpec(name, discard=True) for name in ("cite", "citep", "citet", "label")),
    *(MacroTextSpec(name, discard=True) for name in _SWITCHES),
    MacroTextSpec("binom", simplify_repl="binom(%(1)s, %(2)s)"),
    MacroTextSpec("over", simplify_repl="/"),
    MacroTextSpec("ne", simplify_repl="≠"),
    MacroTextSpec("colon", simplify_repl=":"),
    MacroTextSpec("Re", simplify_repl="ℜ"),
    MacroTextSpec("Im", simplify_repl="ℑ"),
    MacroTextSpec("triangle", simplify_repl="△"),
    MacroTextSpec("ddag", simplify_repl="‡"),
    *(MacroTextSpec(name, simplify_repl="≳") for name in ("gsim", "gtrsim", "simgt", "ga")),
    *(MacroTextSpec(name, simplify_repl="≲") for name in ("lsim", "lesssim", "simlt", "la")),
]


def _build_contexts() -> tuple[object, object]:
    walker = walker_context_db()
    walker.add_context_category("papertrend", macros=_WALKER_MACROS, prepend=True)
    text = text_context_db()
    text.add_context_category("papertrend", macros=_TEXT_MACROS, prepend=True)
    return walker, text


class _Latex2Text(LatexNodes2Text):
    """pylatexenc's converter, but an unknown macro in math keeps its name (``$\\Q$`` -> "Q").

    pylatexenc drops unknown macros; in text that is right (``\\newpage``), in
    math the name is usually the symbol the author meant.
    """

    def macro_node_to_text(self, node: LatexMacroNode) -> str:
        if self.latex_context.get_macro_spec(node.macroname) is None:
            state = getattr(node, "parsing_state", None)
            return node.macroname if getattr(state, "in_math_mode", False) else ""
        return str(super().macro_node_to_text(node))

    def apply_simplify_repl(self, node: LatexMacroNode, simplify_repl: object, what: str) -> str:
        """As pylatexenc, but a macro missing its arguments (``\\frac`` alone) gives "".

        pylatexenc would return the template itself ("%(1)s/%(2)s") into the text.
        """
        out = str(super().apply_simplify_repl(node, simplify_repl, what))
        failed = isinstance(simplify_repl, str) and "%" in simplify_repl and out == simplify_repl
        return "" if failed else out


_WALKER_CONTEXT, _TEXT_CONTEXT = _build_contexts()
# pylatexenc logs a warning for every malformed macro in the *input* (one per \frac
# without arguments); over a million abstracts that is noise, not a configuration fault.
logging.getLogger("pylatexenc").setLevel(logging.ERROR)
_CONVERTER = _Latex2Text(latex_context=_TEXT_CONTEXT, math_mode="text", strict_latex_spaces=False)


def fold_whitespace(s: str | None) -> str:
    """Collapse every run of whitespace (newlines included) to one space and strip the ends.

    ``None`` (a missing field in a source record) gives ``""``.
    """
    return " ".join(s.split()) if s else ""


def tex_to_text(s: str) -> str:
    """Readable unicode for a TeX fragment, whitespace folded.

    ``Bal\\'azs`` -> "Balázs", ``--`` -> "–", ``\\emph{x}`` -> "x", ``~`` -> " ",
    ``$\\alpha$-stable`` -> "α-stable", ``$O(n^2)$`` -> "O(n^2)". Unknown macros
    vanish but their braced arguments stay. Never raises: if the parser fails,
    the source is returned with accents converted. Strings without any TeX
    character are only whitespace-folded (fast path).
    """
    if not s:
        return ""
    if not _MAY_BE_TEX.search(s):
        return fold_whitespace(s)
    return fold_whitespace(_convert_text(s))


def _convert_text(s: str) -> str:
    """TeX to unicode, whitespace not folded (edges matter between math segments)."""
    if not _NEEDS_PARSER.search(s):
        for tex, char in _LIGATURES:
            s = s.replace(tex, char)
        return s
    try:
        walker = LatexWalker(
            _BARE_SPECIAL.sub(r"\\\1", s), latex_context=_WALKER_CONTEXT, tolerant_parsing=True
        )
        nodes = walker.get_latex_nodes()[0]
        out = str(_CONVERTER.nodelist_to_text(nodes))
    except Exception:
        # pylatexenc is tolerant but not total (e.g. IndexError on a macro spec
        # that does not match its arguments, RecursionError on deep nesting).
        out = _accents_only(s)
    return out.replace("\xa0", " ")


# ---- fallback: accents only -------------------------------------------------

_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
    "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
    "c": "\u0327", "k": "\u0328", "r": "\u030a", "d": "\u0323", "b": "\u0331",
}  # fmt: skip
_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "aa": "å", "AA": "Å",
    "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "i": "ı", "j": "ȷ",
}  # fmt: skip
_ACCENT_MACRO = re.compile(
    r"\\(?:([^A-Za-z\s])|([uvHckrdb])(?=[\s{]))\s*(?:\{\s*(\\[ij]|[A-Za-z])\s*\}|(\\[ij]|[A-Za-z]))"
)
_LETTER_MACRO = re.compile(r"\\(ss|aa|AA|ae|AE|oe|OE|o|O|l|L|i|j)(?![A-Za-z])\s?")
_BRACED_CHAR = re.compile(r"\{(\w)\}")


def _accents_only(s: str) -> str:
    """The source with accent and letter macros converted to unicode, nothing else touched."""

    def accent(m: re.Match[str]) -> str:
        mark = _ACCENTS.get(m.group(1) or m.group(2))
        base = m.group(3) or m.group(4)
        base = {"\\i": "i", "\\j": "j"}.get(base, base)
        return unicodedata.normalize("NFC", base + mark) if mark else m.group(0)

    out = _ACCENT_MACRO.sub(accent, s)
    out = _LETTER_MACRO.sub(lambda m: _LETTERS[m.group(1)], out)
    return _BRACED_CHAR.sub(r"\1", out)


def tex_to_search_text(s: str) -> str:
    """TeX source → text for the full-text index: accents as letters, whitespace folded.

    About 200x faster than :func:`tex_to_text` (no TeX parse), which matters at a
    million abstracts; the analyzer drops the remaining markup as punctuation.
    """
    return fold_whitespace(_accents_only(s)) if "\\" in s or "{" in s else fold_whitespace(s)


# ---- HTML with MathML -------------------------------------------------------

_MATH = re.compile(
    r"(?<!\\)\$\$(?P<dd>.+?)(?<!\\)\$\$"
    r"|\\\[(?P<db>.+?)\\\]"
    r"|(?<!\\)\$(?P<d>(?:[^$\\]|\\.)+?)\$"
    r"|\\\((?P<p>.+?)\\\)",
    re.DOTALL,
)
_BARE_PERCENT = re.compile(r"(?<!\\)%")
_MAX_FORMULA = 2000  # characters; longer "formulas" are mostly unbalanced dollars

_MATHML_TAGS = frozenset(
    (
        "math menclose merror mfrac mi mmultiscripts mn mo mover mpadded mphantom mprescripts"
        " mroot mrow ms mspace msqrt mstyle msub msubsup msup mtable mtd mtext mtr munder"
        " munderover none semantics"
    ).split()
)
_MATHML_ATTRIBUTES = frozenset(
    (
        "accent accentunder align close columnalign columnlines columnspacing columnspan"
        " depth display displaystyle fence form frame height largeop linebreak linethickness"
        " lspace mathbackground mathcolor mathsize mathvariant maxsize minsize movablelimits"
        " notation open rowalign rowlines rowspacing rowspan rspace scriptlevel separator"
        " separators stretchy symmetric voffset width"
    ).split()
)
# Attribute values are lengths, keywords and colours; anything else is dropped.
_SAFE_VALUE = re.compile(r"[A-Za-z0-9 #.%+,-]*")
_MATHML_NS = "http://www.w3.org/1998/Math/MathML"


class _UnsafeMathML(Exception):
    """latex2mathml produced an element outside the allowlist."""


def tex_to_html(s: str) -> SafeString:
    """HTML for a TeX fragment: escaped unicode text, math as MathML.

    Text outside math is converted as :func:`tex_to_text` and HTML-escaped.
    ``$...$`` and ``\\(...\\)`` become inline ``<math>``, ``$$...$$`` and
    ``\\[...\\]`` become ``<math display="block">``. The MathML is re-serialized
    from latex2mathml's element tree through an allowlist of MathML elements and
    attributes, with all text escaped, so ``\\href``, ``\\style``, ``\\class`` or
    ``\\text{<script>}`` carry nothing executable. A formula that does not
    convert is shown as its escaped source in ``<code class="tex">``.
    Never raises.
    """
    if not s:
        return mark_safe("")
    parts: list[str] = []
    last = 0
    for m in _MATH.finditer(s):
        parts.append(_text_html(s[last : m.start()]))
        latex = m.group("dd") or m.group("db") or m.group("d") or m.group("p") or ""
        display = "block" if m.group("dd") is not None or m.group("db") is not None else "inline"
        parts.append(_math_html(latex, display, m.group(0)))
        last = m.end()
    parts.append(_text_html(s[last:]))
    return mark_safe("".join(parts).strip())  # noqa: S308 - every piece is escaped or built here


def _text_html(segment: str) -> str:
    if not segment:
        return ""
    text = _convert_text(segment) if _MAY_BE_TEX.search(segment) else segment
    # urlize escapes the text itself and links bare URLs (rel="nofollow").
    return str(urlize(_WHITESPACE.sub(" ", text), nofollow=True, autoescape=True))


def _math_html(latex: str, display: str, source: str) -> str:
    # A bare % in math can only be a TeX comment (a percent sign would be \%).
    latex = _BARE_PERCENT.sub("", latex)
    if len(latex) <= _MAX_FORMULA and latex.strip():
        try:
            return _serialize(convert_to_element(latex, display=display), root=True)
        except Exception:  # noqa: S110 - any converter failure shows the source instead
            pass
    return f'<code class="tex">{escape(source)}</code>'


def _serialize(element: Element, root: bool = False) -> str:
    """MathML markup for ``element``: allowlisted names only, every text and value escaped."""
    tag = element.tag.rpartition("}")[2]
    if tag not in _MATHML_TAGS or (tag == "math") != root:
        raise _UnsafeMathML(tag)
    attributes = [f' xmlns="{_MATHML_NS}"'] if root else []
    for name, value in element.attrib.items():
        if name in _MATHML_ATTRIBUTES and _SAFE_VALUE.fullmatch(value):
            attributes.append(f' {name}="{escape(value)}"')
    # latex2mathml stores entities ("&#x003B1;") in text; decode, then escape everything.
    text = escape(html.unescape(element.text or ""))
    inner = text + "".join(_serialize(child) for child in element)
    tail = escape(html.unescape(element.tail or "")) if not root else ""
    return f"<{tag}{''.join(attributes)}>{inner}</{tag}>{tail}"


# ---- title keys ---------------------------------------------------------------

# Letters NFKD does not decompose into an ASCII base.
_TRANSLITERATE = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
     "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i", "ß": "ss"}
)  # fmt: skip
_KEY_WORD = re.compile(r"[a-z0-9]+")


def normalized_title(title: str) -> str:
    """The comparable form of a title: the text a reader sees, as lowercase ASCII words.

    Steps: :func:`tex_to_text`; a few letters transliterated (ø -> o, ß -> ss);
    Greek letters spelled out (α -> alpha, so "$\\alpha$-stable" and "α-stable"
    agree and differ from "β-stable"); NFKD with combining marks dropped
    (é -> e, 𝒪 -> O); casefold; only ``[a-z0-9]+`` runs kept, joined by one space.
    A title with no such word at all (e.g. all CJK) keeps its casefolded unicode
    words instead, so that it does not collapse to the empty key.
    """
    text = tex_to_text(title).translate(_TRANSLITERATE)
    spelled = "".join(_spell_greek(ch) for ch in unicodedata.normalize("NFKD", text))
    folded = "".join(ch for ch in spelled if not unicodedata.combining(ch)).casefold()
    words = _KEY_WORD.findall(folded)
    if not words:
        words = re.findall(r"\w+", folded)
    return " ".join(words)


def _spell_greek(ch: str) -> str:
    if ch.isascii() or not ch.isalpha():
        return ch
    name = unicodedata.name(ch, "")
    if name.startswith(("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ")):
        return f" {name.rsplit(' ', 1)[-1].lower()} "
    return ch


@functools.lru_cache(maxsize=65536)  # ingest asks twice per record; titles repeat
def title_key(title: str) -> str:
    """A stable key for a title: ``"t:"`` + the first 16 hex digits of SHA-1 of
    :func:`normalized_title` (UTF-8). Same title in any TeX/unicode/case spelling -> same key.
    """
    digest = hashlib.sha1(normalized_title(title).encode("utf-8"), usedforsecurity=False)
    return "t:" + digest.hexdigest()[:16]
