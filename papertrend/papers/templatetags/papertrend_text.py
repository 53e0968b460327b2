"""Template filters for TeX fields: ``{% load papertrend_text %}``.

``{{ paper.title|tex_html }}`` renders escaped text with MathML math;
``{{ paper.title|tex_text }}`` gives plain unicode (for ``<title>`` and e-mails,
autoescaped by the template as usual); ``{{ author|author_name }}`` gives an
:class:`~papertrend.papers.records.AuthorName` (or any object with
``forenames``/``keyname``/``suffix``) as plain "Forenames Keyname Suffix".
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from papertrend.papers.text import tex_to_html, tex_to_text

register = template.Library()


@register.filter(name="tex_html")
def tex_html(value: object) -> SafeString:
    """``value`` (TeX source, None -> "") as safe HTML with MathML; see ``tex_to_html``."""
    return tex_to_html("" if value is None else str(value))


@register.filter(name="tex_text")
def tex_text(value: object) -> str:
    """``value`` (TeX source, None -> "") as plain unicode; not marked safe, so autoescaped."""
    return tex_to_text("" if value is None else str(value))


@register.filter(name="author_name")
def author_name(value: object) -> str:
    """An author as plain text "Forenames Keyname Suffix"; a plain string is converted as is."""
    if value is None:
        return ""
    parts = [getattr(value, attr, "") for attr in ("forenames", "keyname", "suffix")]
    if not any(parts):
        return tex_to_text(str(value))
    return tex_to_text(" ".join(str(part) for part in parts if part))
