"""A figure drawn as SVG text, with the few matplotlib calls the page's plots make: the browser renders it.

Drawing and encoding the page's two plots with matplotlib took about 0.28 s a Step (issue 23: a Step must
redraw in under 0.2 s); most of it was matplotlib's per-text and per-tick work, which no caching of artists
removed. The plot functions in :mod:`negotiation.views` take the figure class as an argument: the page passes
:class:`SvgFigure` (a few milliseconds a plot, the browser drawing it), the downloads matplotlib's ``Figure``
(PNG), so both show the same series, labels, colours and legend from one piece of code.

Only what ``views.offers_figure`` and ``views.utility_figure`` call is here: ``subplots``, ``plot`` with a
format string (markers ``o s ^ v D P *``; lines ``-``, ``:``, ``--``), ``axhline``, limits, labels, title,
grid, legend (``loc="best"`` picks the corner with fewest points under it) and an integer x locator.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

DPI = 100.0  # pixels per inch, as matplotlib's default figure
PT = DPI / 72.0  # pixels per point
FONT = 10.0 * PT  # matplotlib's default font size
FONT_SIZES = {"xx-small": 0.579, "x-small": 0.694, "small": 0.833, "medium": 1.0, "large": 1.2}
CHAR_W = 0.55  # a DejaVu Sans character's mean width, in font sizes (to size legends and margins)
MARKERS = "os^vDP*"
DASHES = {"-": None, ":": (1.0, 1.65), "--": (3.7, 1.6)}  # matplotlib's patterns, in line widths
MINUS = "\u2212"


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _text_width(text: str, size: float) -> float:
    return max((len(line) for line in text.split("\n")), default=0) * CHAR_W * size


def _split_format(fmt: str) -> tuple[str | None, str | None]:
    """A matplotlib format string's marker and line style: ``"o-"`` → (``o``, ``-``); ``"*"`` → (``*``, None)."""
    marker = next((c for c in fmt if c in MARKERS), None)
    rest = fmt.replace(marker, "") if marker else fmt
    style = rest if rest in DASHES else None
    return marker, style


def nice_ticks(low: float, high: float, integer: bool = False, most: int = 9) -> list[float]:
    """Round tick values over [low, high], at most ``most`` intervals, as matplotlib's ``MaxNLocator``.

    Steps of 1, 2, 2.5 or 5 × a power of ten; whole numbers if asked.

    >>> nice_ticks(-2, 102)
    [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    >>> nice_ticks(0.5, 3.5, integer=True)
    [1.0, 2.0, 3.0]
    """
    if not high > low:
        return [low]
    span = high - low
    for exponent in range(math.floor(math.log10(span)) - 2, math.floor(math.log10(span)) + 2):
        for mantissa in (1, 2, 2.5, 5):
            step = mantissa * 10.0**exponent
            if integer and (step < 1 or step != int(step)):
                continue
            if span / step <= most:
                first = math.ceil(low / step - 1e-9)
                ticks = [round((first + k) * step, 12) for k in range(int((high - first * step) / step + 1e-9) + 1)]
                return [t for t in ticks if low - 1e-9 <= t <= high + 1e-9] or [low]
    return [low, high]


def _tick_label(value: float, ticks: Sequence[float]) -> str:
    """A tick's label with as many decimals as the ticks' step needs, and a true minus sign.

    >>> [_tick_label(t, [10, 12.5, 15]) for t in (10, 12.5)], _tick_label(-5, [-5, 0, 5])
    (['10.0', '12.5'], '−5')
    """
    step = min((abs(b - a) for a, b in zip(ticks, ticks[1:], strict=False) if b != a), default=1.0)
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6 * step * 10**decimals:
        decimals += 1
    text = f"{value:.{decimals}f}"
    text = text.lstrip("-") if float(text) == 0 else text
    return text.replace("-", MINUS)


