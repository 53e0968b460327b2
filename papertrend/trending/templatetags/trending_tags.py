"""Template tags for trending: ``{% sparkline points %}`` and ``{% star_chart chart %}``.

Load with ``{% load trending_tags %}``. Both return inline SVG (see ``trending.sparkline``).
"""

from __future__ import annotations

from datetime import date

from django import template
from django.utils.safestring import SafeString

from papertrend.trending.sparkline import sparkline_svg, star_chart_svg

register = template.Library()


@register.simple_tag
def sparkline(points: list[int] | None, width: int = 120, height: int = 24) -> SafeString:
    """A card's sparkline of ``points`` (new stars per day, oldest first)."""
    return sparkline_svg(list(points or []), width=width, height=height)


@register.simple_tag
def star_chart(
    series: list[tuple[date, int]] | None, name: str = "", width: int = 600, height: int = 160
) -> SafeString:
    """A paper page's cumulative star chart; ``name`` labels it (escaped)."""
    return star_chart_svg(list(series or []), width=width, height=height, name=name)
