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
The ledger keeps keyed digests only (``agencies._ledger.LedgerKeys``): a record by its
``ref``, a role by its digest, and what a fact said by keyed digests of the unkeyed ones
(``digest``), so a ledger sealed from one written in clear compares the same.

A record's plan is a list of actions (``Publish``, ``Correct``, ``Retract``: ``Action``);
carrying one out (``Planner._take``) makes its ``Outgoing`` message and the ledger's new entry
for its role.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import orjson

import contracts
from agencies._fields import FieldError
from agencies._format import Draft, Format, Item, Notice, ReadContext, Refusal
from agencies._ledger import Entry, SourceLedger
from agencies._outgoing import Outgoing

_IDS = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/agency-imports/")
_OUTCOMES = ("empty", "unchanged", "published", "progressed", "corrected")


@dataclass(frozen=True)
class Publish:
    """Publish a record's fact under its role: for the first time, again after a retraction,
    or as the replacement of a fact whose time, type or child changed."""

    key: str  # the record's natural key (its ids are derived from it)
    draft: Draft
    envelope_digest: str  # keyed, as the ledger keeps them
    payload_digest: str
    revision: int  # 0, then one more each time the role's fact is published anew

    @property
    def role(self) -> str:
        return self.draft.role


@dataclass(frozen=True)
class Correct:
    """Replace the payload of the live fact ``target`` with the draft's (``record.corrected``)."""

    key: str  # the record's natural key
    draft: Draft
    target: Entry
    payload_digest: str  # keyed, as the ledger keeps it

    @property
    def role(self) -> str:
        return self.draft.role

    @property
    def revision(self) -> int:
        """The fact's revision once corrected."""
        return self.target.revision + 1


@dataclass(frozen=True)
class Retract:
    """Withdraw the live fact ``target`` of the record's role (``record.retracted``)."""

    key: str  # the record as the ledger knows it: its ref (``LedgerKeys.ref``)
    role: str  # the role's digest (``LedgerKeys.role``)
    target: Entry
    reason: str


Action = Publish | Correct | Retract


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
    """The unkeyed digest of a value (canonical JSON): what a correction's id is derived from;
    the ledger keeps it keyed (``LedgerKeys.digest``)."""
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


