"""The notifications' rules (docs/notifications.md, "The rules, exactly"), evaluated by the
projector at the end of each run of facts, on the records as the hub knew them then.

The rule functions at the top are pure: they take an episode's row, a child's facts or
timeline, and say what is raised (a kind and its detail). ``Rules`` gathers what they need
from the projection, for the facts a run added and the targets of the corrections and
retractions it held, and appends ``notice`` rows (raise / withdraw) and keeps the
``deadline`` table. The read side (``notices``, ``notice_head``, ``head``, ``due``,
``children_of``, ``facts_by``) is what the hub's Notifier reads, inside ``store.reading()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import orjson

from contracts.notifications import (
    ATTENDANCE_OF_CHILD_KNOWN_TO_CARE,
    CSE_CONCERN_DAYS,
    LA,
    LOOKED_AFTER_CHILD_FOUND,
    LOOKED_AFTER_CHILD_REPORTED,
    LOW_RISKS,
    RECIPIENTS,
    REPEAT_THRESHOLD,
    REPEAT_THRESHOLD_REACHED,
    REPEAT_WINDOW_DAYS,
    RETURN_INTERVIEW_DUE,
    RETURN_INTERVIEW_OVERDUE,
    RISK_REVIEW_ADVISED,
)
from projections import _derive as derive
from projections._derive import EpisodeRow
from projections._facts import LA as _LA_FACTS
from projections._facts import PER_CHILD_TYPES, STATUS_TYPES, Fact
from projections._identity import component
from projections._store import ProjectionStore
from projections._time import duration_us, from_us
from projections._timeline import Timeline

DAY_US = 86_400_000_000
WINDOW_US = REPEAT_WINDOW_DAYS * DAY_US
"""The repeat window, (last_seen - 90 days, last_seen]: days of 24 hours, in UTC, so a
window across a clocks change still holds 90 x 24 hours."""
CSE_WINDOW_US = CSE_CONCERN_DAYS * DAY_US
DUE_US = duration_us(RETURN_INTERVIEW_DUE)
"""found_at + 72 hours (elapsed, not wall-clock: across a clocks change it reads 71 or 73)."""

REPORTED = "missing.reported"
FOUND = "missing.found"
ATTENDED = "health.concern_raised"
INTERVIEWED = frozenset({"return_interview.completed", "return_interview.declined"})
CAUSES = frozenset({REPORTED, FOUND, ATTENDED})
"""The types whose facts raise notices."""
WATCHED = CAUSES | INTERVIEWED
"""The types the projector tells the rules about (added, corrected or retracted)."""
_CSE_TYPES = ("cse.case_opened", "cse.case_closed", "cse.concern_raised")
_PLAN_TYPES = ("cp.plan_started", "cp.plan_ended")
EMERGENCY_DEPARTMENT = "emergency_department"
RAISE, WITHDRAW, ALL = "raise", "withdraw", "*"

Raised = tuple[str, dict[str, Any]]
"""A kind raised, and its detail (the spec's, for the kind)."""


class Episode(NamedTuple):
    """What the rules read of an episode's current row."""

    ref: str
    root: bytes
    last_seen_us: int
    classification: str
    risk: str
    looked_after: bool
    found_us: int | None
    missing_from: str


class Cause(NamedTuple):
    """The fact a notice is raised (or withdrawn) by."""

    event_id: bytes
    type: str
    agency: str
    occurred_us: int


class Notice(NamedTuple):
    """One row of what the hub should tell an agency (docs/notifications.md)."""

    position: int
    seq: int
    recorded_us: int
    action: str
    kind: str
    recipient: str
    cause_id: bytes
    cause_type: str
    cause_agency: str
    cause_us: int
    root: bytes | None
    detail: dict[str, Any]
    target_id: bytes | None


def utc(us: int) -> str:
    """A time as a notice's detail carries it: RFC 3339 in UTC."""
    return from_us(us).isoformat()


# The rules, pure.


def looked_after_reported(episode: Episode) -> Raised | None:
    if not episode.looked_after:
        return None
    return LOOKED_AFTER_CHILD_REPORTED, {
        "episode_ref": episode.ref,
        "last_seen_at": utc(episode.last_seen_us),
        "risk": episode.risk,
        "classification": episode.classification,
        "missing_from_kind": episode.missing_from,
    }


def graded_low(episode: Episode) -> bool:
    """Graded no apparent risk or low, or classified absent: worth checking for CSE."""
    return episode.risk in LOW_RISKS or episode.classification == "absent"


def cse_at(facts: Iterable[Fact], at_us: int) -> tuple[bool, int | None]:
    """(an open CSE case at ``at_us``; whole days since the latest ``cse.concern_raised``
    in the 90 days up to it, or None). ``facts``: the child's living CSE facts, any agency.

    A case is open when opened at or before ``at_us`` and no close of the same case_ref
    happened at or before it."""
    opened: set[str] = set()
    closed: set[str] = set()
    latest: int | None = None
    for fact in facts:
        if not fact.alive or fact.occurred_us > at_us:
            continue
        if fact.type == "cse.case_opened":
            opened.add(fact.payload["case_ref"])
        elif fact.type == "cse.case_closed":
            closed.add(fact.payload["case_ref"])
        elif fact.type == "cse.concern_raised" and fact.occurred_us >= at_us - CSE_WINDOW_US:
            latest = fact.occurred_us if latest is None else max(latest, fact.occurred_us)
    days = None if latest is None else (at_us - latest) // DAY_US
    return bool(opened - closed), days


def risk_review(episode: Episode, cse_facts: Iterable[Fact]) -> Raised | None:
    if not graded_low(episode):
        return None
    open_case, days = cse_at(cse_facts, episode.last_seen_us)
    if not open_case and days is None:
        return None
    return RISK_REVIEW_ADVISED, {
        "episode_ref": episode.ref,
        "risk": episode.risk,
        "classification": episode.classification,
        "open_cse_case": open_case,
        "cse_concern_days_ago": days,
    }


def in_window(episodes: Iterable[tuple[str, int]], end_us: int) -> int:
    """How many of ``episodes`` (ref, last_seen_us) fall in (end - 90 days, end]."""
    return sum(1 for _, t in episodes if end_us - WINDOW_US < t <= end_us)


def repeat_candidates(episodes: Sequence[tuple[str, int]], since_us: int) -> list[tuple[str, int]]:
    """The child's episodes whose window a report seen at ``since_us`` can have brought to
    the threshold: seen in [since, since + 90 days), whose window holds 3 or more, in the
    order seen (ref breaking ties)."""
    ends = sorted((t, ref) for ref, t in episodes if since_us <= t < since_us + WINDOW_US)
    return [(ref, t) for t, ref in ends if in_window(episodes, t) >= REPEAT_THRESHOLD]


def repeat_reached(
    episodes: Sequence[tuple[str, int]], since_us: int, told: Iterable[int]
) -> tuple[str, Raised] | None:
    """The repeat threshold, for a report whose episode was seen at ``since_us``: at the
    first candidate episode E (``repeat_candidates``) with no outstanding notice of the
    threshold about an episode of the child seen within 90 days of E (``told``: those
    episodes' last_seen), (E's ref, the notice). ``episodes``: all the child's current
    (ref, last_seen_us), the report's own included.

    So the child is told once per stretch of 90 days above the threshold, in whatever order
    the hub learns of the episodes: an episode recorded late between two known ones raises
    it when it completes a window, and one whose window overlaps a window already told does
    not raise it again."""
    told = sorted(told)
    for ref, t in repeat_candidates(episodes, since_us):
        if any(abs(t - s) < WINDOW_US for s in told):
            continue
        return ref, (
            REPEAT_THRESHOLD_REACHED,
            {
                "episodes_in_window": in_window(episodes, t),
                "window_days": REPEAT_WINDOW_DAYS,
                "threshold": REPEAT_THRESHOLD,
            },
        )
    return None


def looked_after_found(episode: Episode | None, found_us: int) -> Raised | None:
    """The found that gives the episode its found time, of a child looked after when last
    seen."""
    if episode is None or not episode.looked_after or episode.found_us != found_us:
        return None
    return LOOKED_AFTER_CHILD_FOUND, {
        "episode_ref": episode.ref,
        "found_at": utc(found_us),
        "return_interview_due_by": utc(found_us + DUE_US),
    }


def cp_plan_at(facts: Iterable[Fact], at_us: int) -> bool:
    """A child protection plan started at or before ``at_us`` and not ended (same plan_ref)
    at or before it."""
    started: set[str] = set()
    ended: set[str] = set()
    for fact in facts:
        if not fact.alive or fact.occurred_us > at_us:
            continue
        if fact.type == "cp.plan_started":
            started.add(fact.payload["plan_ref"])
        elif fact.type == "cp.plan_ended":
            ended.add(fact.payload["plan_ref"])
    return bool(started - ended)


def attendance(payload: dict[str, Any], looked_after: bool, cp_plan: bool) -> Raised | None:
    if payload.get("setting") != EMERGENCY_DEPARTMENT or not (looked_after or cp_plan):
        return None
    return ATTENDANCE_OF_CHILD_KNOWN_TO_CARE, {
        "setting": payload["setting"],
        "concern": payload["concern"],
        "looked_after": looked_after,
        "cp_plan": cp_plan,
    }


def outstanding(raised: set[str], withdrawn: set[str]) -> set[str]:
    """The kinds a cause raised that are not withdrawn yet."""
    return set() if ALL in withdrawn else raised - withdrawn


# The rules, on the projection.

Status = dict[bytes, tuple[bytes, Timeline]]


class Amended(NamedTuple):
    """A correction or retraction of a fact of a WATCHED type, as the projector applied it."""

    cause: Cause
    target_id: bytes
    retracted: bool
    before: dict[str, Any] | None
    """The target's payload before a correction replaced it (None for a retraction)."""


class Raise(NamedTuple):
    """A kind raised, its detail, the episode it is about (kept with the row), and its cause
    when that is not the fact evaluated (the repeat threshold cites the report of the episode
    at which the child reached it, whichever report completed the window)."""

    kind: str
    detail: dict[str, Any]
    episode_ref: str | None
    cause: Fact | None = None


class Rules:
    """Evaluates the rules for one run of facts, at the run's last position."""

    def __init__(
        self,
        store: ProjectionStore,
        group: Callable[[str], list[Fact]],
        status: Status,
        position: int,
        recorded_us: int,
    ) -> None:
        self.store = store
        self._groups = group
        self.status = status
        self.position = position
        self.recorded_us = recorded_us
        self._seq: int | None = None
        self._evaluated: set[bytes] = set()  # causes evaluated as added in this run
        # While a correction's target is judged on the payload it replaced: the target as it
        # was, and the episodes derived again with it in place of the current one.
        self._before: Fact | None = None
        self._derived: dict[str, Episode | None] = {}

    def run(self, added: Sequence[Fact], amended: Sequence[Amended]) -> None:
        """``added``: facts of WATCHED types the run added (not duplicates), in store order;
        ``amended``: the run's corrections and retractions of such facts, in store order."""
        targets = {a.target_id for a in amended}
        for fact in added:
            current = self.store.fact(fact.event_id) if fact.event_id in targets else fact
            if current is not None and current.alive:
                self._added(current)
        for cause, target_id, retracted, before in amended:
            target = self.store.fact(target_id)
            if target is None:
                continue
            if retracted:
                self._retracted(cause, target)
            else:
                self._corrected(cause, target, before or {})

    # What the rules read: the records as the run left them, or, while a correction is
    # judged on the payload it replaced, as they would be with that payload.

    def group(self, group: str) -> list[Fact]:
        facts = self._groups(group)
        before = self._before
        if before is None:
            return facts
        facts = [f for f in facts if f.event_id != before.event_id]
        if before.group == group:
            facts = sorted([*facts, before], key=lambda f: f.position)
        return facts

    def episode(self, ref: str | None) -> Episode | None:
        if not ref:
            return None
        if ref in self._derived:
            return self._derived[ref]
        row = self.store.episode_now(ref)
        if row is None:
            return None
        return Episode(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6], row[7])

    def times(self, root: bytes) -> list[tuple[str, int]]:
        """(ref, last_seen_us) of the child's episodes (by root)."""
        times = self.store.episode_times(root)
        if self._derived:
            times = [(ref, t) for ref, t in times if ref not in self._derived]
            for ref, episode in sorted(self._derived.items()):
                if episode is not None and episode.root == root:
                    times.append((ref, episode.last_seen_us))
        return times

    def _judged_before(self, target: Fact, before: dict[str, Any]) -> set[str]:
        """The kinds ``target`` raises with its payload as it was (``before``), on the
        records as they stand otherwise. The caller puts it back (``_now``)."""
        was = Fact(
            target.event_id,
            target.position,
            target.agency,
            target.type,
            target.child,
            target.occurred_us,
            before,
            target.alive,
        )
        self._before = was
        for group in {was.group, target.group}:
            if group and group.startswith("episode:"):
                ref = group.removeprefix("episode:")
                row, _ = derive.episode(ref, self.group(group), self._status_of)
                self._derived[ref] = None if row is None else _episode(row)
        _, raised = self.evaluate(was)
        return {r.kind for r in raised}

    def _now(self) -> None:
        self._before = None
        self._derived = {}

    def _status_of(self, child: bytes) -> tuple[bytes, Timeline]:
        """The child's (root, timeline), as the projector derives it, without writing."""
        if child not in self.status:
            members = component(self.store, child)
            la = self.store.about(members, _LA_FACTS, PER_CHILD_TYPES)
            return members[0], Timeline(la, self.store.first_known(members))
        return self.status[child]

    def told(self, refs: Sequence[str], kind: str, but: bytes) -> set[str]:
        """Which of the episodes ``refs`` have an outstanding notice of ``kind`` about them,
        raised by a cause other than ``but``."""
        told: set[str] = set()
        for ref, cause_id in self.store.raised_about(refs, kind):
            if ref in told or cause_id == but:
                continue
            if kind in outstanding(*self.store.notice_kinds(cause_id)):
                told.add(ref)
        return told

    # What a fact raises, on the records as they stand.

    def evaluate(self, fact: Fact) -> tuple[bytes | None, list[Raise]]:
        """The child's root and the kinds ``fact`` raises now (nothing once retracted)."""
        if not fact.alive:
            return None, []
        if fact.type == REPORTED:
            return self._reported(fact)
        if fact.type == FOUND:
            ref = fact.payload.get("episode_ref")
            episode = self.episode(ref)
            raised = looked_after_found(episode, fact.at("found_at"))
            if episode is None or raised is None:
                return (episode.root if episode else None), []
            if self.told([episode.ref], LOOKED_AFTER_CHILD_FOUND, fact.event_id):
                return episode.root, []  # the episode's found was told already
            return episode.root, [Raise(*raised, episode.ref)]
        if fact.type == ATTENDED and fact.child is not None:
            return self._attended(fact, fact.child)
        return None, []

    def report_of(self, ref: str) -> Fact | None:
        """The episode's first living report: the one its row is derived from."""
        reports = [f for f in self.group(f"episode:{ref}") if f.type == REPORTED and f.alive]
        return min(reports, key=lambda f: f.position) if reports else None

    def first_report(self, fact: Fact) -> bool:
        """Is ``fact`` the report its episode is derived from (its first living report)?"""
        group = f"episode:{fact.payload.get('episode_ref')}"
        reports = [f for f in self.group(group) if f.type == REPORTED and f.alive]
        return bool(reports) and min(reports, key=lambda f: f.position).event_id == fact.event_id

    def _reported(self, fact: Fact) -> tuple[bytes | None, list[Raise]]:
        if not self.first_report(fact):
            return None, []  # the episode is derived from another report
        episode = self.episode(fact.payload.get("episode_ref"))
        if episode is None:
            return None, []
        ref = episode.ref
        raised = [looked_after_reported(episode)]
        if graded_low(episode):
            members = component(self.store, episode.root)
            raised.append(risk_review(episode, self.store.facts_of(members, _CSE_TYPES)))
        said = [Raise(*r, ref) for r in raised if r]
        times = self.times(episode.root)
        if repeat_candidates(times, episode.last_seen_us):
            near = [
                (other, t) for other, t in times if abs(t - episode.last_seen_us) < 2 * WINDOW_US
            ]
            told = self.told([other for other, _ in near], REPEAT_THRESHOLD_REACHED, fact.event_id)
            at = repeat_reached(times, episode.last_seen_us, (t for r, t in near if r in told))
            if at is not None:
                said.append(Raise(*at[1], at[0], self.report_of(at[0]) or fact))
        return episode.root, said

    def _attended(self, fact: Fact, child: bytes) -> tuple[bytes | None, list[Raise]]:
        if fact.payload.get("setting") != EMERGENCY_DEPARTMENT:
            return self.root(child), []
        members = component(self.store, child)
        la = self.store.about(members, _LA_FACTS, STATUS_TYPES | set(_PLAN_TYPES))
        looked_after = Timeline(la).at(fact.occurred_us).looked_after
        cp_plan = cp_plan_at((f for f in la if f.type in _PLAN_TYPES), fact.occurred_us)
        raised = attendance(fact.payload, looked_after, cp_plan)
        return members[0], [Raise(*raised, None)] if raised else []

    def root(self, child: bytes | None) -> bytes | None:
        if child is None:
            return None
        if child in self.status:
            return self.status[child][0]
        return component(self.store, child)[0]

    def interviewed(self, ref: str) -> bool:
        return any(f.type in INTERVIEWED for f in self.group(f"episode:{ref}"))

    # Facts added, corrected, retracted.

    def _added(self, fact: Fact) -> None:
        if fact.event_id in self._evaluated:
            return
        self._evaluated.add(fact.event_id)
        if fact.type in INTERVIEWED:
            self.store.drop_deadlines(fact.payload["episode_ref"])
            return
        root, raised = self.evaluate(fact)
        for kind, detail, ref, by in raised:
            by = by or fact
            if by is not fact and kind in outstanding(*self.store.notice_kinds(by.event_id)):
                continue  # raised already, citing that episode's report (the same notice)
            cause = Cause(by.event_id, by.type, by.agency, by.occurred_us)
            for recipient in RECIPIENTS[kind]:
                self._write(RAISE, kind, recipient, cause, root, detail, None, ref)
            if kind == LOOKED_AFTER_CHILD_FOUND:
                self._deadline(fact, root)
        if fact.type == REPORTED and self.first_report(fact):
            # The episode has its occasion now: its founds recorded before it are judged as
            # if added now (a found judged before, told or withdrawn, is not again).
            group = f"episode:{fact.payload['episode_ref']}"
            for found in sorted(self.group(group), key=lambda f: f.position):
                judged = found.type != FOUND or self.store.notice_kinds(found.event_id)[0]
                if found.alive and not judged:
                    self._added(found)

    def _deadline(self, found: Fact, root: bytes | None) -> None:
        ref = found.payload["episode_ref"]
        if root is None or self.interviewed(ref):
            return
        self.store.drop_deadlines(ref)  # an earlier found's, now not the episode's found time
        found_us = found.at("found_at")
        self.store.set_deadline(
            found.event_id, ref, root, found_us, found_us + DUE_US, found.agency
        )

    def _retracted(self, cause: Cause, target: Fact) -> None:
        self._withdraw_all(cause, target)
        if target.type == FOUND:
            self.store.drop_deadline(target.event_id)
        elif target.type == REPORTED:
            ref = target.payload["episode_ref"]
            group = f"episode:{ref}"
            if not any(f.type == REPORTED for f in self.group(group)):
                # No occasion any more: what its other facts raised goes with it.
                for cause_id in self.store.notice_causes(group):
                    other = self.store.fact(cause_id)
                    if other is not None and cause_id != target.event_id:
                        self._withdraw_all(cause, other)
                self.store.drop_deadlines(ref)
        elif target.type in INTERVIEWED:
            self._wait_again(target.payload["episode_ref"])

    def _withdraw_all(self, cause: Cause, target: Fact) -> None:
        if outstanding(*self.store.notice_kinds(target.event_id)):
            root = self.root(target.child)
            self._write(WITHDRAW, ALL, ALL, cause, root, {}, target.event_id, None)

    def _wait_again(self, ref: str) -> None:
        """An interview retracted: the episode's notified found waits for one again."""
        if self.interviewed(ref):
            return
        for cause_id in self.store.notice_causes(f"episode:{ref}"):
            found = self.store.fact(cause_id)
            if found is None or not found.alive or found.type != FOUND:
                continue
            if LOOKED_AFTER_CHILD_FOUND in outstanding(*self.store.notice_kinds(cause_id)):
                root, raised = self.evaluate(found)
                if raised:
                    self._deadline(found, root)

    def _corrected(self, cause: Cause, target: Fact, before: dict[str, Any]) -> None:
        """Each outstanding kind the target raised that held on the payload it replaced and
        does not on the new one is withdrawn; both judged on the records as they stand now,
        so a later record (an episode recorded late, a regrading) withdraws nothing."""
        waiting = target.type == FOUND and self.store.has_deadline(target.event_id)
        kinds = outstanding(*self.store.notice_kinds(target.event_id))
        if not kinds and not waiting:
            return
        root, raised = self.evaluate(target)
        holds = {r.kind for r in raised}
        try:
            held = self._judged_before(target, before)
        finally:
            self._now()
        gone = kinds & held - holds
        for kind in sorted(gone):
            self._write(
                WITHDRAW, kind, ALL, cause, self.root(target.child), {}, target.event_id, None
            )
        if waiting:  # its found_at may have moved, or its notice be withdrawn
            self.store.drop_deadline(target.event_id)
            if LOOKED_AFTER_CHILD_FOUND in kinds - gone:
                self._deadline(target, root)

    def _write(
        self,
        action: str,
        kind: str,
        recipient: str,
        cause: Cause,
        root: bytes | None,
        detail: dict[str, Any],
        target: bytes | None,
        episode_ref: str | None,
    ) -> None:
        if self._seq is None:
            self._seq = self.store.next_seq(self.position)
        self.store.add_notice(
            (
                self.position,
                self._seq,
                self.recorded_us,
                action,
                kind,
                recipient,
                cause.event_id,
                cause.type,
                cause.agency,
                cause.occurred_us,
                root,
                orjson.dumps(detail).decode(),
                target,
                episode_ref,
            )
        )
        self._seq += 1


