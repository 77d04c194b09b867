"""The trends as JSON, as a Markdown table, as an HTML page, or as a chart file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson

from projections._errors import BadArgument


def render_trends(data: dict[str, Any], fmt: str, *, prepared: dt.datetime | None = None) -> str:
    if fmt == "json":
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    if fmt == "md":
        return _markdown(data)
    if fmt == "html":
        from projections._html import trends_html

        return trends_html(data, prepared=prepared or dt.datetime.now(dt.UTC))
    raise BadArgument(f"--format {fmt}: use json, md or html")


def save_trend_chart(
    data: dict[str, Any], path: Path, *, prepared: dt.datetime | None = None
) -> None:
    """The trend chart as ``path`` (.png or .svg): titled with its months, and marked under
    it with the protective marking and when (``prepared``, default now) and from what store
    position it was produced."""
    from projections import _charts
    from projections._marking import produced

    stamp = produced(prepared or dt.datetime.now(dt.UTC), data["position"])
    _charts.save(_charts.trend_figure(data, stamp=stamp), path)


def _cell(value: float | None, change: float | None) -> str:
    if value is None:
        return "–"
    shown = f"{value:.1f}" if isinstance(value, float) else str(value)
    if change is None:
        return shown
    delta = f"{change:+.1f}" if isinstance(change, float) else f"{change:+d}"
    return f"{shown} ({delta})"


def _markdown(data: dict[str, Any]) -> str:
    names = list(data["series"])
    lines = [
        f"# Missing children trends, {data['months'][0]} to {data['months'][-1]}",
        "",
        f"Each figure with its change on the same month a year before, in brackets. Built from"
        f" the records as they stood at store position {data['position']}; repeat list:"
        f" {data['threshold']} or more episodes in {data['window_days']} days.",
        "",
        "| month | " + " | ".join(data["titles"][n] for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for i, month in enumerate(data["months"]):
        cells = [_cell(data["series"][n][i], data["change"][n][i]) for n in names]
        lines.append(f"| {month} | " + " | ".join(cells) + " |")
    lines += ["", "## Definitions", ""]
    lines += [f"- **{data['titles'][n]}**: {data['definitions'][n]}" for n in names]
    return "\n".join(lines) + "\n"
