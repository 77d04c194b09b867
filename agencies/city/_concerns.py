"""What the partner agencies' concern exports share: CSE concerns, and references in order."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from agencies.city._dates import day_between, stamp
from agencies.city._history import FIRST, LAST, History, Row
from agencies.city._people import Child

Columns = Callable[[Child], Row]  # how an agency's export names the child


def cse_concerns(
    history: History, rng: random.Random, base: int, rise: int, columns: Columns
) -> list[Row]:
    """``base`` concerns about children aged 11-17 in 2010, ``rise`` more each year; the share
    with an online element grows from 10% to 50%."""
    rows: list[Row] = []
    for year in range(FIRST.year, LAST.year + 1):
        since = year - FIRST.year
        pool = history.aged(year, 11, 17)
        online = 0.1 + 0.4 * since / (LAST.year - FIRST.year)
        for c in rng.sample(pool, min(len(pool), history.scaled(base + rise * since))):
            rows.append(
                {
                    **columns(c),
                    "raised_at": day_between(rng, dt.date(year, 1, 1), dt.date(year, 12, 31)),
                    "risk_level": rng.choices(("LOW", "MEDIUM", "HIGH"), (40, 45, 15))[0],
                    "online_element": "Y" if rng.random() < online else "N",
                }
            )
    return rows


def referenced(rows: list[Row], prefix: str, key: str = "concern_ref") -> list[Row]:
    """The rows in the order raised, each with a reference, times as the export writes them."""

    def when(row: Row) -> dt.datetime:
        moment = row["raised_at"]
        return moment if isinstance(moment, dt.datetime) else dt.datetime.combine(moment, dt.time())

    rows = sorted(rows, key=when)
    return [
        {key: f"{prefix}-{when(r).year}-{i:05d}", **r, "raised_at": stamp(r["raised_at"])}
        for i, r in enumerate(rows, 1)
    ]
