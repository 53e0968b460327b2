# ruff: noqa: RUF001 - the expected outputs are non-ASCII text
"""TeX to text, TeX to safe HTML with MathML, title keys, and the template filters."""

from __future__ import annotations

import glob
import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from defusedxml import ElementTree
from django.template import Context, Template
from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from papertrend.papers import text as text_module
from papertrend.papers.records import AuthorName
from papertrend.papers.text import (
    fold_whitespace,
    normalized_title,
    tex_to_html,
    tex_to_text,
    title_key,
)

# ---- tex_to_text ----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("C. Bal\\'azs", "C. Balázs"),
        ('{\\"o}', "ö"),
        ("Fran\\c{c}ois", "François"),
        ("Stra\\ss e", "Straße"),
        ("{\\O}ystein", "Øystein"),
        ("Rastislav \\v{S}r\\'amek", "Rastislav Šrámek"),
        ("pages 1--2 --- or not", "pages 1–2 — or not"),
        ("``quoted''", "“quoted”"),
        ("\\emph{x} {\\bf y} \\textit{z} \\texttt{w}", "x y z w"),
        ("a~b", "a b"),
        ("$\\alpha$-stable", "α-stable"),
        ("$O(n^2)$ time", "O(n^2) time"),
        ("$\\mathcal{O}(\\log n)$", "𝒪(log n)"),
        ("\\unknownmacro{kept} text", "kept text"),
        ("$\\Q(\\sqrt{5})$", "Q(√(5))"),  # unknown math macro keeps its name
        ("$H_{\\rm o}$ and {\\it et al.}", "H_ o and et al."),
        ("improves 5% over\nthe baseline", "improves 5% over the baseline"),
        ("R&D $x$", "R&D x"),
        ("\\href{https://x.org}{our code}", "our code"),
        ("\\url{https://x.org}", "https://x.org"),
        ("Title\n  over two lines", "Title over two lines"),
        ("unbalanced {brace", "unbalanced {brace"),  # no TeX macro: braces are literal
        ("unbalanced $dollar", "unbalanced dollar"),
        ("}}} closing", "}}} closing"),
        ("mathcal{O}(n)", "mathcal{O}(n)"),
        ("", ""),
    ],
)
def test_tex_to_text(source: str, expected: str) -> None:
    assert tex_to_text(source) == expected


def test_fast_path_only_folds() -> None:
    assert tex_to_text("  Plain  title\nwith <b> & 5%  ") == "Plain title with <b> & 5%"
    assert fold_whitespace(" a \n\t b ") == "a b"


