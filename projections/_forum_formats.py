"""The forum pack as JSON, as Markdown a chair can read before the meeting, or as one
self-contained HTML page to open or print."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from projections._errors import BadArgument

_COLUMNS = (
    ("child", "child"),
    ("status", "status"),
    ("age_band", "age"),
    ("episodes_in_month", "month"),
    ("episodes_in_window", "window"),
    ("hours_missing_in_window", "hours"),
    ("highest_risk", "highest risk"),
    ("looked_after", "looked after"),
    ("uasc", "UASC"),
    ("placement_type", "placement"),
    ("open_cse", "CSE"),
    ("return_interviews_completed", "RI done"),
    ("return_interviews_due", "RI due"),
    ("agencies", "agencies"),
    ("reports", "other agencies reported"),
)


def render_forum(
    pack: dict[str, Any],
    fmt: str,
    *,
    trends: dict[str, Any] | None = None,
    prepared: dt.datetime | None = None,
) -> str:
    """``trends`` (the twelve months to the pack's month) adds a trend chart to the HTML;
    ``prepared`` dates it (default: now)."""
    if fmt == "json":
        return orjson.dumps(pack, option=orjson.OPT_INDENT_2).decode() + "\n"
    if fmt == "md":
        return _markdown(pack)
    if fmt == "html":
        from projections._html import forum_html

        return forum_html(pack, trends, prepared=prepared or dt.datetime.now(dt.UTC))
    raise BadArgument(f"--format {fmt}: use json, md or html")


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, dict):
        return "; ".join(
            f"{group}: " + ", ".join(f"{kind} {n}" for kind, n in kinds.items())
            for group, kinds in value.items()
        )
    return "" if value is None else str(value).replace("_", " ")


def _markdown(pack: dict[str, Any]) -> str:
    lines = [
        f"# Missing children forum, {pack['month']}",
        "",
        f"{pack['episodes_in_month']} episodes, {pack['children_in_month']} children this month."
        f" Built from the records as they stood at store position {pack['position']}.",
        "",
        f"## Repeat missing: {pack['threshold']} or more episodes in the {pack['window_days']}"
        f" days {pack['window']['start']} to {pack['window']['end']}",
        "",
    ]
    if pack["repeat_missing"]:
        lines.append("| " + " | ".join(title for _, title in _COLUMNS) + " |")
        lines.append("|" + "---|" * len(_COLUMNS))
        for row in pack["repeat_missing"]:
            lines.append("| " + " | ".join(_cell(row[name]) for name, _ in _COLUMNS) + " |")
    else:
        lines.append("No child reached the threshold.")
    lines += ["", "## Where children went missing from", ""]
    lines.append("| where | episodes | children | last month: episodes | children |")
    lines.append("|---|---:|---:|---:|---:|")
    for row in pack["missing_from"]:
        lines.append(
            f"| {row['kind']} {row['place']} | {row['episodes']} | {row['children']}"
            f" | {row['previous_episodes']} | {row['previous_children']} |"
        )
    lines += ["", "## Where they were found", "", "| where | episodes |", "|---|---:|"]
    for row in pack["found_at"]:
        where = f"{row['kind']} {row['district']}" if row["district"] else row["kind"]
        lines.append(f"| {where} | {row['episodes']} |")
    lines += ["", "## Highest risk grade of the month's episodes", "", "| risk | episodes |"]
    lines.append("|---|---:|")
    lines.extend(f"| {_cell(risk)} | {n} |" for risk, n in pack["risk"].items())
    lines += _overdue_markdown(pack["return_interviews_overdue"])
    lines += [
        "",
        "Children are shown under keys made with the hub's secret (HMAC): the same child has"
        " the same key every month; no name or agency identifier is in this pack. Definitions:"
        " docs/statistics.md, 'Monthly forum pack'.",
        "",
    ]
    return "\n".join(lines)


_OVERDUE_COLUMNS = (
    ("found_at", "found (London)"),
    ("due_by", "due by"),
    ("child", "child"),
    ("highest_risk", "highest risk"),
    ("placement_type", "placement"),
    ("placement_ref", "placement ref"),
    ("interview", "interview"),
)


def _overdue_markdown(overdue: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Return interviews overdue",
        "",
        f"{overdue['overdue']} overdue of {overdue['found']} episodes of looked-after children"
        f" found this month ({overdue['in_time']} completed or declined within 72 hours,"
        f" {overdue['not_yet_due']} not yet due when the pack was made).",
        "",
    ]
    if not overdue["episodes"]:
        return [*lines, "None overdue."]
    lines += ["| highest risk | overdue |", "|---|---:|"]
    lines += [f"| {_cell(risk)} | {n} |" for risk, n in overdue["by_risk"].items()]
    lines += ["", "| placement | overdue |", "|---|---:|"]
    lines += [f"| {_cell(kind)} | {n} |" for kind, n in overdue["by_placement_type"].items()]
    lines += ["", "| " + " | ".join(title for _, title in _OVERDUE_COLUMNS) + " |"]
    lines.append("|" + "---|" * len(_OVERDUE_COLUMNS))
    for row in overdue["episodes"]:
        lines.append("| " + " | ".join(_cell(row[name]) for name, _ in _OVERDUE_COLUMNS) + " |")
    return lines
