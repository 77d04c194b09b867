"""An answer to ``hub foi``: the figures as the records stood, disclosure-controlled, with
their provenance.

Provenance commits to the whole log up to the answer's position: the projection keeps a
hash chain over every fact in store order (``chain_p = sha256(chain_prev | event_id |
position)``), and the digest covers that chain, the statistic's definition version and the
arguments. The same events and arguments give the same digest, whenever it is asked; any
later fact recorded before the as-of time changes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import orjson

from projections import _schema
from projections._disclosure import cells
from projections._errors import BadArgument, NotAllowed
from projections._store import ProjectionStore
from projections._time import Period, from_us, to_us
from projections.statistics import STATISTICS, Query, Statistic
from projections.statistics._base import ORPHANS

ROLES = ("public", "internal")


def check_role(role: str, *, suppress: bool) -> None:
    """Raw small counts are for internal roles only."""
    if not suppress and role != "internal":
        raise NotAllowed(
            "--no-suppression shows small counts that could identify a child; it is for"
            " internal roles only (HUB_ROLE=internal)"
        )


def check_partnership(role: str, command: str) -> None:
    """The forum pack and the trends list children and small counts unsuppressed: they are for
    the partnership's internal roles, never a public answer."""
    if role != "internal":
        raise NotAllowed(
            f"hub {command} shows children and small counts without disclosure control; it is"
            " for the missing children forum's partners (HUB_ROLE=internal). Public figures:"
            " hub foi"
        )


def statistic(name: str) -> Statistic:
    try:
        return STATISTICS[name]
    except KeyError:
        raise BadArgument(
            f"no statistic {name!r}; `hub foi --list` shows them: {', '.join(STATISTICS)}"
        ) from None


def answer(
    store: ProjectionStore,
    name: str,
    period: Period,
    *,
    as_of: dt.datetime | None = None,
    suppress: bool = True,
    threshold: int = 5,
) -> dict[str, Any]:
    """The answer, as a JSON-ready dict in the shape ``docs/statistics.md`` gives.

    Without ``as_of``: as the records stand at the projection's head, and ``as_of`` is the
    time the newest of them was recorded (an ``--as-of`` of that time reproduces it exactly).
    """
    stat = statistic(name)
    if as_of is not None and as_of > dt.datetime.now(dt.UTC):
        raise BadArgument(f"--as-of {as_of.isoformat()} is in the future")
    with store.reading() as db:
        head = store.head()
        if as_of is None:
            position, events, chain = head
            as_of = from_us(store.recorded_at(position)) if position else dt.datetime.now(dt.UTC)
        else:
            position, events, chain = store.at_time(to_us(as_of))
        query = Query(db, period, position, head=position == head[0])
        figures = stat.compute(query)
        orphans = query.row(ORPHANS)[0] if stat.episodic else None
    inputs = {
        "statistic": stat.name,
        "definition": stat.tag,
        "derivation": _schema.VERSION,
        "period": [period.start.isoformat(), period.end.isoformat()],
        "position": position,
        "chain": chain.hex(),
        "suppressed": suppress,
        "threshold": threshold,
    }
    digest = hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).hexdigest()
    shown = cells(stat, figures, threshold=threshold, suppress=suppress)
    return {
        "statistic": stat.name,
        "period": period.as_dict(),
        "as_of": as_of.astimezone(dt.UTC).isoformat(),
        "figures": {name: cell.as_dict() for name, cell in shown.items()},
        "orphans": orphans,
        "suppression": {"applied": suppress, "threshold": threshold},
        "provenance": {
            "events": events,
            "position": position,
            "definition": stat.tag,
            "digest": f"sha256:{digest}",
        },
    }