def test_parser_failure_falls_back_to_accents(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise IndexError("pylatexenc failure")

    monkeypatch.setattr(text_module, "LatexWalker", Broken)
    assert tex_to_text("G\\\"unter {\\O}bro \\v{S}r\\'amek $x$") == "Günter Øbro Šrámek $x$"


@given(st.text(max_size=400))
@settings(max_examples=300)
def test_tex_to_text_never_raises(s: str) -> None:
    assert isinstance(tex_to_text(s), str)


TEX_ALPHABET = st.sampled_from(
    [
        *"ab xyz019{}$\\^_~`'\"&%<>#-/",
        "\\frac",
        "\\alpha",
        "\\'",
        "\\v",
        "\\href",
        "\\text",
        "\\begin{",
        "\\end{",
        "\\[",
        "\\]",
        "\\(",
        "\\)",
        "$$",
        "<script>",
        "javascript:",
        "\\style",
        "\\class",
        "\\url",
    ]
)
tex_like = st.lists(TEX_ALPHABET, max_size=40).map("".join)


@given(tex_like)
@settings(max_examples=300)
def test_tex_to_text_never_raises_on_tex_like(s: str) -> None:
    assert isinstance(tex_to_text(s), str)


# ---- tex_to_html ----------------------------------------------------------

MATHML_TAGS = text_module._MATHML_TAGS
MATHML_ATTRIBUTES = text_module._MATHML_ATTRIBUTES | {"xmlns", "class", "href", "rel"}


class _Checker(HTMLParser):
    """Collects every tag and attribute an HTML fragment really contains."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def assert_safe_html(html: str) -> None:
    """Only MathML, <code class="tex"> and urlize's links; allowlisted attributes; no scripts."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert set(checker.tags) <= MATHML_TAGS | {"code", "a"}
    for name, value in checker.attributes:
        assert name in MATHML_ATTRIBUTES
        assert "javascript" not in value.lower()
        assert name != "href" or value.startswith(("http://", "https://", "mailto:"))
        assert name != "rel" or value == "nofollow"
        assert name != "class" or value == "tex"
    assert "<script" not in html.lower()
    # Every "<" opens an allowed tag or closes one; anything else would be escaped.
    for piece in html.split("<")[1:]:
        name = piece.lstrip("/").split(">")[0].split(" ")[0]
        assert name in MATHML_TAGS | {"code", "a"}


def test_text_is_escaped() -> None:
    html = tex_to_html("Fish & <b>chips</b> <script>alert('x')</script> \"quoted\"")
    assert isinstance(html, SafeString)
    assert html == (
        "Fish &amp; &lt;b&gt;chips&lt;/b&gt; &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
        " &quot;quoted&quot;"
    )


def test_inline_and_display_math() -> None:
    html = tex_to_html("The $\\alpha$-stable law of Bal\\'azs: $$E=mc^2$$ and \\(x\\) \\[y\\]")
    assert html.startswith('The <math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">')
    assert "<mi>α</mi>" in html
    assert "-stable law of Balázs: " in html
    assert html.count('display="block"') == 2
    assert html.count('display="inline"') == 2
    assert "<msup><mi>c</mi><mn>2</mn></msup>" in html
    assert_safe_html(html)


def test_math_operators_are_escaped() -> None:
    html = tex_to_html("$x<y$ and $a & b$")
    assert "<mo>&lt;</mo>" in html
    assert "<mi>&amp;</mi>" in html
    assert_safe_html(html)


@pytest.mark.parametrize(
    "source",
    [
        "$\\text{<script>alert(1)</script>}$",
        "$\\text{<b>bold</b>} \\mbox{<i>x</i>} \\fbox{<img src=x onerror=alert(1)>}$",
        "$\\href{javascript:alert(1)}{x}$",
        "$\\style{color:red;background:url(javascript:alert(1))}{x}$",
        "$\\class{evil}{x}$",
        '$\\color{red" onload="alert(1)}{x}$',
        "$\\mathcolor{javascript:x}{y}$",
        "$\\operatorname{<img src=x onerror=alert(1)>}$",
        "$\"quotes\" & 'single' &amp; &lt;script&gt;$",
        "$$\\text{&#60;script&#62;}$$",
    ],
)
def test_math_cannot_inject_markup(source: str) -> None:
    html = tex_to_html(source)
    assert "<math" in html
    assert_safe_html(html)
    checker = _Checker()
    checker.feed(html)
    names = {name for name, _ in checker.attributes}
    assert not names & {"href", "style", "class", "onload", "onerror"}


def test_unconvertible_math_shows_escaped_source() -> None:
    html = tex_to_html("broken $\\left( x<1 \\right$ here")
    assert html == 'broken <code class="tex">$\\left( x&lt;1 \\right$</code> here'


def test_escaped_dollar_is_text() -> None:
    assert tex_to_html("costs \\$5 or \\$6") == "costs $5 or $6"


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_tex_to_html_is_safe_for_any_text(s: str) -> None:
    assert_safe_html(tex_to_html(s))


@given(tex_like)
@settings(max_examples=500)
def test_tex_to_html_is_safe_for_tex_like_text(s: str) -> None:
    assert_safe_html(tex_to_html(s))


# ---- title keys -------------------------------------------------------------


def test_normalized_title() -> None:
    assert normalized_title("The $\\alpha$-Stable Law of Bal\\'azs!") == (
        "the alpha stable law of balazs"
    )
    assert normalized_title("M{\\o}ller: Schr\\\"odinger's  cat") == "moller schrodinger s cat"
    assert normalized_title("中文 标题") == "中文 标题"


def test_title_key_matches_spellings() -> None:
    key = title_key("The $\\alpha$-stable law")
    assert key == title_key("The α-Stable\n  Law.")
    assert key == title_key("the alpha stable law")
    assert key != title_key("The $\\beta$-stable law")
    assert key.startswith("t:")
    assert len(key) == 18
    # Stable across releases: stored keys must keep matching.
    digest = hashlib.sha1(b"attention is all you need").hexdigest()
    assert title_key("Attention Is All You Need") == "t:" + digest[:16]


# ---- template filters -------------------------------------------------------


def test_template_filters() -> None:
    template = Template(
        "{% load papertrend_text %}<h1>{{ title|tex_html }}</h1><title>{{ title|tex_text }}</title>"
        "{{ author|author_name }}|{{ missing|tex_html }}"
    )
    out = template.render(
        Context({"title": "$x<y$ & Bal\\'azs", "author": AuthorName("Bal\\'azs", "C.")})
    )
    assert out.startswith('<h1><math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">')
    assert "</math> &amp; Balázs</h1>" in out
    assert "<title>x&lt;y &amp; Balázs</title>" in out
    assert out.endswith("C. Balázs|")


# ---- real data -----------------------------------------------------------------


def _real_texts(shared_data: Path) -> list[str]:
    texts = []
    kaggle = shared_data / "arxiv" / "kaggle-snapshot-head.jsonl"
    for line in kaggle.read_text().splitlines():
        record = json.loads(line)
        texts += [record["title"], record["abstract"]]
    for path in sorted(glob.glob(str(shared_data / "arxiv" / "quantph-1992-1999" / "*.xml"))):
        for element in ElementTree.parse(path).getroot().iter():
            if element.tag in ("title", "description") and element.text:
                texts.append(element.text)
    return texts


@pytest.mark.shared_data
def test_real_titles_and_abstracts(shared_data: Path) -> None:
    texts = _real_texts(shared_data)
    assert len(texts) > 5000
    plain = [tex_to_text(t) for t in texts]
    # Only \backslash (rendered as "\") leaves a backslash behind.
    assert sum("\\" in p for p in plain) <= 1
    html = [tex_to_html(t) for t in texts]
    for h in html:
        assert_safe_html(h)
    formulas = sum(h.count("<math") for h in html)
    fallbacks = sum(h.count('<code class="tex">') for h in html)
    assert formulas > 2000
    assert fallbacks < formulas / 100


@pytest.mark.shared_data
def test_real_hard_titles(shared_data: Path) -> None:
    titles = {
        json.loads(line)["id"]: json.loads(line)["title"]
        for line in (shared_data / "arxiv" / "kaggle-snapshot-head.jsonl").read_text().splitlines()
    }
    assert tex_to_text(titles["0704.0033"]) == (
        "Convergence of the discrete dipole approximation. I. Theoretical analysis"
    )
    hard = [t for t in titles.values() if "\\" in t or "$" in t]
    assert len(hard) >= 10
    by_text = {tex_to_text(t) for t in hard}
    assert (
        "Approximation for extinction probability of the contact process based on the Gröbner basis"
    ) in by_text
    assert "A transcendental approach to Kollár's injectivity theorem" in by_text
    assert "Evidence for an excitonic insulator phase in 1T-TiSe_2" in by_text
    assert "From dyadic Λ_α to Λ_α" in by_text


def test_urls_in_text_become_escaped_links() -> None:
    html = tex_to_html('Code: https://github.com/x/y. See "<b>" & $x$')
    assert '<a href="https://github.com/x/y" rel="nofollow">https://github.com/x/y</a>.' in html
    assert "&lt;b&gt;" in html and "&amp;" in html
    assert_safe_html(html)
    assert 'href="javascript' not in tex_to_html("javascript:alert(1) www.example.org")
