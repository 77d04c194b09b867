"""Charts for the forum pack and the trends, drawn with matplotlib.

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

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

THIS_YEAR = "#1d4e89"
LAST_YEAR = "#9aa5b1"
ACCENT = "#c2452d"
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


def trend_figure(data: dict[str, Any]) -> Figure:
    """One small chart per series: the months asked (solid) over the year before (dashed)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    names = list(data["series"])
    months = data["months"]
    with rc_context(_STYLE):
        columns = 2
        rows = (len(names) + columns - 1) // columns
        figure = Figure(figsize=(10, 2.3 * rows), layout="constrained")
        axes = figure.subplots(rows, columns, squeeze=False).flatten()
        for ax, name in zip(axes, names, strict=False):
            _trend_axes(ax, months, data, name)
        for ax in axes[len(names) :]:
            ax.set_visible(False)
        figure.legend(
            handles=axes[0].get_lines()[:2], loc="outside lower center", ncols=2, frameon=False
        )
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

    return MaxNLocator(integer=True)


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def bars_figure(
    title: str,
    labels: list[str],
    values: list[int],
    previous: list[int] | None = None,
    *,
    names: tuple[str, str] = ("this month", "last month"),
) -> Figure:
    """Horizontal bars, largest first, optionally beside an earlier value."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context(_STYLE):
        height = 1.2 + 0.32 * max(2, len(labels))
        figure = Figure(figsize=(6.5, height), layout="constrained")
        ax = figure.subplots()
        y = list(range(len(labels)))
        if previous is None:
            ax.barh(y, values, color=THIS_YEAR, height=0.6)
        else:
            ax.barh([i - 0.2 for i in y], values, color=THIS_YEAR, height=0.38, label=names[0])
            ax.barh([i + 0.2 for i in y], previous, color=LAST_YEAR, height=0.38, label=names[1])
            figure.legend(loc="outside lower center", ncols=2, frameon=False)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_title(title)
        ax.xaxis.set_major_locator(_integers())
        ax.grid(axis="x", color="#e3e7eb", linewidth=0.8)
        ax.set_axisbelow(True)
    return figure


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
