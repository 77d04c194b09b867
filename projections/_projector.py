"""The projector: applies each stored fact, in store order, to the projection.

For each fact it updates the state, works out which records the fact touches (an episode, an
alert, a child's status, ...), derives those records again from their living facts, and
writes a new version of each record whose rows changed, stamped with a position (below).
A fact that changes a child's status or identity re-derives everything about the child,
across all history: a link recorded today changes last year's episodes from today's position.

Records are derived again once per run of facts the hub recorded together (one batch, one
``recorded_us``), stamped with the run's last position, not once per fact: every as-of answer
reads the projection at the last position recorded by some time, which is the end of such a
run, so versions inside a run would never be read. A child's hundredth invoice no longer
re-derives the child a hundredth time within its batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from uuid import UUID

from hub.feed import StoredFact
from projections import _derive as derive
from projections._facts import COUNCIL_MISSING, LA, PER_CHILD_TYPES, Fact, kept
from projections._identity import component
from projections._notices import WATCHED, Amended, Cause, Rules
from projections._reconcile import PoliceEpisode, reconcile
from projections._schema import OPEN_DAY
from projections._store import ProjectionStore
from projections._time import day_number, instant, london_day
from projections._timeline import Timeline


@dataclass
class _Touched:
    children: set[bytes] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    council: set[bytes] = field(default_factory=set)  # children whose missing records changed
    # For the notifications' rules: facts of their types added (not duplicates), and the
    # corrections and retractions of such facts (with the payload a correction replaced).
    added: list[Fact] = field(default_factory=list)
    amended: list[Amended] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.children or self.groups or self.added or self.amended)

    def fact(self, fact: Fact, previous_group: str | None = None) -> None:
        for group in (previous_group, fact.group):
            if group:
                self.groups.add(group)
        if fact.child and fact.agency == LA and fact.type in PER_CHILD_TYPES:
            self.children.add(fact.child)
            if fact.type == COUNCIL_MISSING:
                self.council.add(fact.child)


Stored = StoredFact  # a fact as the hub's read port gives it


class Projector:
    """Applies facts within one ``store.writing()`` transaction."""

    def __init__(self, store: ProjectionStore) -> None:
        self.store = store
        self.position, self.count, self.chain = store.head()
        # Each child's (root, timeline), valid for this transaction: every change to a
        # child's status or links re-derives the child's component, which refreshes it.
        self.status: dict[bytes, tuple[bytes, Timeline]] = {}
        # Each record's living facts, loaded once per transaction and kept up to date.
        self.groups: dict[str, list[Fact]] = {}
        # What the current run of facts recorded together has touched, derived at its end.
        self.touched = _Touched()
        self.run_recorded_us: int | None = None
        self.types_seen = store.types_seen()

    def apply(self, fact: Stored) -> None:
        """Apply one stored fact; facts at or below the projection's position are passed
        over (already applied)."""
        position = fact.position
        if position <= self.position:
            return
        if not self.position:  # which store this projection follows (see catch_up)
            self.store.set_meta("origin", str(UUID(fact.event_id)))
        if fact.recorded_us != self.run_recorded_us:
            self.flush()
            self.run_recorded_us = fact.recorded_us
        event_id = UUID(fact.event_id).bytes
        self.chain = hashlib.sha256(self.chain + event_id + position.to_bytes(8, "big")).digest()
        self.count += 1
        self.position = position
        self.store.log(position, fact.recorded_us, self.count, self.chain)
        if fact.event_type not in self.types_seen:
            self.types_seen.add(fact.event_type)
            self.store.note_type(fact.event_type, position)
        touched = self.touched
        payload = fact.body["payload"]
        if fact.event_type in ("record.corrected", "record.retracted"):
            cause = Cause(event_id, fact.event_type, fact.agency, instant(fact.body["occurred_at"]))
            target_id = UUID(payload["target_event_id"]).bytes
            if fact.event_type == "record.corrected":
                self._correct(target_id, payload["replacement"], touched, cause)
            else:
                self._retract(target_id, touched, cause)
        else:
            self._add(event_id, fact, touched)

    def flush(self) -> None:
        """Derive again what the facts applied since the last flush touched, as of the last
        of them. Call it before the transaction commits."""
        if self.touched:
            touched = self.touched
            _Rederivation(self, self.position).run(touched)
            if touched.added or touched.amended:  # on the records as this run left them
                recorded_us = self.run_recorded_us or 0
                rules = Rules(self.store, self.group, self.status, self.position, recorded_us)
                rules.run(touched.added, touched.amended)
            self.touched = _Touched()

    def group(self, group: str) -> list[Fact]:
        if group not in self.groups:
            self.groups[group] = self.store.group(group)
        return self.groups[group]

    def _add(self, event_id: bytes, stored: Stored, touched: _Touched) -> None:
        position = stored.position
        child = UUID(stored.child_id).bytes if stored.child_id else None
        fact = Fact(
            event_id,
            position,
            stored.agency,
            stored.event_type,
            child,
            instant(stored.body["occurred_at"]),
            kept(stored.event_type, stored.body["payload"]),
        )
        group = fact.group
        if not self.store.add_fact(fact, group):
            return  # a duplicate: counted once
        if child and (born := _born(stored.body)):
            self.store.note_born(event_id, child, day_number(born), position)
        if group in self.groups:
            self.groups[group].append(fact)
        if child:
            for joined in stored.joined_child_ids:
                self._edge(event_id, child, UUID(joined).bytes, "join", position, touched)
            if stored.other_child_id:
                other = UUID(stored.other_child_id).bytes
                kind = stored.event_type.removeprefix("identity.")
                self._edge(event_id, child, other, kind, position, touched)
                for joined in stored.other_joined_child_ids:
                    self._edge(event_id, other, UUID(joined).bytes, "join", position, touched)
        if fact.type == "safeguarding.organised_abuse_investigation_started":
            self.store.cite(fact.payload["alert_refs"], fact.payload["investigation_ref"])
        if fact.type == "care.period_started":  # looked after from then, ended or not
            self.store.extend_span("care", london_day(fact.occurred_us), OPEN_DAY, position)
        if child and fact.agency == LA and self.store.note_known(child, fact.occurred_us):
            touched.children.add(child)  # the department knew the child earlier than we knew
        if fact.type in WATCHED:
            touched.added.append(fact)
        touched.fact(fact)

    def _edge(
        self, event_id: bytes, a: bytes, b: bytes, kind: str, position: int, touched: _Touched
    ) -> None:
        self.store.add_edge(event_id, a, b, kind, position)
        touched.children.update((a, b))

    def _correct(
        self,
        target_id: bytes,
        replacement: dict[str, object],
        touched: _Touched,
        cause: Cause,
    ) -> None:
        target = self.store.fact(target_id)
        if target is None or not target.alive:
            return
        previous, before = target.group, target.payload
        target.payload = kept(target.type, replacement)
        self.store.update_fact(target)
        self.groups.pop(previous or "", None)
        self.groups.pop(target.group or "", None)
        if target.type == "safeguarding.organised_abuse_investigation_started":
            self.store.cite(target.payload["alert_refs"], target.payload["investigation_ref"])
        self._recount(target, touched)
        touched.fact(target, previous)
        if target.type in WATCHED:
            touched.amended.append(Amended(cause, target_id, False, before))

    def _retract(self, target_id: bytes, touched: _Touched, cause: Cause) -> None:
        target = self.store.fact(target_id)
        if target is None or not target.alive:
            return
        target.alive = False
        self.store.update_fact(target)
        self.groups.pop(target.group or "", None)
        for a, b in self.store.kill_edges(target_id):
            touched.children.update((a, b))
        self._recount(target, touched)
        touched.fact(target)
        if target.type in WATCHED:
            touched.amended.append(Amended(cause, target_id, True, None))

    def _recount(self, target: Fact, touched: _Touched) -> None:
        if target.child and target.agency == LA:
            self.store.recount_known(target.child)
            touched.children.add(target.child)


def _born(body: dict[str, object]) -> dt.date | None:
    """The month of birth the fact states, as its first day: the view's ``born``
    (``YYYY-MM-01``), or a fact stored before sealing's ``date_of_birth``, made as coarse.
    The forum's age bands, on a month's last day, come out the same from either."""
    child = body.get("child")
    if not isinstance(child, dict):
        return None
    born = child.get("born") or child.get("date_of_birth")
    return dt.date.fromisoformat(born[:7] + "-01") if isinstance(born, str) else None


class _Rederivation:
    """One derivation again of the records a run of facts touched, as of one position."""

    def __init__(self, projector: Projector, position: int) -> None:
        self.store = projector.store
        self.group = projector.group
        self.position = position
        self._status = projector.status
        # Children whose council records and police episodes are matched again at the end,
        # once their episodes have their final rows.
        self._reconcile: set[bytes] = set()
        self._council_touched: set[bytes] = set()
        # Each root's component and council missing records, once derived in this run.
        self._members: dict[bytes, tuple[list[bytes], list[Fact]]] = {}

    def run(self, touched: _Touched) -> None:
        self._council_touched = touched.council
        groups = set(touched.groups)
        done: set[bytes] = set()
        for child in touched.children:
            if child not in done:
                groups.update(self._child(child, done))
        alerts = sorted(g for g in groups if g.startswith("alert:"))
        for group in alerts:
            if self._alert(group.removeprefix("alert:")):
                groups.update(f"investigation:{r}" for r in self.store.citing(group[6:]))
        for group in sorted(groups):
            kind, ref = group.split(":", 1)
            if kind == "episode":
                self._episode(ref)
            elif kind == "investigation":
                investigation = derive.investigation(
                    ref, self.group(group), self.store.alert_setting
                )
                rows = [investigation] if investigation else []
                self.store.replace("investigation", ref, rows, self.position)
            elif kind == "cse":
                case = derive.cse_case(ref, self.group(group))
                self.store.replace("cse_case", ref, [case] if case else [], self.position)
        done.clear()
        for root in sorted(self._reconcile):
            self._match(root, done)

    def _match(self, root: bytes, done: set[bytes]) -> None:
        """Match the child's council missing records with their police episodes again."""
        members, council = self._members.get(root) or (component(self.store, root), None)
        if members[0] != root:  # no longer a root: its rows are its root's now
            self.store.replace("reconcile", root, [], self.position)
            root, council = members[0], None
        if root in done:
            return
        done.add(root)
        if council is None:
            council = self.store.about(members, LA, (COUNCIL_MISSING,))
        police = [PoliceEpisode(*row) for row in self.store.police_episodes(root)]
        self.store.replace("reconcile", root, reconcile(root, council, police), self.position)

    def status_of(self, child: bytes) -> tuple[bytes, Timeline]:
        if child not in self._status:
            self._child(child, set())
        return self._status[child]

    def _child(self, child: bytes, done: set[bytes]) -> list[str]:
        """Re-derive everything held per child; return the child's episodes to re-derive."""
        members = component(self.store, child)
        done.update(members)
        root = members[0]
        la = self.store.about(members, LA, PER_CHILD_TYPES)
        self._members[root] = (members, [f for f in la if f.type == COUNCIL_MISSING])
        timeline = Timeline(la, self.store.first_known(members))
        for member in members:
            self._status[member] = (root, timeline)
        for table, rows in (
            ("uasc", derive.uasc_looked_after(root, timeline)),
            ("plan", derive.plans(root, la)),
            ("cost", derive.costs(root, la)),
        ):
            self.store.replace(table, root, rows, self.position)
        for member in members[1:]:  # roots merged into this one hold nothing now
            for table in ("uasc", "plan", "cost", "reconcile"):
                self.store.replace(table, member, [], self.position)
        changed = self.store.set_status(members, root, timeline.signature())
        # Matched again when the records or who the child is changed (a changed episode is
        # matched again from _episode).
        if changed or not self._council_touched.isdisjoint(members):
            self._reconcile.add(root)
        if not changed:
            return []  # every episode of the child already has this status
        return self.store.episodes_of(members)

    def _episode(self, ref: str) -> None:
        row, orphans = derive.episode(ref, self.group(f"episode:{ref}"), self.status_of)
        changed, before = self.store.replace("episode", ref, [row] if row else [], self.position)
        if changed:  # matched again, under the root it has and any other it had
            roots = {old[1] for old in before} | ({row.root} if row else set())
            self._reconcile.update(roots)
        # Orphans exist only while the episode has no report: skip the lookup when it had one.
        if not (row and before):
            self.store.replace("orphan", ref, orphans, self.position)

    def _alert(self, ref: str) -> bool:
        row = derive.alert(ref, self.group(f"alert:{ref}"))
        return self.store.replace("alert", ref, [row] if row else [], self.position)[0]
