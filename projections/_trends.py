"""Monthly trends for the forum, with year-on-year change, from the maintained projection.

Each series is defined once, in ``SERIES`` below: the report prints the definitions, and
``docs/statistics.md`` ("Trends") gives the same words. Where an FOI statistic already
defines a count, the series *is* that statistic's figure for the month, so the forum's trends
and an FOI answer cannot disagree. Year-on-year change is a month's value less the same
month's a year before (percentage points for a percentage). Trends are for the partnership,
as the records stand now, and are not disclosure-controlled: ``hub foi`` is the public route.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.vocabulary import RETURN_INTERVIEW_WINDOW
from projections._errors import BadArgument
from projections._forum import repeat_list
from projections._store import ProjectionStore
from projections._time import Period, parse_period, to_us
from projections.statistics import STATISTICS, Query

Value = int | float | None


@dataclass(frozen=True)
class Series:
    name: str
    title: str
    unit: str  # "count" or "percent"
    definition: str
    compute: Callable[[Query, dict[str, int]], Value]


def _figure(statistic: str, figure: str) -> Callable[[Query, dict[str, int]], Value]:
    def compute(q: Query, _: dict[str, int]) -> Value:
        return STATISTICS[statistic].compute(q)[figure]

    return compute


def _repeat_children(q: Query, options: dict[str, int]) -> Value:
    return len(repeat_list(q.db, q.period, options["threshold"], options["window_days"]))


def _ri_within_72h(q: Query, _: dict[str, int]) -> Value:
    # Due once 72 hours have passed since the find, or sooner if already done in time.
    q.params["due_by"] = to_us(dt.datetime.now(dt.UTC) - RETURN_INTERVIEW_WINDOW)
    found, within = q.row(
        "SELECT COUNT(*), SUM(ri_72h) FROM episode"
        " WHERE {live} AND day BETWEEN :first AND :last AND found = 1"
        " AND (ri_72h = 1 OR found_us <= :due_by)"
    )
    return round(100 * within / found, 1) if found else None


def _cse_concerns(q: Query, _: dict[str, int]) -> Value:
    (n,) = q.row(
        "SELECT COUNT(*) FROM facts WHERE type = 'cse.concern_raised' AND alive = 1"
        " AND occurred_us >= :start_us AND occurred_us < :end_us"
    )
    return int(n)


SERIES = (
    Series("episodes", "Episodes", "count",
           "Episodes (missing and absent) whose last seen time is in the month: FOI"
           " missing-occasions all.total. The 2017/18 change in recording practice moves"
           " episodes between missing and absent, not in or out of this total.",
           _figure("missing-occasions", "all.total")),
    Series("children", "Children missing", "count",
           "Distinct children (linked identities as one) with an episode in the month: FOI"
           " missing-children total.",
           _figure("missing-children", "total")),
    Series("looked_after_episodes", "Looked-after episodes", "count",
           "Episodes of children looked after at the last seen time: FOI missing-occasions"
           " looked_after.total.",
           _figure("missing-occasions", "looked_after.total")),
    Series("repeat_children", "Children on the repeat list", "count",
           "Children on the month's repeat-missing list, by the forum pack's rule with the"
           " threshold and window shown.",
           _repeat_children),
    Series("ri_within_72h_percent", "Return interviews within 72 h", "percent",
           "Of the month's episodes of any child that have been found at least 72 hours ago"
           " (or sooner, with the interview already done), the percentage with a return"
           " interview completed within 72 hours of being found; none when there are none."
           " Every child found is owed one, looked after or not.",
           _ri_within_72h),
    Series("cse_concerns", "CSE concerns raised", "count",
           "cse.concern_raised facts (not retracted) that occurred in the month, from any"
           " agency.",
           _cse_concerns),
    Series("cse_cases", "CSE cases opened", "count",
           "CSE cases opened in the month: FOI cse-cases total.",
           _figure("cse-cases", "total")),
    Series("childrens_home_alerts", "Children's-home alerts", "count",
           "Safeguarding alerts raised in the month about children in children's homes: FOI"
           " safeguarding-alerts total.",
           _figure("safeguarding-alerts", "total")),
)  # fmt: skip

MAX_MONTHS = 240
_MONTH = re.compile(r"\d{4}-\d{2}")


def months_between(first: str, last: str) -> list[Period]:
    """Every month from ``first`` to ``last`` (YYYY-MM), inclusive."""
    if not (_MONTH.fullmatch(first) and _MONTH.fullmatch(last)):
        raise BadArgument(f"--from {first} --to {last}: give months as YYYY-MM")
    start, end = parse_period(first), parse_period(last)
    if end.start < start.start:
        raise BadArgument(f"--from {first} is after --to {last}")
    months = []
    year, month = start.start.year, start.start.month
    while (year, month) <= (end.start.year, end.start.month):
        months.append(parse_period(f"{year:04d}-{month:02d}"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if len(months) > MAX_MONTHS:
        raise BadArgument(f"{len(months)} months asked: at most {MAX_MONTHS} at once")
    return months


def year_ending(month: str) -> tuple[str, str]:
    """The first and last of the twelve months ending with ``month`` (YYYY-MM)."""
    year, index = divmod(int(month[:4]) * 12 + int(month[5:7]) - 1 - 11, 12)
    return f"{year:04d}-{index + 1:02d}", month


def trends(
    store: ProjectionStore,
    first: str,
    last: str,
    *,
    threshold: int = 3,
    window_days: int = 90,
) -> dict[str, Any]:
    """Every series for each month from ``first`` to ``last`` (YYYY-MM), with the same
    months a year before and the change."""
    months = months_between(first, last)
    earlier = months_between(_year_before(first), _year_before(last))
    options = {"threshold": threshold, "window_days": window_days}
    with store.reading() as db:
        position = store.head()[0]
        now = _values(db, months, position, options)
        before = _values(db, earlier, position, options)
    return {
        "months": [m.label for m in months],
        "threshold": threshold,
        "window_days": window_days,
        "position": position,
        "series": now,
        "previous_year": before,
        "change": {
            name: [_change(a, b) for a, b in zip(now[name], before[name], strict=True)]
            for name in now
        },
        "titles": {s.name: s.title for s in SERIES},
        "units": {s.name: s.unit for s in SERIES},
        "definitions": {s.name: s.definition for s in SERIES},
    }


def _values(
    db: sqlite3.Connection, months: list[Period], position: int, options: dict[str, int]
) -> dict[str, list[Value]]:
    values: dict[str, list[Value]] = {s.name: [] for s in SERIES}
    for month in months:
        query = Query(db, month, position, head=True)
        for series in SERIES:
            values[series.name].append(series.compute(query, options))
    return values


def _change(now: Value, before: Value) -> Value:
    if now is None or before is None:
        return None
    return (
        round(now - before, 1)
        if isinstance(now, float) or isinstance(before, float)
        else (now - before)
    )


def _year_before(month: str) -> str:
    return f"{int(month[:4]) - 1:04d}{month[4:]}"
