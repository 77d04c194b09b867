"""``missing-occasions``: how many times children went missing, by classification and cohort."""

from __future__ import annotations

from projections.statistics._base import Figures, Query, Statistic

COHORTS = ("all", "looked_after", "uasc")
CLASSIFICATIONS = ("missing", "absent")


def compute(q: Query) -> Figures:
    # Conditional sums in one pass over the covering index: a GROUP BY would sort every row.
    row = q.row(
        "SELECT"
        " SUM(classification = 'missing'), SUM(classification = 'absent'), COUNT(*),"
        " SUM(looked_after AND classification = 'missing'),"
        " SUM(looked_after AND classification = 'absent'), SUM(looked_after),"
        " SUM(uasc AND classification = 'missing'), SUM(uasc AND classification = 'absent'),"
        " SUM(uasc)"
        " FROM episode WHERE {live} AND day BETWEEN :first AND :last"
    )
    names = [f"{c}.{k}" for c in COHORTS for k in (*CLASSIFICATIONS, "total")]
    return dict(zip(names, row, strict=True))


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
    title="Occasions children went missing",
    labels={
        f"{c}.{k}": f"{who}: occasions {what}"
        for c, who in (
            ("all", "All children"),
            ("looked_after", "Looked-after children"),
            ("uasc", "Unaccompanied asylum-seeking children in care"),
        )
        for k, what in (
            ("missing", "missing"),
            ("absent", "absent"),
            ("total", "missing or absent"),
        )
    },
    sources=("missing.reported",),
    records="police missing reports",
    spans=("episode",),
)
