"""Star charts as inline SVG, rendered on the server: no script, nothing from another origin.

Every text that reaches the SVG goes through :func:`django.utils.html.escape`;
attributes carry only numbers this module formats. Lines use ``currentColor`` so
the charts follow the page's colours (light and dark).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PAD = 2.0
LINE = 'fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"'


def _num(x: float) -> str:
    """A coordinate with at most one decimal, never "-0"."""
    text = f"{x:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _polyline(xs: Sequence[float], ys: Sequence[float]) -> str:
    coords = " ".join(f"{_num(x)},{_num(y)}" for x, y in zip(xs, ys, strict=True))
    return f'<polyline {LINE} points="{coords}"/>'


def _scale(values: Sequence[int], top: float, bottom: float) -> list[float]:
    """Values mapped onto [bottom, top] (SVG y grows downwards); a flat series sits at bottom."""
    low, high = min(values), max(values)
    if high == low:
        return [bottom] * len(values)
    return [bottom - (v - low) * (bottom - top) / (high - low) for v in values]


def sparkline_svg(points: list[int], width: int = 120, height: int = 24) -> SafeString:
    """A small line of ``points`` (e.g. new stars per day, oldest first) as ``<svg>``.

    Zero is the bottom line so a quiet repository draws flat; an empty list draws
    only that line. The accessible name says the total and the busiest day.
    ``width`` and ``height`` are pixels (at least 8).
    """
    width, height = max(int(width), 8), max(int(height), 8)
    values = [max(0, int(v)) for v in points]
    bottom, top = height - PAD, PAD
    total, peak = sum(values), max(values, default=0)
    label = escape(
        f"New stars per day over {len(values)} days: {total:,} in all, at most {peak:,} a day"
        if values
        else "No star history yet"
    )
    if len(values) >= 2:
        step = (width - 2 * PAD) / (len(values) - 1)
        xs = [PAD + i * step for i in range(len(values))]
        ys = _scale([0, *values], top, bottom)[1:]
        body = _polyline(xs, ys)
    elif values:
        y = _scale([0, values[0]], top, bottom)[1]
        body = _polyline([PAD, width - PAD], [y, y])
    else:
        body = _polyline([PAD, width - PAD], [bottom, bottom])
    return mark_safe(  # noqa: S308 - every text above is escaped, attributes are numbers
        f'<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">'
        f"<title>{label}</title>{body}</svg>"
    )


def _thin(series: Sequence[tuple[date, int]], limit: int) -> list[tuple[date, int]]:
    """At most ``limit`` points, evenly spaced, always keeping the first and the last."""
    if len(series) <= limit:
        return list(series)
    step = (len(series) - 1) / (limit - 1)
    return [series[round(i * step)] for i in range(limit)]


def star_chart_svg(
    series: list[tuple[date, int]],
    width: int = 600,
    height: int = 160,
    name: str = "",
) -> SafeString:
    """A repository's cumulative stars over time as ``<svg>``, with axis labels.

    ``series`` is ``(day, stars)`` pairs, oldest first (unsorted input is sorted;
    days need not be contiguous: x is proportional to time). Labels: the first and
    last day under the line, the maximum and zero on the left. ``name`` (e.g.
    ``owner/repo``) goes into the accessible title. An empty series draws a
    "no star history yet" chart; a single day draws a flat line.
    """
    width, height = max(int(width), 120), max(int(height), 60)
    data = _thin(sorted(series), max(2, width // 2))
    subject = f"Stars of {name}" if name else "Stars"
    left, right, top, bottom = 48.0, width - 8.0, 12.0, height - 22.0
    text = 'font-size="11" fill="currentColor"'
    if not data:
        label = escape(f"{subject}: no star history yet")
        return mark_safe(  # noqa: S308 - escaped text, numeric attributes
            f'<svg class="star-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{label}"><title>{label}</title>'
            f'<text x="{_num(left)}" y="{_num(height / 2)}" {text}>No star history yet</text></svg>'
        )
    first_day, last_day = data[0][0], data[-1][0]
    values = [max(0, int(v)) for _, v in data]
    peak = max(values)
    span = (last_day - first_day).days
    if span == 0:
        xs = [left, right]
        ys = [_scale([0, values[-1]], top, bottom)[1]] * 2
    else:
        xs = [left + (d - first_day).days * (right - left) / span for d, _ in data]
        ys = _scale([0, *values], top, bottom)[1:]
    label = escape(
        f"{subject}: {values[0]:,} on {first_day.isoformat()}, "
        f"{values[-1]:,} on {last_day.isoformat()}, at most {peak:,}"
    )
    axis = 'stroke="currentColor" stroke-opacity="0.3" stroke-width="1"'
    parts = [
        f'<svg class="star-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">',
        f"<title>{label}</title>",
        f'<line x1="{_num(left)}" y1="{_num(bottom)}" x2="{_num(right)}" y2="{_num(bottom)}" '
        f"{axis}/>",
        f'<line x1="{_num(left)}" y1="{_num(top)}" x2="{_num(left)}" y2="{_num(bottom)}" {axis}/>',
        _polyline(xs, ys),
        f'<text x="{_num(left - 4)}" y="{_num(top + 4)}" text-anchor="end" {text}>'
        f"{escape(f'{peak:,}')}</text>",
        f'<text x="{_num(left - 4)}" y="{_num(bottom)}" text-anchor="end" {text}>0</text>',
        f'<text x="{_num(left)}" y="{_num(height - 6)}" {text}>{escape(first_day.isoformat())}'
        "</text>",
        f'<text x="{_num(right)}" y="{_num(height - 6)}" text-anchor="end" {text}>'
        f"{escape(last_day.isoformat())}</text>",
        "</svg>",
    ]
    return mark_safe("".join(parts))  # noqa: S308 - escaped text, numeric attributes
