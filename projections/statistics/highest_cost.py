"""``highest-cost``: the most spent on one looked-after child (the figure, never who)."""

from __future__ import annotations

from projections.statistics._base import Figures, Query, Statistic

_HIGHEST = (
    "SELECT MAX(spent) FROM (SELECT root, SUM(pence) AS spent FROM cost"
    " WHERE {live} AND day BETWEEN :first AND :last"
)


def compute(q: Query) -> Figures:
    (all_services,) = q.row(_HIGHEST + " GROUP BY root)")
    (semi_independent,) = q.row(_HIGHEST + " AND service = 'semi_independent' GROUP BY root)")
    return {"all_services": all_services / 100, "semi_independent": semi_independent / 100}


STATISTIC = Statistic(
    name="highest-cost",
    version=1,
    definition=(
        "For one child (linked identities as one), the highest sum of cost.recorded amounts"
        " whose period_start falls in the period: all_services, and semi_independent (only"
        " costs with service semi_independent). In pounds; 0 when nothing was recorded."
    ),
    figures=("all_services", "semi_independent"),
    compute=compute,
    money=("all_services", "semi_independent"),
    title="Highest cost of one looked-after child's care",
    labels={
        "all_services": "Highest cost for one child: all services",
        "semi_independent": "Highest cost for one child: semi-independent living",
    },
    sources=("cost.recorded",),
    records="council cost records",
    spans=("cost",),
)
