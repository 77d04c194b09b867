"""``safeguarding-alerts``: alerts about children in children's homes."""

from __future__ import annotations

from projections.statistics._base import Figures, Query, Statistic


def compute(q: Query) -> Figures:
    total, cse, sexual_abuse, cce = q.row(
        "SELECT COUNT(*), SUM(cse), SUM(sexual_abuse), SUM(cce) FROM alert WHERE {live}"
        " AND day BETWEEN :first AND :last AND setting = 'childrens_home'"
    )
    return {"total": total, "cse": cse, "sexual_abuse": sexual_abuse, "cce": cce}


STATISTIC = Statistic(
    name="safeguarding-alerts",
    version=1,
    definition=(
        "Alerts (safeguarding.alert_raised, one per alert reference) raised in the period"
        " (occurred_at) with setting childrens_home: total, and those in category cse,"
        " sexual_abuse, cce. An alert in several categories counts once in total and once in"
        " each of them."
    ),
    figures=("total", "cse", "sexual_abuse", "cce"),
    compute=compute,
    title="Safeguarding alerts about children in children's homes",
    labels={
        "total": "Alerts about children in children's homes",
        "cse": "of which about child sexual exploitation",
        "sexual_abuse": "of which about sexual abuse",
        "cce": "of which about child criminal exploitation",
    },
    sources=("safeguarding.alert_raised",),
    records="safeguarding alerts",
    spans=("alert",),
)
