"""The monthly multi-agency missing forum's pack, from the maintained projection.

Every figure here is defined once, in ``DEFINITIONS`` below: the pack prints them, and
``docs/statistics.md`` ("Monthly forum pack") gives the same words.

Children appear only under ``key(root)``: a keyed pseudonym the caller derives with the hub's
secret. Nothing in the pack names a child or carries an agency's identifier.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from contracts.vocabulary import RETURN_INTERVIEW_WINDOW, RISK_GRADES
from projections._identity import component
from projections._store import ProjectionStore
from projections._time import LONDON, Period, duration_us, from_us, parse_period, to_us
from projections.statistics import Query

OVERDUE_TERM = "Return interviews overdue"
OVERDUE_DEFINITION = (
    "Episodes of children looked after when last seen, found in the month (the earliest"
    " found time, not retracted, falls between the London midnights that begin and end the"
    " month), with no return interview completed or declined within 72 hours of being found"
    " (recorded as happening no later than found + 72 h), once those 72 hours have passed by"
    " the time the pack is made (a find less than 72 hours old is not yet due). The same rule"
    " as the hub's notice to the council that a return interview is overdue. Counted by the"
    " highest risk grade the episode had and the placement type when last seen, and listed"
    " by child."
)

DEFINITIONS = (
    ("Repeat missing list",
     "Children (identities linked as one) with at least the threshold number of episodes whose"
     " last seen time falls in the window: the given number of London days ending on the"
     " month's last day. A child may be listed with no episode in the month itself. New or"
     " continuing: whether the child was on the previous month's list by the same rule, as"
     " the records stand now."),
    ("Age band",
     "The child's age on the month's last day, from the date of birth most recently stated"
     " by any of the child's linked identities: under 12, 12-13, 14-15, 16-17, 18 or over;"
     " unknown when no agency gave one."),
    ("Hours missing in the window",
     "For each episode, from last seen to found, or to the month's end if not yet found;"
     " only the part inside the window counts."),
    ("Return interviews due and completed",
     "Due: the child's episodes in the window that have been found. Completed: those with a"
     " completed return interview."),
    ("Looked after, UASC, placement",
     "The child's status at the last seen time of their latest episode in the window."),
    ("Open CSE",
     "A CSE case open at any time in the window, or a CSE concern raised in it."),
    ("Other agencies' reports",
     "Facts about the child (not retracted) from any agency, dated in the window, counted by"
     " kind: health and education concerns, CSE cases and concerns, police disruption and"
     " linked crimes. Never their content."),
    ("Where children went missing from",
     "The month's episodes by the place the child was missing from: the placement"
     " reference, else the postcode district, else the kind of place; with the previous"
     " month beside it."),
    ("Where they were found, and risk",
     "The month's episodes by where they were found, and by the highest risk grade each"
     " episode had."),
    (OVERDUE_TERM, OVERDUE_DEFINITION),
)  # fmt: skip

_HOUR_US = 3_600_000_000
_RI_WINDOW_US = duration_us(RETURN_INTERVIEW_WINDOW)
_BANDS = ((12, "under 12"), (14, "12-13"), (16, "14-15"), (18, "16-17"))
_EPISODE = (
    "SELECT root, day, last_seen_us, found, found_us, risk_max, looked_after, uasc,"
    " placement_type, placement_ref, ri_completed, missing_from, postcode_district, ref"
    " FROM episode WHERE to_pos IS NULL AND day BETWEEN ? AND ?"
)
_CSE_CASE_TYPES = ("cse.case_opened", "cse.case_reassessed", "cse.case_closed")
_OTHER_KINDS = {
    "health.concern_raised": ("health", "concern"),
    "education.concern_raised": ("education", "concern"),
    "education.missing_education_reported": ("education", None),
    "cse.concern_raised": ("cse_concerns", "risk_level"),
    "police.disruption_recorded": ("police_disruption", "tactic"),
    "police.crime_linked": ("linked_crimes", "role"),
}


def forum(
    store: ProjectionStore,
    month: Period,
    *,
    key: Callable[[bytes], str],
    threshold: int = 3,
    window_days: int = 90,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The pack for ``month`` (a one-month Period) as the records stand now; ``now`` (default:
    the clock) is when a return interview's 72 hours must have passed to be overdue."""
    previous = parse_period(f"{month.start - dt.timedelta(days=1):%Y-%m}")
    with store.reading() as db:
        position = store.head()[0]
        overdue = overdue_return_interviews(db, month, key=key, at=now or dt.datetime.now(dt.UTC))
        window = _window(month, window_days)
        episodes = db.execute(_EPISODE, (window.first_day, month.last_day)).fetchall()
        listed = _repeat(episodes, threshold)
        before = repeat_list(db, previous, threshold, window_days)
        rows = [
            _child(store, db, root, mine, month, window, key, root in before)
            for root, mine in sorted(listed.items())
        ]
        in_month = [e for e in episodes if e[1] >= month.first_day]
        last_month = db.execute(_EPISODE, (previous.first_day, previous.last_day)).fetchall()
        found = _found_at(db, month)
    rows.sort(key=lambda r: (-r["episodes_in_window"], -r["episodes_in_month"], r["child"]))
    return {
        "month": f"{month.start:%Y-%m}",
        "threshold": threshold,
        "window_days": window_days,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "position": position,
        "repeat_missing": rows,
        "missing_from": _missing_from(in_month, last_month),
        "found_at": found,
        "risk": _risk(in_month),
        "episodes_in_month": len(in_month),
        "children_in_month": len({e[0] for e in in_month}),
        "return_interviews_overdue": overdue,
    }


