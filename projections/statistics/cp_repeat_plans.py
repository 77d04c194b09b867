"""``cp-repeat-plans``: children starting a child protection plan, and repeat plans (NI65)."""

from __future__ import annotations

from projections.statistics._base import Figures, Query, Statistic


def compute(q: Query) -> Figures:
    total, repeat = q.row(
        "SELECT COUNT(*), SUM(earlier) FROM (SELECT root, MAX(earlier_plan) AS earlier"
        " FROM plan WHERE {live} AND day BETWEEN :first AND :last GROUP BY root)"
    )
    return {
        "total": total,
        "second_or_subsequent": repeat,
        "percent": round(100 * repeat / total, 1) if total else None,
    }


STATISTIC = Statistic(
    name="cp-repeat-plans",
    version=1,
    definition=(
        "Distinct children with a child protection plan (cp.plan_started) starting in the"
        " period (occurred_at): total; second_or_subsequent - a plan of theirs starting in"
        " the period had an earlier plan (any time before, under any linked identity);"
        " percent - second_or_subsequent / total x 100, one decimal (NI65)."
    ),
    figures=("total", "second_or_subsequent", "percent"),
    compute=compute,
    derived=(("percent", ("total", "second_or_subsequent")),),
    title="Children starting a child protection plan, and repeat plans",
    labels={
        "total": "Children who started a child protection plan",
        "second_or_subsequent": "of whom it was a second or subsequent plan",
        "percent": "Second or subsequent plans, as a percentage",
    },
    sources=("cp.plan_started",),
    records="child protection plans",
    spans=("plan",),
)