@dataclass
class _Series:
    x: list[float]
    y: list[float]
    color: str
    marker: str | None
    style: str | None
    label: str | None
    alpha: float = 1.0
    ms: float = 6.0
    lw: float = 1.5
    hline: bool = False


class _Locator:
    def __init__(self, axes: SvgAxes) -> None:
        self.axes = axes

    def set_major_locator(self, locator: Any) -> None:
        self.axes._integer_x = bool(getattr(locator, "_integer", False))


@dataclass
class SvgAxes:
    """One panel: its series, limits, labels, grid and legend."""

    series: list[_Series] = field(default_factory=list)
    xlim: tuple[float, float] | None = None
    ylim: tuple[float, float] | None = None
    xlabel: str = ""
    ylabel: str = ""
    title: str = ""
    grid_alpha: float | None = None
    legend_args: dict[str, Any] | None = None
    shared: SvgAxes | None = None  # the panel whose x-axis this one shares
    _integer_x: bool = False

    def __post_init__(self) -> None:
        self.xaxis = _Locator(self)

    def plot(self, x: Iterable[float] | float, y: Iterable[float] | float, fmt: str = "-", color: str = "#1f77b4",
             label: str | None = None, alpha: float = 1.0, ms: float = 6.0, lw: float = 1.5, **_: Any) -> None:
        """A line and/or markers, from a matplotlib format string (``"o-"``, ``"s:"``, ``"*"``)."""
        marker, style = _split_format(fmt)
        xs = [float(v) for v in x] if isinstance(x, Iterable) else [float(x)]
        ys = [float(v) for v in y] if isinstance(y, Iterable) else [float(y)]
        self.series.append(_Series(xs, ys, color, marker, style, label, alpha, ms, lw))

    def axhline(self, y: float, ls: str = "-", color: str = "#1f77b4", label: str | None = None, lw: float = 1.5,
                **_: Any) -> None:
        """A horizontal line across the panel."""
        self.series.append(_Series([], [float(y)], color, None, ls, label, 1.0, 0.0, lw, hline=True))

    def set_xlim(self, low: float, high: float) -> None:
        """The x-range (a shared x-axis's, for every panel)."""
        target = self.shared or self
        target.xlim = (float(low), float(high))

    def set_ylim(self, low: float, high: float) -> None:
        """The y-range."""
        self.ylim = (float(low), float(high))

    def set_xlabel(self, text: str) -> None:
        """The x-axis's label."""
        self.xlabel = text

    def set_ylabel(self, text: str) -> None:
        """The y-axis's label (a new line breaks it)."""
        self.ylabel = text

    def get_ylabel(self) -> str:
        """The y-axis's label."""
        return self.ylabel

    def get_xlabel(self) -> str:
        """The x-axis's label."""
        return self.xlabel

    def set_title(self, text: str) -> None:
        """The panel's title."""
        self.title = text

    def grid(self, alpha: float = 1.0, **_: Any) -> None:
        """Grid lines at the ticks, with this opacity."""
        self.grid_alpha = alpha

    def legend(self, loc: str = "best", fontsize: str = "medium", ncol: int = 1, **_: Any) -> None:
        """A legend of the labelled series."""
        self.legend_args = {"loc": loc, "fontsize": fontsize, "ncol": ncol}

    def get_legend_handles_labels(self) -> tuple[list[_Series], list[str]]:
        """The labelled series and their labels, in order."""
        found = [s for s in self.series if s.label]
        return found, [s.label or "" for s in found]

    # limits as matplotlib's autoscale would have them: the data's range with a 5% margin
    def _limits(self) -> tuple[tuple[float, float], tuple[float, float]]:
        owner = self.shared or self
        xlim = owner.xlim or _padded([v for s in self._all_x() for v in s])
        ylim = self.ylim or _padded([v for s in self.series for v in s.y])
        return xlim, ylim

    def _all_x(self) -> list[list[float]]:
        owner = self.shared or self
        return [s.x for s in owner.series] + [s.x for a in getattr(owner, "_sharers", []) for s in a.series]