def age_band(born: int | None, on: int) -> str:
    """The band of a child born on day ``born`` (YYYYMMDD) on day ``on``."""
    if born is None or born > on:
        return "unknown"
    age = (on - born) // 10000  # whole years: YYYYMMDD differences order like (year, date)
    for upper, band in _BANDS:
        if age < upper:
            return band
    return "18 or over"


def repeat_list(
    db: Any, month: Period, threshold: int, window_days: int
) -> dict[bytes, list[tuple[Any, ...]]]:
    """The month's repeat-missing list: each listed child's episodes in the window."""
    window = _window(month, window_days)
    return _repeat(db.execute(_EPISODE, (window.first_day, month.last_day)), threshold)


def _window(month: Period, days: int) -> Period:
    return Period(f"{days} days", month.end - dt.timedelta(days=days - 1), month.end)


def _repeat(
    episodes: Iterable[tuple[Any, ...]], threshold: int
) -> dict[bytes, list[tuple[Any, ...]]]:
    by_child: dict[bytes, list[tuple[Any, ...]]] = defaultdict(list)
    for episode in episodes:
        by_child[episode[0]].append(episode)
    return {root: mine for root, mine in by_child.items() if len(mine) >= threshold}


def _child(
    store: ProjectionStore,
    db: Any,
    root: bytes,
    episodes: list[tuple[Any, ...]],
    month: Period,
    window: Period,
    key: Callable[[bytes], str],
    continuing: bool,
) -> dict[str, Any]:
    episodes = sorted(episodes, key=lambda e: e[2])
    latest = episodes[-1]
    start, end = window.start_us, month.end_us
    hours = 0.0
    for e in episodes:
        until = e[4] if e[3] and e[4] is not None else end
        hours += max(0, min(until, end) - max(e[2], start)) / _HOUR_US
    members = component(store, root)
    marks = ",".join("?" * len(members))
    facts = db.execute(
        f"SELECT agency, type, occurred_us, payload FROM facts WHERE child IN ({marks})"  # noqa: S608
        " AND alive = 1",
        members,
    ).fetchall()
    agencies = {"police"}
    reports: dict[str, Counter[str]] = defaultdict(Counter)
    cases: dict[str, list[tuple[int, str]]] = defaultdict(list)
    open_cse = False
    for agency, kind, occurred_us, payload in facts:
        body = orjson.loads(payload) if payload else {}
        if kind in _CSE_CASE_TYPES:
            cases[body.get("case_ref", "")].append((occurred_us, kind))
        if not start <= occurred_us < end:
            continue
        agencies.add(agency)
        if kind in _OTHER_KINDS:
            group, field = _OTHER_KINDS[kind]
            reports[group][str(body.get(field, kind)) if field else "reported"] += 1
        if kind == "cse.concern_raised":
            open_cse = True
    for history in cases.values():
        opened = min((t for t, k in history if k == "cse.case_opened"), default=None)
        closed = min((t for t, k in history if k == "cse.case_closed"), default=None)
        if opened is not None and opened < end and (closed is None or closed >= start):
            open_cse = True
            reports["cse_cases"]["open"] += 1
    return {
        "child": key(root),
        "status": "continuing" if continuing else "new",
        "age_band": age_band(store.born(members), month.last_day),
        "episodes_in_month": sum(1 for e in episodes if e[1] >= month.first_day),
        "episodes_in_window": len(episodes),
        "hours_missing_in_window": round(hours, 1),
        "highest_risk": max((e[5] for e in episodes if e[5]), key=RISK_GRADES.index, default=None),
        "looked_after": bool(latest[6]),
        "uasc": bool(latest[7]),
        "placement_type": latest[8],
        "placement_ref": latest[9],
        "open_cse": open_cse,
        "return_interviews_completed": sum(1 for e in episodes if e[3] and e[10]),
        "return_interviews_due": sum(1 for e in episodes if e[3]),
        "agencies": sorted(agencies),
        "reports": {group: dict(sorted(kinds.items())) for group, kinds in sorted(reports.items())},
    }


