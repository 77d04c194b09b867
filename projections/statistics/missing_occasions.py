"""``missing-occasions``: how many times children went missing, by classification and cohort."""

from __future__ import annotations

from projections.statistics._base import Figures, Query, Statistic

COHORTS = ("all", "looked_after", "uasc")
CLASSIFICATIONS = ("missing", "absent")


def compute(q: Query) -> Figures:
    figures: Figures = {f"{c}.{k}": 0 for c in COHORTS for k in (*CLASSIFICATIONS, "total")}
    for classification, looked_after, uasc, n in q.rows(
        "SELECT classification, looked_after, uasc, COUNT(*) FROM episode"
        " WHERE {live} AND day BETWEEN :first AND :last GROUP BY 1, 2, 3"
    ):
        for cohort, member in (("all", True), ("looked_after", looked_after), ("uasc", uasc)):
            if member:
                for key in (f"{cohort}.{classification}", f"{cohort}.total"):
                    figures[key] = int(figures[key] or 0) + n
    return figures


STATISTIC = Statistic(
    name="missing-occasions",
    version=1,
    definition=(
        "Episodes (police missing.reported, one per incident reference) whose last_seen_at"
        " falls in the period, split by classification (missing / absent) as last corrected."
        " Cohorts: all; looked_after - the child was looked after at last_seen_at; uasc - the"
        " child was looked after and an unaccompanied asylum-seeking child at last_seen_at."
    ),
    figures=tuple(f"{c}.{k}" for c in COHORTS for k in (*CLASSIFICATIONS, "total")),
    compute=compute,
    totals=tuple((f"{c}.total", (f"{c}.missing", f"{c}.absent")) for c in COHORTS),
    episodic=True,
)