def _padded(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return (0.0, 1.0)
    low, high = min(finite), max(finite)
    if high == low:  # one value: matplotlib widens it by 5% of itself (0.05 about zero), then adds its margin
        low, high = (low - 0.05, high + 0.05) if low == 0 else (low - 0.05 * abs(low), high + 0.05 * abs(high))
    pad = 0.05 * (high - low)
    return (low - pad, high + pad)


class WholeNumbers:
    """A tick locator for whole numbers, the stand-in for ``MaxNLocator(integer=True)`` (no matplotlib)."""

    _integer = True


class SvgFigure:
    """A figure of :class:`SvgAxes` panels stacked in one column, written out by :meth:`svg`."""

    whole_numbers = WholeNumbers()  # what views passes to ``xaxis.set_major_locator`` for the rounds

    def __init__(self, figsize: tuple[float, float] = (6.4, 4.8), **_: Any) -> None:
        self.width, self.height = figsize[0] * DPI, figsize[1] * DPI
        self.axes: list[SvgAxes] = []
        # each legend drawn by svg(): its box (x, y, width, height) and the panel's markers, in pixels
        self.legends: list[tuple[tuple[float, float, float, float], list[tuple[float, float]]]] = []

    def subplots(self, nrows: int = 1, ncols: int = 1, sharex: bool = False, **_: Any) -> Any:
        """``nrows`` panels in one column (``sharex``: the bottom one's x-axis for all)."""
        if ncols != 1:
            raise ValueError("SvgFigure stacks panels in one column")
        self.axes = [SvgAxes() for _ in range(nrows)]
        if sharex:
            owner = self.axes[-1]  # the bottom panel holds the x-axis, as in matplotlib the labelled one
            owner._sharers = self.axes[:-1]  # type: ignore[attr-defined]
            for ax in self.axes[:-1]:
                ax.shared = owner
        return self.axes if nrows > 1 else self.axes[0]

    def svg(self) -> str:
        """The figure as an SVG document (text)."""
        w, h = self.width, self.height
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(w)}" height="{_num(h)}" '
               f'viewBox="0 0 {_num(w)} {_num(h)}" font-family="DejaVu Sans, Bitstream Vera Sans, Arial, sans-serif" '
               f'font-size="{_num(FONT)}">', f'<rect width="{_num(w)}" height="{_num(h)}" fill="white"/>']
        n = len(self.axes)
        self.legends = []
        if not n:
            out.append("</svg>")
            return "".join(out)
        limits = [ax._limits() for ax in self.axes]
        top = 10 + (FONT * 1.2 * 1.5 if self.axes[0].title else 0)
        bottom = 10 + FONT * 1.4 + (FONT * 1.4 if self.axes[-1].xlabel else 0)
        gap = 12.0
        panel_h = (h - top - bottom - gap * (n - 1)) / n
        # matplotlib's MaxNLocator("auto"): at most one interval per two font sizes of height (three of width)
        yticks = [nice_ticks(*ylim, most=max(1, min(9, int(panel_h / (2 * FONT))))) for _, ylim in limits]
        ylabels = [[_tick_label(t, ticks) for t in ticks] for ticks in yticks]
        left = 8 + max(max((_text_width(t, FONT) for t in labels), default=0) for labels in ylabels) + 8
        left += max((ax.ylabel.count("\n") + 1) * FONT * 1.2 for ax in self.axes if ax.ylabel) if any(
            ax.ylabel for ax in self.axes) else 0
        right = 12 + _text_width(_tick_label(limits[-1][0][1], [0, 1]), FONT) / 2
        for k, (ax, (xlim, ylim), yt, yl) in enumerate(zip(self.axes, limits, yticks, ylabels, strict=True)):
            y0 = top + k * (panel_h + gap)
            out.append(self._panel(ax, left, y0, w - left - right, panel_h, xlim, ylim, yt, yl,
                                   ticks_x=(k == n - 1)))
        out.append("</svg>")
        return "".join(out)

    def to_bytes(self) -> bytes:
        """:meth:`svg` as UTF-8 bytes (what an ``image/svg+xml`` image holds)."""
        return self.svg().encode()

    def _panel(self, ax: SvgAxes, x0: float, y0: float, pw: float, ph: float, xlim: tuple[float, float],
               ylim: tuple[float, float], yticks: list[float], ylabels: list[str], ticks_x: bool) -> str:
        (xa, xb), (ya, yb) = xlim, ylim
        xb = xb if xb != xa else xa + 1
        yb = yb if yb != ya else ya + 1

        def px(x: float) -> float:
            return x0 + (x - xa) / (xb - xa) * pw

        def py(y: float) -> float:
            return y0 + ph - (y - ya) / (yb - ya) * ph

        out = []
        clip = f"clip{id(ax)}"
        out.append(f'<clipPath id="{clip}"><rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(pw)}" '
                   f'height="{_num(ph)}"/></clipPath>')
        owner = ax.shared or ax
        xticks = nice_ticks(xa, xb, integer=owner._integer_x, most=max(1, min(9, int(pw / (3 * FONT)))))
        tick = 3.5 * PT
        grid = ax.grid_alpha
        for t in yticks:
            y = py(t)
            if grid is not None:
                out.append(f'<line x1="{_num(x0)}" x2="{_num(x0 + pw)}" y1="{_num(y)}" y2="{_num(y)}" '
                           f'stroke="#b0b0b0" stroke-width="{_num(0.8 * PT)}" stroke-opacity="{grid:g}"/>')
        for t in xticks:
            x = px(t)
            if grid is not None:
                out.append(f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{_num(y0)}" y2="{_num(y0 + ph)}" '
                           f'stroke="#b0b0b0" stroke-width="{_num(0.8 * PT)}" stroke-opacity="{grid:g}"/>')
        body = [self._series(s, px, py, x0, pw) for s in ax.series]
        out.append(f'<g clip-path="url(#{clip})">{"".join(body)}</g>')
        out.append(f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(pw)}" height="{_num(ph)}" fill="none" '
                   f'stroke="black" stroke-width="{_num(0.8 * PT)}"/>')
        for t, label in zip(yticks, ylabels, strict=True):
            y = py(t)
            out.append(f'<line x1="{_num(x0 - tick)}" x2="{_num(x0)}" y1="{_num(y)}" y2="{_num(y)}" stroke="black" '
                       f'stroke-width="{_num(0.8 * PT)}"/><text x="{_num(x0 - tick - 3)}" y="{_num(y)}" '
                       f'text-anchor="end" dominant-baseline="central">{html.escape(label)}</text>')
        xlabels = [_tick_label(t, xticks) for t in xticks]
        for t, label in zip(xticks, xlabels, strict=True):
            x = px(t)
            out.append(f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{_num(y0 + ph)}" y2="{_num(y0 + ph + tick)}" '
                       f'stroke="black" stroke-width="{_num(0.8 * PT)}"/>')
            if ticks_x:
                out.append(f'<text x="{_num(x)}" y="{_num(y0 + ph + tick + 2 + FONT)}" '
                           f'text-anchor="middle">{html.escape(label)}</text>')
        if ax.title:
            out.append(f'<text x="{_num(x0 + pw / 2)}" y="{_num(y0 - 8)}" text-anchor="middle" '
                       f'font-size="{_num(1.2 * FONT)}">{html.escape(ax.title)}</text>')
        if ax.xlabel and ticks_x:
            out.append(f'<text x="{_num(x0 + pw / 2)}" y="{_num(y0 + ph + tick + 2 + FONT * 2.4)}" '
                       f'text-anchor="middle">{html.escape(ax.xlabel)}</text>')
        if ax.ylabel:
            lines = ax.ylabel.split("\n")
            width = max((_text_width(label, FONT) for label in ylabels), default=0)
            xl = x0 - tick - 3 - width - 6 - (len(lines) - 1) * FONT * 1.2
            yc = y0 + ph / 2
            spans = "".join(f'<tspan x="0" dy="{_num(0 if i == 0 else FONT * 1.2)}">{html.escape(line)}</tspan>'
                            for i, line in enumerate(lines))
            out.append(f'<text transform="translate({_num(xl)},{_num(yc)}) rotate(-90)" text-anchor="middle">'
                       f'{spans}</text>')
        if ax.legend_args is not None:
            out.append(self._legend(ax, px, py, x0, y0, pw, ph))
        return "".join(out)

    @staticmethod
    def _stroke(s: _Series) -> str:
        width = s.lw * PT
        dash = DASHES.get(s.style or "-")
        dashes = "" if dash is None else f' stroke-dasharray="{_num(dash[0] * width)} {_num(dash[1] * width)}"'
        alpha = "" if s.alpha == 1 else f' stroke-opacity="{s.alpha:g}"'
        return f'fill="none" stroke="{s.color}" stroke-width="{_num(width)}"{dashes}{alpha}'

    def _series(self, s: _Series, px: Any, py: Any, x0: float, pw: float) -> str:
        if s.hline:
            y = py(s.y[0])
            return f'<line x1="{_num(x0)}" x2="{_num(x0 + pw)}" y1="{_num(y)}" y2="{_num(y)}" {self._stroke(s)}/>'
        points = [(px(x), py(y)) for x, y in zip(s.x, s.y, strict=False) if math.isfinite(x) and math.isfinite(y)]
        out = []
        if s.style is not None and len(points) > 1:
            path = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
            out.append(f'<polyline points="{path}" {self._stroke(s)}/>')
        if s.marker is not None:
            out.extend(marker(s.marker, x, y, s.ms * PT, s.color, s.alpha) for x, y in points)
        return "".join(out)

    def _legend(self, ax: SvgAxes, px: Any, py: Any, x0: float, y0: float, pw: float, ph: float) -> str:
        entries = [s for s in ax.series if s.label]
        if not entries:
            return ""
        args = ax.legend_args or {}
        size = FONT * FONT_SIZES.get(str(args.get("fontsize", "medium")), 1.0)
        ncol = max(1, int(args.get("ncol", 1)))
        rows = math.ceil(len(entries) / ncol)
        sample = 2.0 * size
        col_w = [max(_text_width(e.label or "", size) for e in entries[c * rows:(c + 1) * rows]) + sample + 0.8 * size
                 for c in range(ncol) if entries[c * rows:(c + 1) * rows]]
        width = sum(col_w) + 0.8 * size * (len(col_w) + 1)
        height = rows * size * 1.3 + 0.8 * size
        pad = 0.5 * size
        left, right, centre = x0 + pad, x0 + pw - width - pad, x0 + (pw - width) / 2
        high, low, middle = y0 + pad, y0 + ph - height - pad, y0 + (ph - height) / 2
        corners = {"upper right": (right, high), "upper left": (left, high), "lower left": (left, low),
                   "lower right": (right, low), "center left": (left, middle), "center right": (right, middle),
                   "lower center": (centre, low), "upper center": (centre, high), "center": (centre, middle)}
        loc = args.get("loc", "best")
        if loc not in corners:  # "best": the place whose box hides least (markers most), in matplotlib's order
            marks, along = _covered_points(ax, px, py)
            lines = [py(s.y[0]) for s in ax.series if s.hline]

            def covered(corner: tuple[float, float]) -> int:
                lx, ly = corner
                hidden = sum(lx <= x <= lx + width and ly <= y <= ly + height for x, y in marks)
                crossed = sum(lx <= x <= lx + width and ly <= y <= ly + height for x, y in along)
                return 50 * hidden + crossed + 5 * sum(ly <= y <= ly + height for y in lines)

            loc = min(corners, key=lambda c: covered(corners[c]))
        lx, ly = corners[loc]
        self.legends.append(((lx, ly, width, height), _covered_points(ax, px, py)[0]))
        out = [f'<rect x="{_num(lx)}" y="{_num(ly)}" width="{_num(width)}" height="{_num(height)}" rx="3" '
               f'fill="white" fill-opacity="0.8" stroke="#cccccc"/>']
        cx = lx + 0.8 * size
        for c, cw in enumerate(col_w):
            for r, s in enumerate(entries[c * rows:(c + 1) * rows]):
                yc = ly + 0.4 * size + (r + 0.5) * size * 1.3
                if s.style is not None:
                    out.append(f'<line x1="{_num(cx)}" x2="{_num(cx + sample)}" y1="{_num(yc)}" y2="{_num(yc)}" '
                               f'{self._stroke(s)}/>')
                if s.marker is not None:
                    out.append(marker(s.marker, cx + sample / 2, yc, min(s.ms, 8.0) * PT, s.color, s.alpha))
                out.append(f'<text x="{_num(cx + sample + 0.5 * size)}" y="{_num(yc)}" font-size="{_num(size)}" '
                           f'dominant-baseline="central">{html.escape(s.label or "")}</text>')
            cx += cw + 0.8 * size
        return "".join(out)


