"""``looked-after-missing``: how the council itself counts its looked-after children's
episodes away from placement (``care.missing_recorded``, e.g. the SSDA903 Missing table)."""

from __future__ import annotations

from projections.statistics._base import Figures, Query, Statistic


def compute(q: Query) -> Figures:
    missing, away, total, children = q.row(
        "SELECT SUM(kind = 'missing'), SUM(kind = 'away'), COUNT(*), COUNT(DISTINCT root)"
        " FROM reconcile WHERE {live} AND side = 'council' AND day BETWEEN :first AND :last"
    )
    return {"missing": missing, "away": away, "total": total, "children": children}


STATISTIC = Statistic(
    name="looked-after-missing",
    version=1,
    definition=(
        "The council's own records of a looked-after child's period away from placement"
        " (care.missing_recorded, e.g. the SSDA903 Missing table) whose started_on falls in"
        " the period: missing (903 code M, whereabouts unknown), away (code A, away without"
        " authorisation, whereabouts known: the seeds' 'absent'), total, and children -"
        " distinct children with one (linked identities as one)."
    ),
    figures=("missing", "away", "total", "children"),
    compute=compute,
    totals=(("total", ("missing", "away")),),
    title="Looked-after children missing or away from placement (the council's records)",
    labels={
        "missing": "Occasions missing from placement (whereabouts unknown)",
        "away": "Occasions away from placement without authorisation (whereabouts known)",
        "total": "Occasions missing or away",
        "children": "Children missing or away at least once",
    },
    sources=("care.missing_recorded",),
    records="council missing records",
    spans=("reconcile.council",),
)
