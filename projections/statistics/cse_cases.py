"""``cse-cases``: child sexual exploitation cases opened, and those with an online element."""

from __future__ import annotations

from projections.statistics._base import Figures, Query, Statistic


def compute(q: Query) -> Figures:
    total, online = q.row(
        "SELECT COUNT(*), SUM(online_element) FROM cse_case"
        " WHERE {live} AND day BETWEEN :first AND :last"
    )
    return {"total": total, "online_element": online}


STATISTIC = Statistic(
    name="cse-cases",
    version=1,
    definition=(
        "CSE cases opened (cse.case_opened, one per case reference) in the period"
        " (occurred_at): total, and online_element - online at opening or at any"
        " reassessment recorded by the as-of time, whenever the reassessment happened."
    ),
    figures=("total", "online_element"),
    compute=compute,
    title="Child sexual exploitation cases opened",
    labels={
        "total": "Child sexual exploitation cases opened",
        "online_element": "of which with an online element",
    },
    sources=("cse.case_opened",),
    records="child sexual exploitation cases",
    spans=("cse_case",),
)
