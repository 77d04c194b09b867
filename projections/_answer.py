"""An answer to ``hub foi``: the figures as the records stood, disclosure-controlled, with
their provenance, whether any records were held for it, and the command that reproduces it.

Provenance commits to the whole log up to the answer's position: the projection keeps a
hash chain over every fact in store order (``chain_p = sha256(chain_prev | event_id |
position)``), and the digest covers that chain, the statistic's definition version and the
arguments. The same events and arguments give the same digest, whenever it is asked; any
later fact recorded before the as-of time changes it. What the differencing guard withheld
depends on the answers given before, not on the records, and is not in the digest: the
cells say it (``"reason": "differencing"``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shlex
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from projections import _schema
from projections._differencing import GivenAnswer, differencing
from projections._disclosure import cells, not_held
from projections._errors import BadArgument, NotAllowed
from projections._held import records_held
from projections._store import ProjectionStore
from projections._time import (
    BY,
    Period,
    from_us,
    parse_period,
    period_words,
    range_label,
    to_us,
)
from projections.statistics import STATISTICS, Figures, Query, Statistic
from projections.statistics._base import ORPHANS

DEFAULT_THRESHOLD = 5
"""``HUB_DISCLOSURE_THRESHOLD``'s default: a reproduce command names any other."""

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
    threshold: int = DEFAULT_THRESHOLD,
    given: Sequence[GivenAnswer] = (),
) -> dict[str, Any]:
    """The answer, as a JSON-ready dict in the shape ``docs/statistics.md`` gives.

    Without ``as_of``: as the records stand at the projection's head, and ``as_of`` is the
    time the newest of them was recorded (an ``--as-of`` of that time reproduces it exactly).
    ``given``: the public answers already given (any statistic; those of others are passed
    over), against which a suppressed answer is guarded from differencing.
    """
    return answer_with_raw(
        store, name, period, as_of=as_of, suppress=suppress, threshold=threshold, given=given
    )[0]


def answer_with_raw(
    store: ProjectionStore,
    name: str,
    period: Period,
    *,
    as_of: dt.datetime | None = None,
    suppress: bool = True,
    threshold: int = DEFAULT_THRESHOLD,
    given: Sequence[GivenAnswer] = (),
) -> tuple[dict[str, Any], GivenAnswer]:
    """``answer``, and what to remember of it (its raw figures, never shown) to guard later
    public answers against differencing with it. Remember only answers given to the public
    (``suppress=True``)."""
    stat = statistic(name)
    with store.reading() as db:
        snapshot = _snapshot(store, as_of)
        return _answer(db, store, stat, period, snapshot, suppress, threshold, given)


def answers(
    store: ProjectionStore,
    name: str,
    periods: Sequence[Period],
    *,
    by: str,
    as_of: dt.datetime | None = None,
    suppress: bool = True,
    threshold: int = DEFAULT_THRESHOLD,
    given: Sequence[GivenAnswer] = (),
) -> dict[str, Any]:
    """Several periods (``parse_periods(text, by)``) in one answer, all as of one position:
    ``{"statistic", "title", "by", "period", "as_of", "records_held", "answers": [one
    answer per period, each exactly as ``answer`` gives it], "reproduce"}``."""
    return answers_with_raw(
        store,
        name,
        periods,
        by=by,
        as_of=as_of,
        suppress=suppress,
        threshold=threshold,
        given=given,
    )[0]


def answers_with_raw(
    store: ProjectionStore,
    name: str,
    periods: Sequence[Period],
    *,
    by: str,
    as_of: dt.datetime | None = None,
    suppress: bool = True,
    threshold: int = DEFAULT_THRESHOLD,
    given: Sequence[GivenAnswer] = (),
) -> tuple[dict[str, Any], list[GivenAnswer]]:
    """``answers``, and what to remember of each period's answer (as ``answer_with_raw``).
    Each period is guarded against ``given`` and the periods before it in this answer."""
    stat = statistic(name)
    if by not in BY:
        raise BadArgument(f"--by {by!r}: use --by year or --by month")
    if not periods:
        raise BadArgument("no periods to answer")
    results: list[dict[str, Any]] = []
    raws: list[GivenAnswer] = []
    with store.reading() as db:
        snapshot = _snapshot(store, as_of)
        for period in periods:
            result, raw = _answer(
                db, store, stat, period, snapshot, suppress, threshold, [*given, *raws]
            )
            results.append(result)
            raws.append(raw)
    whole = Period(range_label(list(periods)), periods[0].start, periods[-1].end)
    as_of_text = results[0]["as_of"]
    missing = [r for r in results if not r["records_held"]["held"]]
    reasons = "; ".join(f"{r['period']['label']}: {r['records_held']['reason']}" for r in missing)
    combined = {
        "statistic": stat.name,
        "title": stat.title,
        "by": by,
        "period": {**whole.as_dict(), "words": period_words(whole.start, whole.end)},
        "as_of": as_of_text,
        "records_held": {"held": not missing, "reason": reasons or None},
        "answers": results,
        "suppression": {"applied": suppress, "threshold": threshold},
        "reproduce": reproduce_command(
            stat.name, whole.label, as_of_text, suppress=suppress, threshold=threshold, by=by
        ),
    }
    return combined, raws