class Planner:
    """Plans one import of a source, record by record, updating the ledger in memory.

    Each record's plan is a list of actions; carried out, each becomes one message in
    ``messages`` and a new ledger entry for its role.
    """

    def __init__(self, fmt: Format, ledger: SourceLedger, now: dt.datetime) -> None:
        self.fmt = fmt
        self.ledger = ledger
        self.now = now
        self.context = ReadContext(now, ledger.states)
        self.messages: list[Outgoing] = []
        self.counts = Counts()
        self.refusals: list[Refusal] = []
        self.notices: list[Notice] = []
        self.withheld: str | None = None
        self._first_lines: dict[str, int] = {}  # the line each record's key was first read on
        self._unkeyed = 0

    # -- records ---------------------------------------------------------------------------

    def add(self, item: Item | Refusal) -> list[Action]:
        """Plan one record and carry the plan out; the actions taken (none for a record that
        was refused or is unchanged)."""
        if isinstance(item, Refusal):
            self._unkeyed += 1
            self._refuse(item)
            return []
        first = self._first_lines.get(item.key)
        if first is not None:
            self._refuse(item.refusal(FieldError("-", f"is the same record as line {first}")))
            return []
        self._first_lines[item.key] = item.row.line
        try:
            built = item.build(self.ledger.states.get(item.key))
            outcome, actions = self._plan(item.key, built.drafts)
            # Checked against the contract only what will be sent: a re-import checks nothing.
            self._check([action.draft for action in actions if not isinstance(action, Retract)])
        except FieldError as error:
            self._refuse(item.refusal(error))
            return []
        for action in actions:
            self._take(action)
        self.notices.extend(built.notices)
        if built.state is not None:
            self.ledger.remember(item.key, built.state)
        setattr(self.counts, outcome, getattr(self.counts, outcome) + 1)
        return actions

    def retract_missing(self) -> list[Retract]:
        """Snapshot: retract every live fact of a record that is not in the file (the
        retractions taken; none when ``withheld`` says why not)."""
        if not self._first_lines:
            self.withheld = (
                "the file holds no record that could be read, so nothing was treated as gone"
                " (a snapshot of nothing would retract the agency's whole record)"
            )
            return []
        if self._unkeyed:
            self.withheld = (
                f"{self._unkeyed} refused row(s) could not be matched to a record, so no record"
                " was treated as gone; fix them and import the snapshot again"
            )
            return []
        keys = self.ledger.keys
        read = {keys.ref(key) for key in self._first_lines}
        partial = {keys.head(prefix) for prefix in self.context.partial}
        gone = [
            ref
            for ref in self.ledger.live_refs()
            if ref not in read and keys.head_of(ref) not in partial
        ]
        retractions = []
        for ref in gone:
            for role, entry in sorted(self.ledger.roles(ref).items()):
                if entry.live:
                    retraction = Retract(ref, role, entry, "no longer in the agency's export")
                    self._take(retraction)
                    retractions.append(retraction)
            self.counts.retracted += 1
        return retractions

    # -- one record ------------------------------------------------------------------------

    def _plan(self, key: str, drafts: list[Draft]) -> tuple[str, list[Action]]:
        """What to do for one record, to carry out once its facts are known valid."""
        keys = self.ledger.keys
        ref = keys.ref(key)
        entries = self.ledger.roles(ref)
        had_live = any(entry.live for entry in entries.values())
        outcome = "unchanged" if drafts or entries else "empty"
        actions: list[Action] = []
        roles = set()
        for draft in drafts:
            role = keys.role(draft.role)
            assert role not in roles, f"{self.fmt.source}: a role twice"
            roles.add(role)
            envelope_digest = keys.digest(
                digest(
                    [
                        draft.event_type,
                        draft.occurred_at.isoformat(),
                        (draft.child or {}).get("ids"),
                    ]
                )
            )
            payload_digest = keys.digest(digest(draft.payload))
            entry = entries.get(role)
            if entry is None or not entry.live:
                revision = 0 if entry is None else entry.revision + 1
                actions.append(Publish(key, draft, envelope_digest, payload_digest, revision))
                outcome = _worse(outcome, "progressed" if had_live else "published")
            elif entry.envelope_digest != envelope_digest:
                reason = "replaced: its time or child changed"
                actions.append(Retract(ref, role, entry, reason))
                revision = entry.revision + 1
                actions.append(Publish(key, draft, envelope_digest, payload_digest, revision))
                outcome = "corrected"
            elif entry.payload_digest != payload_digest:
                actions.append(Correct(key, draft, entry, payload_digest))
                outcome = "corrected"
        for role, entry in sorted(entries.items()):
            if entry.live and role not in roles:
                reason = "no longer implied by the agency's record"
                actions.append(Retract(ref, role, entry, reason))
                outcome = "corrected"
        return outcome, actions

    def _take(self, action: Action) -> None:
        """Carry out one action: its message, and the ledger's entry for its role after it."""
        message = self._message(action)
        self.messages.append(message)
        self.counts.events += 1
        if isinstance(action, Publish):
            occurred_at = action.draft.occurred_at.isoformat()
            entry = Entry(
                message.msg_id,
                occurred_at,
                action.envelope_digest,
                action.payload_digest,
                action.revision,
                True,
            )
        elif isinstance(action, Correct):
            self.counts.corrections += 1
            entry = replace(
                action.target, payload_digest=action.payload_digest, revision=action.revision
            )
        else:
            self.counts.retractions += 1
            entry = replace(action.target, live=False)
        if isinstance(action, Retract):
            self.ledger.put(action.key, action.role, entry)
        else:
            keys = self.ledger.keys
            self.ledger.put(keys.ref(action.key), keys.role(action.role), entry)

    # -- messages --------------------------------------------------------------------------

    def _message(self, action: Action) -> Outgoing:
        """The message an action sends. Its id is derived from the source, the record's key,
        the role and the revision (for a retraction, the retracted fact's id), so the same
        plan made again sends the same ids; a correction or retraction is stamped with the
        time of the fact it targets."""
        if isinstance(action, Publish):
            draft = action.draft
            return self._outgoing(
                self._id(action.key, draft.role, str(action.revision)),
                draft.event_type,
                draft.occurred_at.isoformat(),
                draft.child,
                draft.payload,
            )
        target = action.target
        if isinstance(action, Correct):
            return self._outgoing(
                self._id(
                    action.key,
                    action.role,
                    "corrected",
                    str(action.revision),
                    digest(action.draft.payload),
                ),
                "record.corrected",
                target.occurred_at,
                None,
                {"target_event_id": target.event_id, "replacement": action.draft.payload},
            )
        return self._outgoing(
            self._id("retracted", target.event_id),
            "record.retracted",
            target.occurred_at,
            None,
            {"target_event_id": target.event_id, "reason": action.reason},
        )

    def _id(self, *parts: str) -> str:
        return str(uuid5(_IDS, "\x1f".join((self.fmt.source, *parts))))

    def _outgoing(
        self,
        event_id: str,
        event_type: str,
        occurred_at: str,
        child: dict[str, Any] | None,
        payload: dict[str, Any],
    ) -> Outgoing:
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
        subject = contracts.subject_for(self.fmt.agency, event_type)
        return Outgoing(subject, event_id, orjson.dumps(event))

    def _check(self, drafts: list[Draft]) -> None:
        """Each fact must be a valid contract event, so the hub never has to reject it."""
        for draft in drafts:
            trial = self._outgoing(
                "00000000-0000-4000-8000-000000000000",
                draft.event_type,
                draft.occurred_at.isoformat(),
                draft.child,
                draft.payload,
            )
            try:
                contracts.parse_event(trial.body, now=self.now)
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


__all__ = ["Action", "Correct", "Counts", "Planner", "Publish", "Retract"]
