"""Template filters for search results: highlighted titles and abstract snippets.

Both take TeX source, convert it to plain text, escape it and mark the words the
query matched (``search.highlight``). Output is safe HTML.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from papertrend.papers.text import tex_to_text
from papertrend.search.highlight import highlight, snippet

register = template.Library()


@register.filter(name="highlight_tex")
def highlight_tex(value: object, query: str) -> SafeString:
    """``{{ paper.title|highlight_tex:query }}``: the title as text with matches marked."""
    return highlight(tex_to_text(str(value or "")), query or "")


@register.filter(name="snippet_tex")
def snippet_tex(value: object, query: str) -> SafeString:
    """``{{ paper.abstract|snippet_tex:query }}``: the best ~300-character window, marked."""
    return snippet(tex_to_text(str(value or "")), query or "")