def _covered_points(ax: SvgAxes, px: Any, py: Any, spacing: float = 6.0
                    ) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """The panel's markers, and points every ``spacing`` pixels along its lines, in pixels (for the legend)."""
    marks: list[tuple[float, float]] = []
    along: list[tuple[float, float]] = []
    for s in ax.series:
        if s.hline:
            continue
        points = [(px(x), py(y)) for x, y in zip(s.x, s.y, strict=False) if math.isfinite(x) and math.isfinite(y)]
        if s.marker is not None:
            marks.extend(points)
        if s.style is not None:
            for (xa, ya), (xb, yb) in zip(points, points[1:], strict=False):
                n = max(1, int(math.hypot(xb - xa, yb - ya) / spacing))
                along.extend((xa + (xb - xa) * k / n, ya + (yb - ya) * k / n) for k in range(n + 1))
    return marks, along


def marker(kind: str, x: float, y: float, size: float, color: str, alpha: float = 1.0) -> str:
    """One marker (matplotlib's ``o s ^ v D P *``) of ``size`` pixels across, centred on (x, y)."""
    r = size / 2
    fill = f'fill="{color}"' + ("" if alpha == 1 else f' fill-opacity="{alpha:g}"')
    if kind == "o":
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}" {fill}/>'
    if kind == "s":
        return f'<rect x="{_num(x - r)}" y="{_num(y - r)}" width="{_num(size)}" height="{_num(size)}" {fill}/>'
    shapes: dict[str, list[tuple[float, float]]] = {"^": [(0, -1), (1, 1), (-1, 1)], "v": [(0, 1), (1, -1), (-1, -1)],
              "D": [(0, -1.41), (1.41, 0), (0, 1.41), (-1.41, 0)],
              "P": [(-0.33, -1), (0.33, -1), (0.33, -0.33), (1, -0.33), (1, 0.33), (0.33, 0.33), (0.33, 1),
                    (-0.33, 1), (-0.33, 0.33), (-1, 0.33), (-1, -0.33), (-0.33, -0.33)],
              "*": [(math.cos(math.pi / 2 + k * math.pi / 5) * (1 if k % 2 == 0 else 0.38),
                     -math.sin(math.pi / 2 + k * math.pi / 5) * (1 if k % 2 == 0 else 0.38)) for k in range(10)]}
    pts = " ".join(f"{_num(x + r * dx)},{_num(y + r * dy)}" for dx, dy in shapes.get(kind, shapes["D"]))
    return f'<polygon points="{pts}" {fill}/>'
