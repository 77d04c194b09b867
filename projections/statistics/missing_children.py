"""``missing-children``: distinct children reported missing, and who knew them."""

from __future__ import annotations

from projections.statistics._base import Figures, Query, Statistic


def compute(q: Query) -> Figures:
    total, known, looked_after, allocated = q.row(
        "SELECT COUNT(*), SUM(k), SUM(la), SUM(al) FROM ("
        " SELECT root, MAX(known) AS k, MAX(looked_after) AS la, MAX(allocated) AS al"
        " FROM episode WHERE {live} AND day BETWEEN :first AND :last GROUP BY root)"
    )
    return {
        "total": total,
        "known_to_department": known,
        "looked_after": looked_after,
        "open_allocation": allocated,
    }


STATISTIC = Statistic(
    name="missing-children",
    version=1,
    definition=(
        "Distinct children (identities linked by shared identifiers or identity.linked count"
        " as one) with an episode whose last_seen_at falls in the period. Of them:"
        " known_to_department - the local authority had recorded any event about the child at"
        " or before one of those episodes; looked_after - looked after at one of those"
        " episodes' last_seen_at; open_allocation - a worker allocation was open then."
    ),
    figures=("total", "known_to_department", "looked_after", "open_allocation"),
    compute=compute,
    episodic=True,
    title="Children who went missing",
    labels={
        "total": "Children who went missing",
        "known_to_department": "of whom known to children's services at the time",
        "looked_after": "of whom looked after at the time",
        "open_allocation": "of whom had an allocated worker at the time",
    },
    sources=("missing.reported",),
    records="police missing reports",
    spans=("episode",),
)
