"""Inline SVG charts: valid XML, escaped text, numeric attributes, degenerate series."""

from __future__ import annotations

import re
from datetime import date, timedelta

import defusedxml.ElementTree as ET
import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString

from papertrend.trending.sparkline import sparkline_svg, star_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> object:
    return ET.fromstring(svg)


def polyline_points(svg: str) -> list[tuple[float, float]]:
    root = parse(svg)
    line = root.find(f"{SVG}polyline")  # type: ignore[attr-defined]
    assert line is not None
    return [tuple(map(float, p.split(","))) for p in line.get("points").split()]  # type: ignore[misc]


@pytest.mark.parametrize(
    "points",
    [[], [5], [0, 0, 0], [3, 3, 3], [0, 10, 2, 400, 0], list(range(30)), [-4, 2]],
)
def test_sparkline_shapes(points: list[int]) -> None:
    svg = sparkline_svg(points)
    assert isinstance(svg, SafeString)
    root = parse(svg)
    assert root.get("role") == "img"  # type: ignore[attr-defined]
    assert root.get("aria-label")  # type: ignore[attr-defined]
    assert root.find(f"{SVG}title") is not None  # type: ignore[attr-defined]
    coords = polyline_points(svg)
    assert len(coords) == max(2, len(points))
    assert all(0 <= x <= 120 and 0 <= y <= 24 for x, y in coords)
    assert "<script" not in svg and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_sparkline_peak_is_highest_and_zero_is_bottom() -> None:
    coords = polyline_points(sparkline_svg([0, 5, 10], width=100, height=20))
    ys = [y for _, y in coords]
    assert ys[2] < ys[1] < ys[0] == 18.0
    assert coords[0][0] == 2.0 and coords[-1][0] == 98.0
    label = parse(sparkline_svg([0, 5, 10])).get("aria-label")  # type: ignore[attr-defined]
    assert label == "New stars per day over 3 days: 15 in all, at most 10 a day"
    flat = polyline_points(sparkline_svg([0, 0]))
    assert {y for _, y in flat} == {22.0}


def test_star_chart_labels_and_title() -> None:
    start = date(2024, 9, 1)
    series = [(start + timedelta(days=i), 10 * i) for i in range(31)]
    svg = star_chart_svg(series, name="keploy/keploy")
    root = parse(svg)
    texts = [t.text for t in root.findall(f"{SVG}text")]  # type: ignore[attr-defined]
    assert texts == ["300", "0", "2024-09-01", "2024-10-01"]
    title = root.find(f"{SVG}title").text  # type: ignore[attr-defined]
    assert title == "Stars of keploy/keploy: 0 on 2024-09-01, 300 on 2024-10-01, at most 300"
    assert root.get("aria-label") == title  # type: ignore[attr-defined]
    assert len(polyline_points(svg)) == 31


def test_star_chart_escapes_names_and_survives_edge_cases() -> None:
    evil = '"><script>alert(1)</script>&'
    svg = star_chart_svg([(date(2024, 1, 1), 3)], name=evil)
    assert "<script>" not in svg
    root = parse(svg)  # still well-formed XML
    assert evil in root.get("aria-label")  # type: ignore[attr-defined]
    assert len({y for _, y in polyline_points(svg)}) == 1  # one day: flat line
    empty = star_chart_svg([], name=evil)
    assert "No star history yet" in empty and "<script>" not in empty
    parse(empty)
    # unsorted, gappy and long series
    gappy = [(date(2024, 3, 1), 50), (date(2023, 1, 1), 0), (date(2024, 3, 2), 50)]
    xs = [x for x, _ in polyline_points(star_chart_svg(gappy))]
    assert xs == sorted(xs) and xs[1] > 500  # time-proportional x
    long = [(date(2020, 1, 1) + timedelta(days=i), i) for i in range(5000)]
    assert len(polyline_points(star_chart_svg(long, width=600))) == 300
    # attributes carry numbers only
    for value in re.findall(r'\s(?:x|y|x1|x2|y1|y2|width|height)="([^"]*)"', star_chart_svg(long)):
        float(value)


def test_template_tags() -> None:
    html = Template(
        "{% load trending_tags %}{% sparkline points %}|{% star_chart series 'a<b' %}"
    ).render(Context({"points": [1, 2], "series": [(date(2024, 1, 1), 1)]}))
    spark, chart = html.split("|")
    assert spark.startswith('<svg class="sparkline"')
    assert "a&lt;b" in chart and "a<b" not in chart
    assert Template("{% load trending_tags %}{% sparkline none %}").render(Context({}))
