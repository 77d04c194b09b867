"""An answer as JSON, CSV or Markdown. Every format carries the provenance."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from projections.statistics import STATISTICS


def render(answer: dict[str, Any], fmt: str) -> str:
    return {"json": _json, "csv": _csv, "md": _markdown}[fmt](answer)


def _json(answer: dict[str, Any]) -> str:
    return orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode() + "\n"


def _csv(answer: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["statistic", "period_start", "period_end", "figure", "display", "value"])
    period = answer["period"]
    for name, cell in answer["figures"].items():
        value = "" if cell["value"] is None else cell["value"]
        writer.writerow(
            [answer["statistic"], period["start"], period["end"], name, cell["display"], value]
        )
    if answer["orphans"] is not None:
        writer.writerow(
            [
                answer["statistic"],
                period["start"],
                period["end"],
                "orphans",
                answer["orphans"],
                answer["orphans"],
            ]
        )
    provenance = answer["provenance"]
    out.write(
        f"# as_of {answer['as_of']}; position {provenance['position']};"
        f" events {provenance['events']}; definition {provenance['definition']};"
        f" digest {provenance['digest']}\n"
    )
    return out.getvalue()


def _markdown(answer: dict[str, Any]) -> str:
    period = answer["period"]
    provenance = answer["provenance"]
    lines = [
        f"## {answer['statistic']}, {period['label']} ({period['start']} to {period['end']})",
        "",
        STATISTICS[answer["statistic"]].definition,
        "",
        "| figure | value |",
        "|---|---:|",
        *(f"| {name} | {cell['display']} |" for name, cell in answer["figures"].items()),
    ]
    if answer["orphans"] is not None:
        lines.append(
            f"| orphans (records citing an episode never reported) | {answer['orphans']} |"
        )
    suppression = answer["suppression"]
    lines += [
        "",
        (
            f"Counts from 1 to {suppression['threshold'] - 1} are shown as"
            f" <{suppression['threshold']}, with a second figure hidden where one could be"
            " worked out from a total."
            if suppression["applied"]
            else "Raw figures: no disclosure control applied. Not for publication."
        ),
        "",
        f"As the records stood at {answer['as_of']}: {provenance['events']} events up to"
        f" position {provenance['position']}; definition {provenance['definition']};"
        f" digest `{provenance['digest']}`.",
    ]
    return "\n".join(lines) + "\n"