def reproduce_command(
    name: str,
    period: str,
    as_of: str,
    *,
    suppress: bool = True,
    threshold: int = DEFAULT_THRESHOLD,
    by: str | None = None,
) -> str:
    """The ``hub foi`` command that gives the same answer, with its digest, again."""
    env = [] if suppress else ["HUB_ROLE=internal"]
    if threshold != DEFAULT_THRESHOLD:
        env.append(f"HUB_DISCLOSURE_THRESHOLD={threshold}")
    args = ["hub", "foi", name, "--period", period, *(["--by", by] if by else [])]
    args += ["--as-of", as_of, *([] if suppress else ["--no-suppression"]), "--format", "json"]
    return " ".join([*env, *(shlex.quote(arg) for arg in args)])


@dataclass(frozen=True)
class _Snapshot:
    position: int
    events: int
    chain: bytes
    as_of: dt.datetime
    head: bool
    asked: dt.datetime | None  # the as-of time the caller gave


def _snapshot(store: ProjectionStore, as_of: dt.datetime | None) -> _Snapshot:
    """Inside ``store.reading()``: the position an answer as of ``as_of`` reads."""
    if as_of is not None and as_of > dt.datetime.now(dt.UTC):
        raise BadArgument(f"--as-of {as_of.isoformat()} is in the future")
    head = store.head()
    if as_of is None:
        position, events, chain = head
        moment = from_us(store.recorded_at(position)) if position else dt.datetime.now(dt.UTC)
    else:
        (position, events, chain), moment = store.at_time(to_us(as_of)), as_of
    return _Snapshot(position, events, chain, moment, position == head[0], as_of)


def _answer(
    db: sqlite3.Connection,
    store: ProjectionStore,
    stat: Statistic,
    period: Period,
    snapshot: _Snapshot,
    suppress: bool,
    threshold: int,
    given: Sequence[GivenAnswer],
) -> tuple[dict[str, Any], GivenAnswer]:
    position = snapshot.position
    query = Query(db, period, position, head=snapshot.head)
    held = records_held(store, stat, period, position, asked_as_of=snapshot.asked)
    orphans = query.row(ORPHANS)[0] if stat.episodic else None
    figures: Figures
    if held.held:
        figures = stat.compute(query)
        withhold = differencing(stat, period, figures, given, threshold) if suppress else set()
        shown = cells(stat, figures, threshold=threshold, suppress=suppress, withhold=withhold)
    else:
        figures = dict.fromkeys(stat.figures)
        shown = not_held(stat)
    inputs = {
        "statistic": stat.name,
        "definition": stat.tag,
        "derivation": _schema.DERIVATION,
        "period": [period.start.isoformat(), period.end.isoformat()],
        "position": position,
        "chain": snapshot.chain.hex(),
        "suppressed": suppress,
        "threshold": threshold,
    }
    digest = hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).hexdigest()
    as_of = snapshot.as_of.astimezone(dt.UTC).isoformat()
    result = {
        "statistic": stat.name,
        "title": stat.title,
        "period": {**period.as_dict(), "words": period_words(period.start, period.end)},
        "as_of": as_of,
        "records_held": held.as_dict(),
        "figures": {name: cell.as_dict() for name, cell in shown.items()},
        "orphans": orphans,
        "suppression": {"applied": suppress, "threshold": threshold},
        "provenance": {
            "events": snapshot.events,
            "position": position,
            "definition": stat.tag,
            "digest": f"sha256:{digest}",
        },
        "reproduce": reproduce_command(
            stat.name, _period_text(period), as_of, suppress=suppress, threshold=threshold
        ),
    }
    return result, GivenAnswer(stat.name, period.start, period.end, figures)


def _period_text(period: Period) -> str:
    """The ``--period`` that gives ``period`` again: its label, else its dates."""
    try:
        again = parse_period(period.label)
    except BadArgument:
        again = None
    if again is not None and (again.start, again.end) == (period.start, period.end):
        return period.label
    return f"{period.start.isoformat()}..{period.end.isoformat()}"