def _place(episode: tuple[Any, ...]) -> tuple[str, str]:
    if episode[9]:
        return "placement", episode[9]
    if episode[12]:
        return "district", episode[12]
    return "kind", episode[11] or "unknown"


def _missing_from(
    month: list[tuple[Any, ...]], previous: list[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    def tally(episodes: list[tuple[Any, ...]]) -> dict[tuple[str, str], tuple[int, int]]:
        counts: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, set()])
        for e in episodes:
            counts[_place(e)][0] += 1
            counts[_place(e)][1].add(e[0])
        return {place: (n, len(children)) for place, (n, children) in counts.items()}

    now, before = tally(month), tally(previous)
    rows = [
        {
            "kind": kind,
            "place": place,
            "episodes": n,
            "children": children,
            "previous_episodes": before.get((kind, place), (0, 0))[0],
            "previous_children": before.get((kind, place), (0, 0))[1],
        }
        for (kind, place), (n, children) in now.items()
    ]
    return sorted(rows, key=lambda r: (-r["episodes"], -r["children"], r["kind"], r["place"]))


def _found_at(db: Any, month: Period) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str]] = Counter()
    for (payload,) in db.execute(
        "SELECT f.payload FROM facts f JOIN episode e ON f.record_key = 'episode:' || e.ref"
        " WHERE e.to_pos IS NULL AND e.day BETWEEN ? AND ? AND f.type = 'missing.found'"
        " AND f.alive = 1",
        (month.first_day, month.last_day),
    ):
        location = (orjson.loads(payload) if payload else {}).get("found_location") or {}
        counts[(location.get("kind", "unknown"), location.get("postcode_district") or "")] += 1
    return [
        {"kind": kind, "district": district or None, "episodes": n}
        for (kind, district), n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def _risk(month: list[tuple[Any, ...]]) -> dict[str, int]:
    counts = Counter(e[5] or "unknown" for e in month)
    return {
        risk: counts.get(risk, 0)
        for risk in (*RISK_GRADES, "unknown")
        if risk in counts or risk in RISK_GRADES
    }


_OVERDUE = (
    "SELECT root, found_us, risk_max, placement_type, placement_ref, ri_offered, ri_completed,"
    " ri_72h, ri_declined_72h FROM episode WHERE {live} AND looked_after = 1 AND found = 1"
    " AND found_us >= :start_us AND found_us < :end_us ORDER BY found_us, ref"
)


def overdue_return_interviews(
    db: Any,
    month: Period,
    *,
    key: Callable[[bytes], str],
    at: dt.datetime,
    position: int | None = None,
) -> dict[str, Any]:
    """The month's overdue return interviews (``OVERDUE_DEFINITION``, the one definition):
    as the records stand (``position`` None), or as they stood at ``position`` (the last
    recorded by an as-of time); ``at`` is when the 72 hours must have passed (now, or that
    as-of time). Every looked-after episode found in the month is exactly one of ``in_time``
    (completed or declined within 72 h), ``not_yet_due`` or ``overdue``. ``at`` itself is not
    in the result, so the same records give the same pack until another interview falls due."""
    at_us = to_us(at)
    query = Query(db, month, position or 0, head=position is None)
    found = in_time = not_yet_due = 0
    by_risk: Counter[str] = Counter()
    by_placement: Counter[str] = Counter()
    listed = []
    rows = query.rows(_OVERDUE)
    for (
        root,
        found_us,
        risk,
        placement,
        placement_ref,
        offered,
        completed,
        ri_72h,
        declined,
    ) in rows:
        found += 1
        due_us = found_us + _RI_WINDOW_US
        if ri_72h or declined:
            in_time += 1
        elif due_us >= at_us:
            not_yet_due += 1
        else:
            by_risk[risk or "unknown"] += 1
            by_placement[placement or "unknown"] += 1
            listed.append(
                {
                    "child": key(bytes(root)),
                    "found_at": _london(found_us),
                    "due_by": _london(due_us),
                    "highest_risk": risk,
                    "placement_type": placement,
                    "placement_ref": placement_ref,
                    "interview": (
                        "completed late"
                        if completed
                        else "offered, not completed"
                        if offered
                        else "none recorded"
                    ),
                }
            )
    return {
        "found": found,
        "in_time": in_time,
        "not_yet_due": not_yet_due,
        "overdue": len(listed),
        "by_risk": {
            risk: by_risk[risk]
            for risk in (*RISK_GRADES, "unknown")
            if risk in by_risk or risk in RISK_GRADES
        },
        "by_placement_type": dict(sorted(by_placement.items(), key=lambda i: (-i[1], i[0]))),
        "episodes": listed,
    }


def _london(us: int) -> str:
    return from_us(us).astimezone(LONDON).isoformat(timespec="minutes")
