"""``missing-reconciliation``: the council's missing records against police episodes (the
matching rule is ``projections._reconcile``; ``hub reconcile`` lists the unmatched)."""

from __future__ import annotations

from projections.statistics._base import Figures, Query, Statistic


def compute(q: Query) -> Figures:
    matched, council_only, police_only = q.row(
        "SELECT SUM(side = 'council' AND matched), SUM(side = 'council' AND NOT matched),"
        " SUM(side = 'police' AND NOT matched AND looked_after)"
        " FROM reconcile WHERE {live} AND day BETWEEN :first AND :last"
    )
    return {"matched": matched, "council_only": council_only, "police_only": police_only}


STATISTIC = Statistic(
    name="missing-reconciliation",
    version=1,
    definition=(
        "Council records (care.missing_recorded) against police episodes (missing.reported)"
        " of the same child (linked identities as one), matched when the record's"
        " police_episode_ref names the episode or the episode's last_seen_at (London date) is"
        " within one day of the record's started_on; each matched at most once (named first,"
        " then the smallest difference, the earlier last_seen_at, the earlier started_on),"
        " across period edges. matched and council_only - council records starting in the"
        " period with and without a police episode; police_only - episodes in the period"
        " (last_seen_at) of children looked after then that no council record matched."
    ),
    figures=("matched", "council_only", "police_only"),
    compute=compute,
    title="The council's missing records set against police missing reports",
    labels={
        "matched": "Council records matching a police report",
        "council_only": "Council records with no police report",
        "police_only": "Police reports of looked-after children with no council record",
    },
    # A reconciliation is of the council's records: without them there is nothing to match.
    sources=("care.missing_recorded",),
    records="council missing records",
    spans=("reconcile.council",),
)
