"""Charts for the forum pack and the trends, drawn with matplotlib.

Every chart carries, in the image itself, its period in its title and, under it, the
protective marking and when and from what store position it was produced: a chart cut out of
the pack, or saved by ``hub trends --chart``, still says what it is. Charts are drawn at the
printed pack's width (A4 portrait less its margins), so they print at their own size.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot, so no global state
and no display), and saved as SVG with text kept as text (small, searchable, printable) or as
PNG. matplotlib is imported only when a chart is drawn: the JSON and Markdown paths never pay
for it.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from projections._marking import MARKING, month_name

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

THIS_YEAR = "#1d4e89"
LAST_YEAR = "#9aa5b1"
ACCENT = "#c2452d"
MUTED = "#52606d"
WIDTH = 7.0  # inches: A4 portrait (210 mm) less the printed page's side margins
HALF = 3.4  # half that, less the gap: a chart beside a table
_STYLE: Any = {  # matplotlib types rc keys as literals; these are checked when used
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the same everywhere
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "svg.fonttype": "none",
    "text.parse_math": False,  # a "$" in a placement reference is a dollar, not maths
    "text.usetex": False,
    "svg.hashsalt": "hub",  # the same data gives the same file
}


def trend_figure(data: dict[str, Any], *, stamp: str) -> Figure:
    """One small chart per series: the months asked (solid) over the year before (dashed).
    ``stamp``: when and from what it was produced (``_marking.produced``)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    names = list(data["series"])
    months = data["months"]
    with rc_context(_STYLE):
        columns = 2
        rows = (len(names) + columns - 1) // columns
        figure = Figure(figsize=(WIDTH, 0.9 + 1.75 * rows), layout="constrained")
        axes = figure.subplots(rows, columns, squeeze=False).flatten()
        for ax, name in zip(axes, names, strict=False):
            _trend_axes(ax, months, data, name)
        for ax in axes[len(names) :]:
            ax.set_visible(False)
        period = f"{month_name(months[0])} to {month_name(months[-1])}"
        if len(months) == 1:
            period = month_name(months[0])
        _stamped(figure, f"Missing children trends: {period}", stamp, axes[0].get_lines()[1::-1])
    return figure


