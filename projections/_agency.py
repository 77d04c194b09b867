"""What an agency's data team may see of its own contribution: how many of its facts the hub
holds, by event type, and when it last sent one. Counts only, nothing about any child."""

from __future__ import annotations

from typing import Any

from projections._store import ProjectionStore
from projections._time import from_us


def agency_summary(store: ProjectionStore, agency: str) -> dict[str, Any]:
    with store.reading() as db:
        rows = db.execute(
            "SELECT type, COUNT(*), SUM(alive), MAX(position) FROM facts WHERE agency = ?"
            " GROUP BY type ORDER BY type",
            (agency,),
        ).fetchall()
        last = max((row[3] for row in rows), default=0)
        last_at = from_us(store.recorded_at(last)).isoformat() if last else None
        position = store.head()[0]
    return {
        "agency": agency,
        "facts": sum(row[1] for row in rows),
        "by_type": [
            {"type": kind, "facts": count, "standing": alive or 0, "last_position": last_pos}
            for kind, count, alive, last_pos in rows
        ],
        "last_recorded_at": last_at,
        "projection_position": position,
    }
