"""``organised-abuse-investigations``: investigations that arose from children's-home alerts."""

from __future__ import annotations

from projections.statistics._base import Figures, Query, Statistic


def compute(q: Query) -> Figures:
    (total,) = q.row(
        "SELECT COUNT(*) FROM investigation WHERE {live}"
        " AND day BETWEEN :first AND :last AND cites_childrens_home = 1"
    )
    return {"total": total}


STATISTIC = Statistic(
    name="organised-abuse-investigations",
    version=1,
    definition=(
        "Organised or complex abuse investigations started in the period (occurred_at) that"
        " cite at least one alert raised with setting childrens_home."
    ),
    figures=("total",),
    compute=compute,
    title="Organised or complex abuse investigations arising from children's-home alerts",
    labels={"total": "Investigations started that cite a children's-home alert"},
    sources=("safeguarding.organised_abuse_investigation_started",),
    records="organised abuse investigations",
    spans=("investigation",),
)
