"""``uasc-looked-after``: unaccompanied asylum-seeking children in care during the period."""

from __future__ import annotations

from projections.statistics._base import Figures, Query, Statistic


def compute(q: Query) -> Figures:
    (total,) = q.row(
        "SELECT COUNT(DISTINCT root) FROM uasc WHERE {live}"
        " AND start_us < :end_us AND (end_us IS NULL OR end_us > :start_us)"
    )
    return {"total": total}


STATISTIC = Statistic(
    name="uasc-looked-after",
    version=1,
    definition=(
        "Distinct children who were looked after and UASC at any moment in the period, from"
        " care.period_started (its uasc flag), care.uasc_status_changed and care.period_ended."
    ),
    figures=("total",),
    compute=compute,
    title="Unaccompanied asylum-seeking children in care",
    labels={"total": "Unaccompanied asylum-seeking children looked after in the period"},
    sources=("care.period_started",),
    records="council care records",
    spans=("care",),
)
