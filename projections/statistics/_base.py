"""What a statistic is: a name, a versioned definition, its figures, and one query."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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

    ``title``: its name in plain English, one line. ``labels``: each figure's name in plain
    English (``looked_after.missing`` -> "Looked-after children: occasions missing"), what an
    answer shows a person; every figure has one.
    ``totals``: figures that are the sum of others (``total = parts``), so that suppressing
    one part alone would not hide it. ``derived``: figures computed from others (a
    percentage), hidden whenever one of those is. ``money``: pounds, not counts.
    ``episodic``: counts episodes, so it reports the orphans count.

    What "no records held" means for it (``projections._held``): ``sources`` are the event
    types of the records it counts; until one of them has been imported it answers "no records
    held" rather than zeros. ``records`` names them for a person ("police missing reports").
    ``spans`` are the projection's record kinds (``ProjectionStore.span``) whose days bound
    the records held: a period wholly before the earliest or after the latest has none.
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
    title: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    records: str = ""
    spans: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        missing = [name for name in self.figures if name not in self.labels]
        if not self.title or missing or set(self.labels) - set(self.figures):
            raise ValueError(f"{self.name}: a title and one label per figure ({missing})")
        if not (self.sources and self.records and self.spans):
            raise ValueError(f"{self.name}: say which records it counts (sources, spans)")

    @property
    def tag(self) -> str:
        return f"{self.name}/{self.version}"

    def label(self, figure: str) -> str:
        return self.labels[figure]

    @property
    def counts(self) -> tuple[str, ...]:
        """The figures that count something: not money, not derived from other figures."""
        derived = {name for name, _ in self.derived}
        return tuple(n for n in self.figures if n not in self.money and n not in derived)


ORPHANS_LABEL = "Records citing a missing episode that was never reported (orphans)"
ORPHANS = "SELECT COUNT(*) FROM orphan WHERE {live} AND day BETWEEN :first AND :last"
