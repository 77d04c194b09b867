"""``return-interview-findings``: what return interviews found after looked-after children's
episodes."""

from __future__ import annotations

from contracts.vocabulary import FINDINGS
from projections.statistics._base import Figures, Query, Statistic

_COUNTS = ("found", "offered", "completed", "completed_within_72h", *FINDINGS)


def compute(q: Query) -> Figures:
    row = q.row(
        "SELECT COUNT(*), SUM(ri_offered), SUM(ri_completed), SUM(ri_72h),"
        " SUM(harmed_physically), SUM(sexually_assaulted_or_exploited), SUM(drugs_sale),"
        " SUM(criminal_activity) FROM episode"
        " WHERE {live} AND day BETWEEN :first AND :last AND looked_after = 1 AND found = 1"
    )
    return dict(zip(_COUNTS, row, strict=True))


STATISTIC = Statistic(
    name="return-interview-findings",
    version=1,
    definition=(
        "Episodes in the period (by last_seen_at) of children looked after at last_seen_at,"
        " that have a missing.found: found. Of them: offered - a return interview was offered,"
        " completed or declined; completed - one was completed; completed_within_72h -"
        " completed (occurred_at) within 72 hours of found_at; and, for each finding of a"
        " completed interview, the episodes with it (an episode may count under several)."
    ),
    figures=_COUNTS,
    compute=compute,
    episodic=True,
    title="Return interviews after looked-after children went missing",
    labels={
        "found": "Occasions a looked-after child went missing and was found",
        "offered": "of which a return interview was offered",
        "completed": "of which a return interview was completed",
        "completed_within_72h": "of which it was completed within 72 hours of being found",
        "harmed_physically": "of which an interview found physical harm",
        "sexually_assaulted_or_exploited": (
            "of which an interview found sexual assault or exploitation"
        ),
        "drugs_sale": "of which an interview found the child selling drugs",
        "criminal_activity": "of which an interview found criminal activity",
    },
    sources=("missing.reported",),
    records="police missing reports",
    spans=("episode",),
)