def _episode(row: EpisodeRow) -> Episode:
    return Episode(
        row.ref,
        row.root,
        row.last_seen_us,
        row.classification,
        row.risk,
        row.looked_after,
        row.found_us,
        row.missing_from,
    )


# The read side, for the hub's Notifier.


def notices(
    store: ProjectionStore,
    after: tuple[int, int] | int,
    limit: int = 1000,
    *,
    recorded_since_us: int | None = None,
) -> list[Notice]:
    """Up to ``limit`` notice rows in (position, seq) order: strictly after ``after`` =
    (position, seq), or, for an int, at positions after it; and recorded at or after
    ``recorded_since_us`` when given. With a recorded time the read starts at the first
    position recorded since then (an index seek), so a cursor far behind costs nothing:
    when it returns nothing, advance the cursor to a ``notice_head`` read before it."""
    cursor: tuple[int, int | None] = (after, None) if isinstance(after, int) else after
    with store.reading():
        rows = store.notice_rows(cursor, limit, recorded_since_us)
    return [_notice(row) for row in rows]


def notice_head(store: ProjectionStore) -> tuple[int, int]:
    """(position, seq) of the last notice row, (0, 0) before any: a cursor past every row
    there is now. Read it before a ``notices`` that returns nothing, not after (a row the
    projector adds in between would be passed over)."""
    with store.reading():
        return store.notice_head()


