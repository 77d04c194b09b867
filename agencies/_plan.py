"""Deciding what an import publishes: new facts, corrections, retractions, or nothing.

Each record's facts are compared, role by role, with what the ledger says was published:

- a role never published (or retracted since) is published as a new fact;
- a role whose payload changed gets a ``record.corrected`` carrying the whole new payload;
- a role whose time, type or child identifiers changed cannot be corrected in contract v1
  (a correction replaces the payload only), so the old fact is retracted and the new one
  published under the next revision's id;
- a role the record no longer implies (a placement end date removed) is retracted;
- with ``snapshot``, a record that is no longer in the file has all its facts retracted.

Every id is derived with uuid5 from the source, the record's natural key, the role and a
revision, so the same file imported twice, or re-sent after a crash, derives the same ids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import orjson

import contracts
from agencies._fields import FieldError
from agencies._format import Draft, Format, Item, Notice, ReadContext, Refusal
from agencies._ledger import Entry, SourceLedger

_IDS = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/agency-imports/")
_OUTCOMES = ("empty", "unchanged", "published", "progressed", "corrected")


@dataclass(frozen=True)
class Message:
    subject: str
    event_id: str
    body: bytes


@dataclass
class Counts:
    """Rows by what happened to them, and events by kind."""

    published: int = 0  # records seen for the first time (or again after a retraction)
    progressed: int = 0  # records with new facts only (an incident found)
    corrected: int = 0  # records with a correction, replacement or retracted fact
    unchanged: int = 0
    empty: int = 0  # records that imply no event (a Header row without a UPN)
    retracted: int = 0  # records gone from a snapshot
    refused: int = 0
    rows: int = 0  # rows read (for the SSDA903, a child's episodes are one record)
    warnings: int = 0  # values dropped from rows that were kept
    events: int = 0
    corrections: int = 0
    retractions: int = 0


def digest(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


class Planner:
    """Plans one import of a source, record by record, updating the ledger in memory."""

    def __init__(self, fmt: Format, ledger: SourceLedger, now: dt.datetime) -> None:
        self.fmt = fmt
        self.ledger = ledger
        self.now = now
        self.context = ReadContext(now, ledger.states)
        self.messages: list[Message] = []
        self.counts = Counts()
        self.refusals: list[Refusal] = []
        self.notices: list[Notice] = []
        self.withheld: str | None = None
        self._seen: dict[str, int] = {}
        self._unkeyed = 0

    # -- records ---------------------------------------------------------------------------

    def add(self, item: Item | Refusal) -> None:
        if isinstance(item, Refusal):
            self._unkeyed += 1
            self._refuse(item)
            return
        first = self._seen.get(item.key)
        if first is not None:
            self._refuse(item.refusal(FieldError("-", f"is the same record as line {first}")))
            return
        self._seen[item.key] = item.row.line
        try:
            built = item.build(self.ledger.states.get(item.key))
            outcome, actions = self._plan(item.key, built.drafts)
            # Checked against the contract only what will be sent: a re-import checks nothing.
            self._check([action[1] for action in actions if isinstance(action[1], Draft)])
        except FieldError as error:
            self._refuse(item.refusal(error))
            return
        for action in actions:
            action[0](*action[1:])
        self.notices.extend(built.notices)
        if built.state is not None:
            self.ledger.remember(item.key, built.state)
        setattr(self.counts, outcome, getattr(self.counts, outcome) + 1)

    def retract_missing(self) -> None:
        """Snapshot: retract every live fact of a record that is not in the file."""
        if not self._seen:
            self.withheld = (
                "the file holds no record that could be read, so nothing was treated as gone"
                " (a snapshot of nothing would retract the agency's whole record)"
            )
            return
        if self._unkeyed:
            self.withheld = (
                f"{self._unkeyed} refused row(s) could not be matched to a record, so no record"
                " was treated as gone; fix them and import the snapshot again"
            )
            return
        gone = [
            key
            for key in self.ledger.live_keys()
            if key not in self._seen and key.split("\x1f", 1)[0] not in self.context.partial
        ]
        for key in gone:
            for role, entry in sorted(self.ledger.roles(key).items()):
                if entry.live:
                    self._retract(key, role, entry, "no longer in the agency's export")
            self.counts.retracted += 1

    # -- one record ------------------------------------------------------------------------

    def _plan(self, key: str, drafts: list[Draft]) -> tuple[str, list[tuple[Any, ...]]]:
        """What to send for one record, as calls to make once its facts are known valid."""
        entries = self.ledger.roles(key)
        had_live = any(entry.live for entry in entries.values())
        outcome = "unchanged" if drafts or entries else "empty"
        actions: list[tuple[Any, ...]] = []
        roles = set()
        for draft in drafts:
            assert draft.role not in roles, f"{self.fmt.source}: role {draft.role} twice"
            roles.add(draft.role)
            envelope = digest(
                [draft.event_type, draft.occurred_at.isoformat(), (draft.child or {}).get("ids")]
            )
            payload = digest(draft.payload)
            entry = entries.get(draft.role)
            if entry is None or not entry.live:
                revision = 0 if entry is None else entry.revision + 1
                actions.append((self._publish, draft, key, envelope, payload, revision))
                outcome = _worse(outcome, "progressed" if had_live else "published")
            elif entry.envelope != envelope:
                reason = "replaced: its time or child changed"
                actions.append((self._retract, key, draft.role, entry, reason))
                actions.append((self._publish, draft, key, envelope, payload, entry.revision + 1))
                outcome = "corrected"
            elif entry.payload != payload:
                actions.append((self._correct, draft, key, entry, payload))
                outcome = "corrected"
        for role, entry in sorted(entries.items()):
            if entry.live and role not in roles:
                reason = "no longer implied by the agency's record"
                actions.append((self._retract, key, role, entry, reason))
                outcome = "corrected"
        return outcome, actions

    def _publish(self, draft: Draft, key: str, envelope: str, payload: str, revision: int) -> None:
        event_id = str(uuid5(_IDS, "\x1f".join((self.fmt.source, key, draft.role, str(revision)))))
        occurred_at = draft.occurred_at.isoformat()
        body = self._body(event_id, draft.event_type, occurred_at, draft.child, draft.payload)
        self._send(draft.event_type, event_id, body)
        self.ledger.put(
            key, draft.role, Entry(event_id, occurred_at, envelope, payload, revision, True)
        )

    def _correct(self, draft: Draft, key: str, entry: Entry, payload: str) -> None:
        revision = entry.revision + 1
        event_id = str(
            uuid5(
                _IDS,
                "\x1f".join(
                    (self.fmt.source, key, draft.role, "corrected", str(revision), payload)
                ),
            )
        )
        body = self._body(
            event_id,
            "record.corrected",
            entry.occurred_at,
            None,
            {"target_event_id": entry.event_id, "replacement": draft.payload},
        )
        self._send("record.corrected", event_id, body)
        self.counts.corrections += 1
        self.ledger.put(
            key,
            draft.role,
            Entry(entry.event_id, entry.occurred_at, entry.envelope, payload, revision, True),
        )

    def _retract(self, key: str, role: str, entry: Entry, reason: str) -> None:
        event_id = str(uuid5(_IDS, "\x1f".join((self.fmt.source, "retracted", entry.event_id))))
        body = self._body(
            event_id,
            "record.retracted",
            entry.occurred_at,
            None,
            {"target_event_id": entry.event_id, "reason": reason},
        )
        self._send("record.retracted", event_id, body)
        self.counts.retractions += 1
        self.ledger.put(
            key,
            role,
            Entry(
                entry.event_id,
                entry.occurred_at,
                entry.envelope,
                entry.payload,
                entry.revision,
                False,
            ),
        )

    # -- messages --------------------------------------------------------------------------

    def _body(
        self,
        event_id: str,
        event_type: str,
        occurred_at: str,
        child: dict[str, Any] | None,
        payload: dict[str, Any],
    ) -> bytes:
        event: dict[str, Any] = {
            "event_id": event_id,
            "event_type": event_type,
            "schema_version": 1,
            "source": {"agency": self.fmt.agency, "system": self.fmt.system},
            "occurred_at": occurred_at,
        }
        if child is not None:
            event["child"] = child
        event["payload"] = payload
        return orjson.dumps(event)

    def _send(self, event_type: str, event_id: str, body: bytes) -> None:
        self.messages.append(
            Message(contracts.subject_for(self.fmt.agency, event_type), event_id, body)
        )
        self.counts.events += 1

    def _check(self, drafts: list[Draft]) -> None:
        """Each fact must be a valid contract event, so the hub never has to reject it."""
        for draft in drafts:
            body = self._body(
                "00000000-0000-4000-8000-000000000000",
                draft.event_type,
                draft.occurred_at.isoformat(),
                draft.child,
                draft.payload,
            )
            try:
                contracts.parse_event(body, now=self.now)
            except contracts.ContractViolation as error:
                raise FieldError("-", f"makes an invalid {draft.event_type}: {error}") from None

    def finish(self) -> None:
        """After the last item: what the format noticed about the file as a whole."""
        self.notices[:0] = self.context.notices
        self.context.notices = []
        self.counts.rows = self.context.rows
        self.counts.warnings = len(self.notices)

    def _refuse(self, refusal: Refusal) -> None:
        self.refusals.append(refusal)
        self.counts.refused += 1


def _worse(current: str, new: str) -> str:
    return max(current, new, key=_OUTCOMES.index)


__all__ = ["Counts", "Message", "Planner"]
