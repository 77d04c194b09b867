"""What a statistic is: a name, a versioned definition, its figures, and one query."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from projections._time import Period


class Query:
    """Reads the versioned rows as they stood at one position.

    ``{live}`` in a statement becomes the condition that a row was current at that position:
    at the projection's head that is ``to_pos IS NULL`` (served by partial indexes).
    """

    def __init__(self, db: sqlite3.Connection, period: Period, position: int, head: bool) -> None:
        self.db = db
        self.period = period
        self.live = (
            "to_pos IS NULL" if head else "from_pos <= :p AND (to_pos IS NULL OR to_pos > :p)"
        )
        self.params = {
            "p": position,
            "first": period.first_day,
            "last": period.last_day,
            "start_us": period.start_us,
            "end_us": period.end_us,
        }

    def row(self, sql: str) -> tuple[Any, ...]:
        row = self.db.execute(sql.format(live=self.live), self.params).fetchone()
        return tuple(0 if value is None else value for value in row)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.db.execute(sql.format(live=self.live), self.params).fetchall()


Figures = dict[str, int | float | None]


@dataclass(frozen=True)
class Statistic:
    """One statistic. ``definition`` is what ``hub foi --list`` prints and the docs show.

    ``totals``: figures that are the sum of others (``total = parts``), so that suppressing
    one part alone would not hide it. ``derived``: figures computed from others (a
    percentage), hidden whenever one of those is. ``money``: pounds, not counts.
    ``episodic``: counts episodes, so it reports the orphans count.
    """

    name: str
    version: int
    definition: str
    figures: tuple[str, ...]
    compute: Callable[[Query], Figures]
    totals: tuple[tuple[str, tuple[str, ...]], ...] = ()
    derived: tuple[tuple[str, tuple[str, ...]], ...] = ()
    money: tuple[str, ...] = ()
    episodic: bool = False

    @property
    def tag(self) -> str:
        return f"{self.name}/{self.version}"


ORPHANS = "SELECT COUNT(*) FROM orphan WHERE {live} AND day BETWEEN :first AND :last"