def head(store: ProjectionStore) -> int:
    """The position of the last fact the projection has applied (0 before any): caught up
    when it is the feed's ``head()``."""
    with store.reading():
        return store.head()[0]


def _notice(row: tuple[Any, ...]) -> Notice:
    (position, seq, recorded_us, action, kind, recipient, cause_id, cause_type) = row[:8]
    cause_agency, cause_us, root, detail, target_id = row[8:]
    return Notice(
        position,
        seq,
        recorded_us,
        action,
        kind,
        recipient,
        cause_id,
        cause_type,
        cause_agency,
        cause_us,
        root,
        orjson.loads(detail),
        target_id,
    )


def due(store: ProjectionStore, since_us: int, until_us: int) -> list[Notice]:
    """A notice of kind RETURN_INTERVIEW_OVERDUE for each notified found whose return
    interview fell due in (since_us, until_us] and is still awaited."""
    with store.reading():
        rows = store.deadlines_due(since_us, until_us)
    return [
        Notice(
            position=0,
            seq=0,
            recorded_us=due_us,
            action=RAISE,
            kind=RETURN_INTERVIEW_OVERDUE,
            recipient=LA,
            cause_id=cause_id,
            cause_type=FOUND,
            cause_agency=agency,
            cause_us=found_us,
            root=root,
            detail={"episode_ref": ref, "found_at": utc(found_us), "due_by": utc(due_us)},
            target_id=None,
        )
        for cause_id, ref, root, found_us, due_us, agency in rows
    ]


def children_of(store: ProjectionStore, root: bytes) -> list[bytes]:
    """Every hub child in ``root``'s component now (root first)."""
    with store.reading():
        return component(store, root)


def facts_by(store: ProjectionStore, members: Sequence[bytes], agency: str) -> list[bytes]:
    """The event ids of ``agency``'s living facts about any of ``members``, in store order."""
    if not members:
        return []
    with store.reading():
        return store.living_ids(members, agency)
