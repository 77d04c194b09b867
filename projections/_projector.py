"""The projector: applies each stored fact, in store order, to the projection.

For each fact it updates the state, works out which records the fact touches (an episode, an
alert, a child's status, ...), derives those records again from their living facts, and
writes a new version of each record whose rows changed, stamped with the fact's position.
A fact that changes a child's status or identity re-derives everything about the child,
across all history: a link recorded today changes last year's episodes from today's position.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from uuid import UUID

from hub.domain.events import FactRecorded
from projections import _derive as derive
from projections._facts import LA, Fact
from projections._identity import component
from projections._store import ProjectionStore
from projections._time import instant, to_us
from projections._timeline import Timeline


@dataclass
class _Touched:
    children: set[bytes] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)

    def fact(self, fact: Fact, previous_group: str | None = None) -> None:
        for group in (previous_group, fact.group):
            if group:
                self.groups.add(group)
        if fact.child and fact.agency == LA:
            self.children.add(fact.child)


class Projector:
    def __init__(self, store: ProjectionStore) -> None:
        self.store = store
        self.position, self.count, self.chain = store.head()

    def apply(self, position: int, event: FactRecorded) -> None:
        """Apply one stored fact. Call inside ``store.writing()``; facts already applied
        (at or below the projection's position) are passed over."""
        if position <= self.position:
            return
        event_id = UUID(event.event_id).bytes
        self.chain = hashlib.sha256(self.chain + event_id + position.to_bytes(8, "big")).digest()
        self.count += 1
        self.position = position
        self.store.log(position, to_us(event.timestamp), self.count, self.chain)
        touched = _Touched()
        payload = event.body["payload"]
        if event.event_type == "record.corrected":
            self._correct(UUID(payload["target_event_id"]).bytes, payload["replacement"], touched)
        elif event.event_type == "record.retracted":
            self._retract(UUID(payload["target_event_id"]).bytes, touched)
        else:
            self._add(position, event_id, event, touched)
        _Rederive(self.store, position).run(touched)

    def _add(self, position: int, event_id: bytes, event: FactRecorded, touched: _Touched) -> None:
        child = UUID(event.child_id).bytes if event.child_id else None
        fact = Fact(
            event_id,
            position,
            event.agency,
            event.event_type,
            child,
            instant(event.body["occurred_at"]),
            event.body["payload"],
        )
        if not self.store.add_fact(fact, fact.group):
            return  # a duplicate: counted once
        if child:
            for joined in event.joined_child_ids:
                self._edge(event_id, child, UUID(joined).bytes, "join", position, touched)
            if event.other_child_id:
                kind = event.event_type.removeprefix("identity.")
                self._edge(
                    event_id, child, UUID(event.other_child_id).bytes, kind, position, touched
                )
        if fact.type == "safeguarding.organised_abuse_investigation_started":
            self.store.cite(fact.payload["alert_refs"], fact.payload["investigation_ref"])
        touched.fact(fact)

    def _edge(
        self, event_id: bytes, a: bytes, b: bytes, kind: str, position: int, touched: _Touched
    ) -> None:
        self.store.add_edge(event_id, a, b, kind, position)
        touched.children.update((a, b))

    def _correct(self, target_id: bytes, replacement: dict[str, object], touched: _Touched) -> None:
        target = self.store.fact(target_id)
        if target is None or not target.alive:
            return
        previous = target.group
        target.payload = dict(replacement)
        self.store.update_fact(target)
        if target.type == "safeguarding.organised_abuse_investigation_started":
            self.store.cite(target.payload["alert_refs"], target.payload["investigation_ref"])
        touched.fact(target, previous)

    def _retract(self, target_id: bytes, touched: _Touched) -> None:
        target = self.store.fact(target_id)
        if target is None or not target.alive:
            return
        target.alive = False
        self.store.update_fact(target)
        for a, b in self.store.kill_edges(target_id):
            touched.children.update((a, b))
        touched.fact(target)


class _Rederive:
    """Derives the touched records again, as of one position."""

    def __init__(self, store: ProjectionStore, position: int) -> None:
        self.store = store
        self.position = position
        self._status: dict[bytes, tuple[bytes, Timeline]] = {}

    def run(self, touched: _Touched) -> None:
        groups = set(touched.groups)
        for child in touched.children:
            if child not in self._status:
                groups.update(self._child(child))
        alerts = sorted(g for g in groups if g.startswith("alert:"))
        for group in alerts:
            if self._alert(group.removeprefix("alert:")):
                groups.update(f"investigation:{r}" for r in self.store.citing(group[6:]))
        for group in sorted(groups):
            kind, ref = group.split(":", 1)
            if kind == "episode":
                self._episode(ref)
            elif kind == "investigation":
                row = derive.investigation(ref, self.store.group(group), self.store.alert_setting)
                self.store.replace("investigation", ref, [row] if row else [], self.position)
            elif kind == "cse":
                row_ = derive.cse_case(ref, self.store.group(group))
                self.store.replace("cse_case", ref, [row_] if row_ else [], self.position)

    def status_of(self, child: bytes) -> tuple[bytes, Timeline]:
        if child not in self._status:
            self._child(child)
        return self._status[child]

    def _child(self, child: bytes) -> list[str]:
        """Re-derive everything held per child; return the child's episodes to re-derive."""
        members = component(self.store, child)
        root = members[0]
        la = self.store.about(members, LA)
        timeline = Timeline(la)
        for member in members:
            self._status[member] = (root, timeline)
        for table, rows in (
            ("uasc", derive.uasc_looked_after(root, timeline)),
            ("plan", derive.plans(root, la)),
            ("cost", derive.costs(root, la)),
        ):
            self.store.replace(table, root, rows, self.position)
            for member in members[1:]:  # roots merged into this one hold nothing now
                self.store.replace(table, member, [], self.position)
        return self.store.episodes_of(members)

    def _episode(self, ref: str) -> None:
        row, orphans = derive.episode(ref, self.store.group(f"episode:{ref}"), self.status_of)
        self.store.replace("episode", ref, [row] if row else [], self.position)
        self.store.replace("orphan", ref, orphans, self.position)

    def _alert(self, ref: str) -> bool:
        row = derive.alert(ref, self.store.group(f"alert:{ref}"))
        return self.store.replace("alert", ref, [row] if row else [], self.position)
