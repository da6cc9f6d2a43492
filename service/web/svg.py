"""Geometry of the server-drawn charts: the 100-icon array and the contribution bars.

Numbers live here, and the SVG without words: the icons of the array (web/_icon_array.html
draws them once per count: service.web.pieces) and a factor's bar. The templates draw the rest
and give it words in the page language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

ICONS = 100
COLUMNS = 10
CELL = 24  # px per icon, in the SVG's own units
BAR_WIDTH = 160  # px of one contribution bar's drawing area
BAR_HEIGHT = 18
BAR_PAD = 4  # px kept free at both ends of the bar area


@dataclass(frozen=True)
class Icon:
    """One icon of the array: where it sits and whether it stands for a patient with the event."""

    x: int
    y: int
    filled: bool


def icon_array(filled: int) -> tuple[Icon, ...]:
    """100 icons, row by row from the top left, the first ``filled`` of them filled."""
    filled = max(0, min(ICONS, filled))
    return tuple(Icon(CELL * (i % COLUMNS), CELL * (i // COLUMNS), i < filled)
                 for i in range(ICONS))


def icon_uses(filled: int) -> Markup:
    """The SVG ``<use>`` elements of ``icon_array(filled)``, each on its own line."""
    return Markup("".join(
        f'\n    <use href="#person" x="{icon.x}" y="{icon.y}" '
        f'class="{"icon-with" if icon.filled else "icon-without"}"/>'
        for icon in icon_array(filled)))


def icon_array_size() -> tuple[int, int]:
    """Width and height of the icon array, in SVG units."""
    return CELL * COLUMNS, CELL * (ICONS // COLUMNS)


@dataclass(frozen=True)
class Bar:
    """One horizontal bar from the zero line: its left edge, width and direction."""

    x: float
    width: float
    zero: float
    direction: int  # +1 raises the risk, -1 lowers it, 0 no effect


def bars(values: Sequence[float]) -> tuple[Bar, ...]:
    """Bars on one shared scale: the zero line where the smallest and largest values fit."""
    low = min([0.0, *values])
    high = max([0.0, *values])
    span = (high - low) or 1.0
    scale = (BAR_WIDTH - 2 * BAR_PAD) / span
    zero = BAR_PAD + (0.0 - low) * scale
    found = []
    for value in values:
        end = zero + value * scale
        direction = (value > 0) - (value < 0)
        found.append(Bar(round(min(zero, end), 2), round(abs(end - zero), 2), round(zero, 2),
                         direction))
    return tuple(found)


def bar_svg(bar: Bar, missing: bool) -> Markup:
    """One factor's bar as SVG: the zero line, and a rectangle when the bar has a width (striped
    when the factor was missing, else by its direction)."""
    rect = ""
    if bar.width > 0:
        kind = "bar-missing" if missing else "bar-up" if bar.direction > 0 else "bar-down"
        rect = (f'\n  <rect class="bar {kind}"\n        x="{bar.x}" y="3" width="{bar.width}" '
                f'height="{BAR_HEIGHT - 6}"/>')
    return Markup(
        f'<svg class="bar-svg" viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}" width="{BAR_WIDTH}" '
        f'height="{BAR_HEIGHT}" aria-hidden="true" focusable="false">\n  <line class="zero-line" '
        f'x1="{bar.zero}" x2="{bar.zero}" y1="0" y2="{BAR_HEIGHT}"/>{rect}\n</svg>')
