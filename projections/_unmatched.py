"""``hub reconcile``: the council's missing records and the police episodes that did not
match (rule in ``_reconcile``), for the data teams to put right. Internal roles only: it
lists children (under the forum's keyed pseudonyms) and small counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import orjson

from projections._answer import answer
from projections._store import ProjectionStore
from projections._time import Period
from projections.statistics import Query

_UNMATCHED = (
    "SELECT root, side, day, end_day, kind, risk FROM reconcile WHERE {live}"
    " AND NOT matched AND day BETWEEN :first AND :last"
    " AND (side = 'council' OR looked_after) ORDER BY side, day, kind, root"
)


def unmatched(
    store: ProjectionStore,
    period: Period,
    *,
    key: Callable[[bytes], str],
    as_of: dt.datetime | None = None,
) -> dict[str, Any]:
    """The period's reconciliation figures (raw) and each unmatched record, by side."""
    with store.reading() as db:
        figures = answer(store, "missing-reconciliation", period, as_of=as_of, suppress=False)
        head = store.head()[0]
        position = figures["provenance"]["position"]
        rows = Query(db, period, position, head=position == head).rows(_UNMATCHED)
    sides: dict[str, list[dict[str, Any]]] = {"council_only": [], "police_only": []}
    for root, side, day, end_day, kind, risk in rows:
        entry: dict[str, Any] = {"child": key(root), "kind": kind}
        if side == "council":
            entry |= {"started_on": _iso(day), "ended_on": _iso(end_day) if end_day else None}
            sides["council_only"].append(entry)
        else:
            entry |= {"last_seen_on": _iso(day), "risk": risk}
            sides["police_only"].append(entry)
    return {
        "period": period.as_dict(),
        "as_of": figures["as_of"],
        "figures": {name: cell["value"] for name, cell in figures["figures"].items()},
        **sides,
        "provenance": figures["provenance"],
    }


def _iso(day: int) -> str:
    return dt.date(day // 10000, day // 100 % 100, day % 100).isoformat()


def render_unmatched(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["side", "child", "date", "ended_on", "kind", "risk"])
        for entry in data["council_only"]:
            writer.writerow(
                [
                    "council_only",
                    entry["child"],
                    entry["started_on"],
                    entry["ended_on"] or "",
                    entry["kind"],
                    "",
                ]
            )
        for entry in data["police_only"]:
            writer.writerow(
                [
                    "police_only",
                    entry["child"],
                    entry["last_seen_on"],
                    "",
                    entry["kind"],
                    entry["risk"],
                ]
            )
        return out.getvalue()
    return _markdown(data)


def _markdown(data: dict[str, Any]) -> str:
    period, figures = data["period"], data["figures"]
    lines = [
        f"## Missing records reconciled, {period['label']} ({period['start']} to"
        f" {period['end']}), as of {data['as_of']}",
        "",
        f"Matched: {figures['matched']}. Council's records with no police episode:"
        f" {figures['council_only']}. Police episodes of looked-after children with no"
        f" council record: {figures['police_only']}.",
        "",
        "### Council records with no police episode",
        "",
        "| child | started | ended | kind |",
        "|---|---|---|---|",
        *(
            f"| {e['child']} | {e['started_on']} | {e['ended_on'] or 'open'} | {e['kind']} |"
            for e in data["council_only"]
        ),
        "",
        "### Police episodes of looked-after children with no council record",
        "",
        "| child | last seen | classification | risk |",
        "|---|---|---|---|",
        *(
            f"| {e['child']} | {e['last_seen_on']} | {e['kind']} | {e['risk']} |"
            for e in data["police_only"]
        ),
        "",
        f"Provenance: position {data['provenance']['position']}, digest"
        f" {data['provenance']['digest']}.",
    ]
    return "\n".join(lines) + "\n"


__all__ = ["render_unmatched", "unmatched"]
