"""An answer as JSON, CSV or Markdown. Every format carries the provenance, the legend of
its marks, and whether records were held; the Markdown reads as a short document for a
person (labels, not machine names), ending with the command that reproduces it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import orjson

from projections._disclosure import MARK, NOT_HELD
from projections._time import moment_words, period_heading
from projections.statistics import STATISTICS
from projections.statistics._base import ORPHANS_LABEL


def render(answer: dict[str, Any], fmt: str) -> str:
    """One answer (``answer``) or several periods in one (``answers``)."""
    return {"json": _json, "csv": _csv, "md": _markdown}[fmt](answer)


def legend(suppression: dict[str, Any]) -> list[str]:
    """What the marks in a disclosure-controlled answer mean, one sentence each."""
    if not suppression["applied"]:
        return ["Raw figures: no disclosure control applied. Not for publication."]
    threshold = suppression["threshold"]
    return [
        f"<{threshold}: a number from 1 to {threshold - 1}, not shown so that no child can be"
        " identified.",
        f"{MARK}: a number not shown so that a hidden one cannot be worked out from it (with a"
        " total, or against an answer given before), or worked out from a hidden one.",
    ]


def _json(answer: dict[str, Any]) -> str:
    return orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode() + "\n"


def _csv(answer: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["statistic", "period_start", "period_end", "figure", "display", "value", "label", "reason"]
    )
    single = answer.get("answers") is None
    each = [answer] if single else answer["answers"]
    for one in each:
        period = one["period"]
        for name, cell in one["figures"].items():
            value = "" if cell["value"] is None else cell["value"]
            writer.writerow(
                [
                    one["statistic"],
                    period["start"],
                    period["end"],
                    name,
                    cell["display"],
                    value,
                    cell["label"],
                    cell["reason"] or "",
                ]
            )
        if one["orphans"] is not None:
            orphans = one["orphans"]
            row = [one["statistic"], period["start"], period["end"], "orphans", orphans, orphans]
            writer.writerow([*row, ORPHANS_LABEL, ""])
    for line in legend(answer["suppression"]):
        out.write(f"# {line}\n")
    if any(not one["records_held"]["held"] for one in each):
        out.write(f"# {NOT_HELD}: no records held for the period\n")
    for one in each:
        provenance = one["provenance"]
        held = one["records_held"]
        period = one["period"]
        out.write(
            f"# {period['label']}: as_of {one['as_of']}; position {provenance['position']};"
            f" events {provenance['events']}; definition {provenance['definition']};"
            f" digest {provenance['digest']}"
            + ("" if held["held"] else f"; {held['reason']}")
            + "\n"
        )
    out.write(f"# reproduce: {answer['reproduce']}\n")
    return out.getvalue()


def _markdown(answer: dict[str, Any]) -> str:
    if answer.get("answers") is not None:
        return _markdown_several(answer)
    stat = STATISTICS[answer["statistic"]]
    period = answer["period"]
    provenance = answer["provenance"]
    held = answer["records_held"]
    lines = [f"# {stat.title}: {period['words']}", ""]
    if not held["held"]:
        lines += [f"**No records held.** {_sentence(held['reason'])}", ""]
        if answer["orphans"]:
            lines += [f"{ORPHANS_LABEL}: {answer['orphans']:,}.", ""]
    else:
        lines += [
            "| Figure | Number |",
            "|---|---:|",
            *(f"| {cell['label']} | {cell['display']} |" for cell in answer["figures"].values()),
        ]
        if answer["orphans"] is not None:
            lines.append(f"| {ORPHANS_LABEL} | {answer['orphans']:,} |")
        lines += ["", *legend(answer["suppression"]), ""]
    lines += [
        f"What is counted: {stat.definition}",
        "",
        f"As the records stood at {_moment(answer['as_of'])}: {provenance['events']:,} events"
        f" up to position {provenance['position']}; definition {provenance['definition']}.",
        "",
        f"To reproduce: `{answer['reproduce']}` gives this answer again, with digest"
        f" `{provenance['digest']}`.",
    ]
    return "\n".join(lines) + "\n"


def _markdown_several(combined: dict[str, Any]) -> str:
    stat = STATISTICS[combined["statistic"]]
    each = combined["answers"]
    by = {"year": "year", "month": "month"}[combined["by"]]
    if by == "year" and "/" in each[0]["period"]["label"]:
        by = "financial year"
    headings = [
        period_heading(a["period"]["label"], _date(a["period"]["start"]), _date(a["period"]["end"]))
        for a in each
    ]
    lines = [
        f"# {stat.title}: {combined['period']['words']}, by {by}",
        "",
        f"| Figure | {' | '.join(headings)} |",
        f"|---|{'---:|' * len(each)}",
    ]
    for name in stat.figures:
        shown = " | ".join(a["figures"][name]["display"] for a in each)
        lines.append(f"| {stat.label(name)} | {shown} |")
    if stat.episodic:
        orphans = " | ".join(f"{a['orphans']:,}" for a in each)
        lines.append(f"| {ORPHANS_LABEL} | {orphans} |")
    lines += ["", *legend(combined["suppression"])]
    missing = [a for a in each if not a["records_held"]["held"]]
    if missing:
        lines.append(f"{NOT_HELD}: no records held for the period.")
        lines += [""] + [
            f"- {a['period']['label']}: {_sentence(a['records_held']['reason'])}" for a in missing
        ]
    digests = "; ".join(f"{a['period']['label']} `{a['provenance']['digest']}`" for a in each)
    provenance = each[-1]["provenance"]
    lines += [
        "",
        f"What is counted: {stat.definition}",
        "",
        f"As the records stood at {_moment(combined['as_of'])}: {provenance['events']:,}"
        f" events up to position {provenance['position']}; definition"
        f" {provenance['definition']}.",
        "",
        f"To reproduce: `{combined['reproduce']}` gives these answers again, with digests"
        f" {digests}.",
    ]
    return "\n".join(lines) + "\n"


def _moment(iso: str) -> str:
    return moment_words(dt.datetime.fromisoformat(iso))


def _date(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


def _sentence(text: str) -> str:
    text = text.removeprefix("no records held: ").removeprefix("no records held ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
