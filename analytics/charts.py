"""Server-side SVG charts for the staff dashboard: no JavaScript, no CDN, readable in any browser.

Each function returns one `<svg class="chart">` element (safe to embed as-is; every label is
escaped) with a <title> for screen readers, axes, tick labels and a legend where it helps.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 56, 16, 40, 48  # margins around the plot area
TICKS = 5
AXIS_COLOR = "#6b7280"
GRID_COLOR = "#e5e7eb"
FONT = 'font-family="system-ui, sans-serif" font-size="11" fill="#374151"'


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]
    color: str


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^n at or above `value`: round numbers for the top of an axis."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or float(value).is_integer() else f"{value:.1f}"


def _svg(title: str, height: int, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<text x="{PLOT_LEFT}" y="20" {FONT} font-size="14" font-weight="600">{escape(title)}</text>'
        + "".join(body) + "</svg>"
    )


def _empty(title: str, height: int) -> SafeString:
    message = f'<text x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle" {FONT}>No data yet</text>'
    return _svg(title, height, [message])


def _value_axis(top: float, height: int, unit: str) -> list[str]:
    """Horizontal grid lines with tick labels, from 0 to `top`, and the axis unit."""
    plot_height = height - PLOT_TOP - PLOT_BOTTOM
    parts = []
    for tick in range(TICKS + 1):
        value = top * tick / TICKS
        y = PLOT_TOP + plot_height * (1 - tick / TICKS)
        parts.append(f'<line x1="{PLOT_LEFT}" x2="{WIDTH - PLOT_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{GRID_COLOR if tick else AXIS_COLOR}"/>')
        parts.append(f'<text x="{PLOT_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{_number(value)}</text>')
    parts.append(f'<text x="12" y="{PLOT_TOP + plot_height / 2:.1f}" transform="rotate(-90 12 '
                 f'{PLOT_TOP + plot_height / 2:.1f})" text-anchor="middle" {FONT}>{escape(unit)}</text>')
    return parts


def _category_labels(labels: list[str], height: int) -> list[str]:
    """Labels under each slot; thinned out so they never overlap."""
    slot = (WIDTH - PLOT_LEFT - PLOT_RIGHT) / max(len(labels), 1)
    every = max(1, math.ceil(40 / slot))
    return [f'<text x="{PLOT_LEFT + slot * (index + 0.5):.1f}" y="{height - PLOT_BOTTOM + 16}" '
            f'text-anchor="middle" {FONT}>{escape(label)}</text>'
            for index, label in enumerate(labels) if index % every == 0]


def _legend(series: list[Series], height: int) -> list[str]:
    parts, x = [], PLOT_LEFT
    for item in series:
        parts.append(f'<rect x="{x}" y="{height - 16}" width="10" height="10" fill="{item.color}"/>'
                     f'<text x="{x + 14}" y="{height - 7}" {FONT}>{escape(item.name)}</text>')
        x += 24 + 7 * len(item.name)
    return parts


def stacked_bar_chart(*, title: str, labels: list[str], series: list[Series], unit: str,
                      height: int = 300) -> SafeString:
    totals = [sum(item.values[index] or 0 for item in series) for index in range(len(labels))]
    if not any(totals):
        return _empty(title, height)
    top = nice_ceiling(max(totals))
    plot_height = height - PLOT_TOP - PLOT_BOTTOM
    slot = (WIDTH - PLOT_LEFT - PLOT_RIGHT) / len(labels)
    parts = _value_axis(top, height, unit)
    for index, label in enumerate(labels):
        baseline = PLOT_TOP + plot_height
        for item in series:
            value = item.values[index] or 0
            if not value:
                continue
            bar_height = plot_height * value / top
            baseline -= bar_height
            parts.append(f'<rect class="bar" x="{PLOT_LEFT + slot * index + slot * 0.15:.1f}" y="{baseline:.1f}" '
                         f'width="{slot * 0.7:.1f}" height="{bar_height:.1f}" fill="{item.color}">'
                         f'<title>{escape(label)}: {escape(item.name)} {_number(value)}</title></rect>')
    return _svg(title, height, parts + _category_labels(labels, height) + _legend(series, height))


def line_chart(*, title: str, labels: list[str], series: list[Series], unit: str, height: int = 300) -> SafeString:
    """Lines with a dot per point; a missing value (None) breaks the line."""
    present = [value for item in series for value in item.values if value is not None]
    if not present:
        return _empty(title, height)
    top = nice_ceiling(max(present))
    plot_height = height - PLOT_TOP - PLOT_BOTTOM
    slot = (WIDTH - PLOT_LEFT - PLOT_RIGHT) / len(labels)
    parts = _value_axis(top, height, unit)
    for item in series:
        segment: list[str] = []
        for index, value in enumerate(item.values + [None]):
            if value is None:
                if len(segment) > 1:
                    parts.append(f'<polyline class="line" fill="none" stroke="{item.color}" stroke-width="2" '
                                 f'points="{" ".join(segment)}"/>')
                segment = []
                continue
            x, y = PLOT_LEFT + slot * (index + 0.5), PLOT_TOP + plot_height * (1 - value / top)
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{item.color}">'
                         f'<title>{escape(labels[index])}: {escape(item.name)} {_number(value)}</title></circle>')
    return _svg(title, height, parts + _category_labels(labels, height) + _legend(series, height))


def horizontal_bar_chart(*, title: str, items: list[tuple[str, float]], color: str = "#2563eb") -> SafeString:
    """One labelled bar per item, longest first as given; the value is printed at the bar's end."""
    row_height, label_width = 26, 220
    height = PLOT_TOP + row_height * max(len(items), 1) + 12
    if not items:
        return _empty(title, 120)
    top = max(value for _, value in items) or 1  # all zeros (an idle queue) still draws its rows
    bar_room = WIDTH - label_width - PLOT_RIGHT - 60
    parts = []
    for index, (label, value) in enumerate(items):
        y = PLOT_TOP + row_height * index
        shown = label if len(label) <= 32 else label[:31] + "…"
        parts.append(f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" {FONT}>{escape(shown)}</text>'
                     f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{bar_room * value / top:.1f}" '
                     f'height="{row_height - 8}" fill="{color}"><title>{escape(label)}: {_number(value)}</title></rect>'
                     f'<text x="{label_width + bar_room * value / top + 6:.1f}" y="{y + 16}" {FONT}>'
                     f'{_number(value)}</text>')
    parts.append(f'<line x1="{label_width}" x2="{label_width}" y1="{PLOT_TOP}" y2="{height - 12}" '
                 f'stroke="{AXIS_COLOR}"/>')
    return _svg(title, height, parts)