def _trend_axes(ax: Axes, months: list[str], data: dict[str, Any], name: str) -> None:
    x = range(len(months))
    now = [_nan(v) for v in data["series"][name]]
    before = [_nan(v) for v in data["previous_year"][name]]
    ax.plot(
        x,
        before,
        color=LAST_YEAR,
        linestyle="--",
        linewidth=1.2,
        label="the same month a year before",
    )
    ax.plot(
        x, now, color=THIS_YEAR, linewidth=2, marker="o", markersize=2.5, label="the months shown"
    )
    unit = data["units"][name]
    ax.set_title(data["titles"][name] + (" (%)" if unit == "percent" else ""))
    highest = max((v for v in now + before if v == v), default=0)  # NaN != NaN
    ax.set_ylim(0, 100 if unit == "percent" else max(4, highest * 1.15))
    ax.grid(axis="y", color="#e3e7eb", linewidth=0.8)
    step = -(-len(months) // 7)
    ticks = list(x)[::step]
    years = [months[i][:4] for i in ticks]
    ax.set_xticks(ticks, [_short(months[i], n == 0 or years[n - 1] != years[n])
                          for n, i in enumerate(ticks)])  # fmt: skip
    ax.tick_params(axis="x", labelsize=8)
    if unit == "count":
        ax.yaxis.set_major_locator(_integers())


def _short(month: str, new_year: bool) -> str:
    """``Apr`` under each tick, and the year under the first tick of each year."""
    name = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    label = name[int(month[5:]) - 1]
    return f"{label}\n{month[:4]}" if new_year else label


def _integers() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins="auto", integer=True)


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def bars_figure(
    title: str,
    labels: list[str],
    values: list[int],
    previous: list[int] | None = None,
    *,
    stamp: str,
    names: tuple[str, str] = ("this month", "last month"),
    width: float = WIDTH,
) -> Figure:
    """Horizontal bars, largest first, optionally beside an earlier value. ``title`` names the
    period; ``stamp``: when and from what it was produced (``_marking.produced``)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context(_STYLE):
        height = 1.25 + (0.26 if previous is None else 0.3) * max(2, len(labels))
        figure = Figure(figsize=(width, height), layout="constrained")
        ax = figure.subplots()
        y = list(range(len(labels)))
        key = []
        if previous is None:
            ax.barh(y, values, color=THIS_YEAR, height=0.6)
        else:
            from matplotlib.patches import Patch

            ax.barh([i - 0.2 for i in y], values, color=THIS_YEAR, height=0.38)
            ax.barh([i + 0.2 for i in y], previous, color=LAST_YEAR, height=0.38)
            key = [Patch(color=THIS_YEAR, label=names[0]), Patch(color=LAST_YEAR, label=names[1])]
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        if not any(values) and not any(previous or []):
            ax.set_xlim(0, 1)  # nothing to count: an axis from 0, not around it
        ax.xaxis.set_major_locator(_integers())
        ax.grid(axis="x", color="#e3e7eb", linewidth=0.8)
        ax.set_axisbelow(True)
        _stamped(figure, title, stamp, key)
    return figure


def _stamped(figure: Figure, title: str, stamp: str, key: list[Any] | None = None) -> None:
    """The title (with its period) over the figure, with ``key`` (the legend's handles) under
    it, and the marking and ``stamp`` under the figure, each wrapped to the figure's width; the
    figure grows by their height."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    width, height = figure.get_size_inches()
    head = _wrapped(title, width, 10, bold=True)
    foot = _wrapped(f"{MARKING}\n{stamp}", width, 7)
    top = 0.1 + 10 * 1.3 * len(head) / 72  # inches
    legend = 0.3 if key else 0.0
    bottom = 0.12 + 7 * 1.45 * len(foot) / 72
    total = height + top + legend + bottom
    figure.set_size_inches(width, total)
    engine = figure.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0, bottom / total, 1, height / total))
    left = 0.06 / width
    figure.text(left, 1 - 0.06 / total, "\n".join(head), ha="left", va="top",
                fontsize=10, fontweight="bold", linespacing=1.3)  # fmt: skip
    if key:
        figure.legend(handles=key, loc="upper left", bbox_to_anchor=(0, 1 - top / total),
                      ncols=len(key), frameon=False, borderaxespad=0.2)  # fmt: skip
    figure.text(left, 0.06 / total, "\n".join(foot), ha="left", va="bottom",
                fontsize=7, color=MUTED, linespacing=1.45)  # fmt: skip


def _wrapped(text: str, width: float, points: float, *, bold: bool = False) -> list[str]:
    """``text``'s lines, each wrapped to ``width`` inches of DejaVu Sans at ``points``; a year
    stays with its month, and a line in parts between dashes (the marking) is broken after a
    dash where its parts fit."""
    import textwrap

    fits = int((width - 0.12) * 72 / (points * (0.62 if bold else 0.55)))
    lines = []
    for line in text.split("\n"):
        glued = re.sub(r" (?=\d{4}\b)", "\u00a0", line)  # a year to the word before it
        kept = glued.replace(" ", "\u00a0").replace("—\u00a0", "— ")
        parts = textwrap.wrap(kept, fits, break_long_words=False, break_on_hyphens=False)
        if any(len(part) > fits for part in parts):
            parts = textwrap.wrap(glued, fits, break_on_hyphens=False)
        lines += [part.replace("\u00a0", " ") for part in parts]
    return lines


def svg(figure: Figure) -> str:
    """The figure as an ``<svg>`` element to put inside an HTML page."""
    out = io.StringIO()
    with _rc():
        figure.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text[text.index("<svg") :], flags=re.S)


def save(figure: Figure, path: Path) -> None:
    """As SVG or PNG, by the file's suffix."""
    from projections._errors import BadArgument

    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise BadArgument(f"--chart {path}: give a file ending .png or .svg")
    with _rc():
        if suffix == ".svg":
            figure.savefig(path, format="svg", metadata={"Date": None})
        else:
            figure.savefig(path, format="png", dpi=150, metadata={"Software": None})


def _rc() -> Any:
    from matplotlib import rc_context

    return rc_context(_STYLE)
