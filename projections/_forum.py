"""The monthly multi-agency missing forum's pack, from the maintained projection.

Every figure here is defined once, below, and in ``docs/statistics.md`` ("Monthly forum pack"):

- **Repeat missing list**: children (identities linked as one) with at least ``threshold``
  episodes whose ``last_seen_at`` falls in the ``window_days`` London days ending on the
  month's last day. A child may be listed with no episode in the month itself. ``status`` is
  ``continuing`` if the child was on the previous month's list (same rule, same records),
  else ``new``.
- **Hours missing in the window**: per episode, from last seen to found, or to the end of the
  month if not found; only the part inside the window counts.
- **Return interviews due**: the child's episodes in the window that were found; completed:
  those with a completed interview.
- **Open CSE**: a CSE case open at any time in the window, or a CSE concern raised in it.
- **Other agencies' reports**: living facts about the child from each agency with their time
  in the window, counted by kind (never their content).
- **Where from / found / risk**: the month's episodes, by the place they were missing from
  (the placement reference, else the postcode district, else the kind of place), where they
  were found, and the highest risk grade each episode had.

Children appear only under ``key(root)``: a keyed pseudonym the caller derives with the hub's
secret. Nothing in the pack names a child or carries an agency's identifier.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from projections._identity import component
from projections._store import ProjectionStore
from projections._time import Period, parse_period

RISKS = ("no_apparent_risk", "low", "medium", "high")
_HOUR_US = 3_600_000_000
_EPISODE = (
    "SELECT root, day, last_seen_us, found, found_us, risk_max, looked_after, uasc,"
    " placement_type, placement_ref, ri_completed, missing_from, postcode_district, ref"
    " FROM episode WHERE to_pos IS NULL AND day BETWEEN ? AND ?"
)
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
) -> dict[str, Any]:
    """The pack for ``month`` (a one-month Period) as the records stand now."""
    previous = parse_period(f"{month.start - dt.timedelta(days=1):%Y-%m}")
    with store.reading() as db:
        position = store.head()[0]
        window = _window(month, window_days)
        episodes = db.execute(_EPISODE, (window.first_day, month.last_day)).fetchall()
        listed = _repeat(episodes, threshold)
        earlier = db.execute(
            _EPISODE, (_window(previous, window_days).first_day, previous.last_day)
        ).fetchall()
        before = _repeat(earlier, threshold)
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
    }


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
        if kind.startswith("cse.case_"):
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
        "episodes_in_month": sum(1 for e in episodes if e[1] >= month.first_day),
        "episodes_in_window": len(episodes),
        "hours_missing_in_window": round(hours, 1),
        "highest_risk": max((e[5] for e in episodes if e[5]), key=RISKS.index, default=None),
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
        "SELECT f.payload FROM facts f JOIN episode e ON f.grp = 'episode:' || e.ref"
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
        risk: counts.get(risk, 0) for risk in (*RISKS, "unknown") if risk in counts or risk in RISKS
    }
