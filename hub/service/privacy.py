"""A child's data at rest, for the data protection officer: erasure, subject access, retention.

Each child's identifying details are sealed under a data key of its own (``Keyring``): erasing
a child destroys those keys (crypto-shredding), so what identified the child can never be read
again, while the facts themselves stay in the log, in place, with every figure they give. The
facts log is never appended to nor changed here: the erasure is recorded in the audit and as
the keyring's tombstones.

A child is named as an agency named it (``IDENTIFIER``: an NHS number, with or without spaces,
a council or police reference, a UPN, or ``kind:value``). The identity registry finds the hub
child it first named, and the projection's identity graph every hub child linked with it (by a
shared identifier or a living ``identity.linked``): the *subject*, one child across agencies.
Nothing here writes the identifier anywhere: errors, the audit and the output (other than
subject access, which is the child's own data) name the subject by its root hub child id, a
keyed digest.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

import orjson
from pydantic import ValidationError

import projections
from contracts import ChildIds
from hub.domain.events import FactRecorded, IdentifierRegistered, MessageRejected, Pseudonyms
from hub.domain.people import User
from hub.domain.privacy import original_body, original_message
from hub.errors import InputError, NotFound
from hub.service.audit import AuditLog, Entry
from hub.service.ingest import pseudonym_secret
from hub.service.ports import Keyring, Store
from projections._identity import component

KINDS = ("nhs_number", "la_child_id", "police_person_id", "upn")
ERASE = "privacy.erase"
SUBJECT_ACCESS = "privacy.subject_access"
RETENTION = "privacy.retention"
# Keys that belong to no one child: never shredded for a child.
_SHARED_OWNERS = frozenset({"records", "pseudonyms", "jetstream"})
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SHRED_BATCH = 500  # children


class FactLog(Protocol):
    def get(self, id: UUID) -> FactRecorded | None: ...

    def all(self) -> Iterator[FactRecorded]: ...


class Table(Protocol):
    def get(self, id: UUID) -> Any: ...

    def all(self) -> Iterator[Any]: ...


class Held(Protocol):
    """The store's tables this service reads: ``hub.service.ports.Store``'s, and the whole
    facts log in order (``facts.all``, which the real and in-memory stores both give), for
    subject access."""

    @property
    def facts(self) -> FactLog: ...

    @property
    def identifiers(self) -> Table: ...

    @property
    def rejections(self) -> Table: ...


@dataclass(frozen=True)
class Retention:
    """``HUB_RETENTION_*``: looked-after children to a birthday, others years after."""

    looked_after_age: int = 75
    looked_after_no_dob_years: int = 75
    years: int = 25


@dataclass(frozen=True)
class Subject:
    """One child as the hub holds it: the hub children linked into one (root first)."""

    root: str  # the smallest member: the keyed digest the audit names the child by
    members: tuple[str, ...]
    identifier_ids: frozenset[UUID]  # registry ids of every identifier the members carry


@dataclass(frozen=True)
class Erased:
    identities: int  # hub children linked into the one child
    keys: int  # live data keys destroyed now
    facts: int  # facts whose identifying details are now unreadable
    rejects: int  # rejected messages that named the child
    legacy: int  # of those facts, stored in clear before encryption at rest: still readable

    @property
    def already(self) -> bool:
        return self.keys == 0


@dataclass
class RuleCount:
    children: int = 0  # a child counted once, however many hub identities it has
    identities: int = 0  # hub children
    facts: int = 0


@dataclass
class RetentionReport:
    dry_run: bool
    today: dt.date
    due: dict[str, RuleCount] = field(default_factory=dict)  # rule -> what was (or would be) shred
    already: RuleCount = field(default_factory=RuleCount)  # due, and erased before
    kept: int = 0  # children not yet due
    keys: int = 0

    @property
    def children(self) -> int:
        return sum(count.children for count in self.due.values())

    @property
    def identities(self) -> int:
        return sum(count.identities for count in self.due.values())

    @property
    def facts(self) -> int:
        return sum(count.facts for count in self.due.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "today": self.today.isoformat(),
            "children": self.children,
            "identities": self.identities,
            "facts": self.facts,
            "keys": self.keys,
            "by_rule": {rule: vars(count) for rule, count in sorted(self.due.items())},
            "already_erased": vars(self.already),
            "not_yet_due": self.kept,
        }


def privacy_pseudonyms(store: Store) -> Pseudonyms | None:
    """The hub's keyed digests of identifiers; None while the store has recorded nothing (no
    secret yet, and none made by asking)."""
    if store.facts.position() == 0 and store.rejections.count() == 0:
        return None
    return Pseudonyms(pseudonym_secret(store))


def identifier_keys(text: str) -> list[str]:
    """The registry keys (``kind:value``) an identifier as given could be, normalised as the
    contract normalises them; [] when it is no valid identifier of any kind."""
    text = text.strip()
    kind, colon, value = text.partition(":")
    if colon and kind in KINDS:
        candidates = [(kind, value.strip())]
    else:
        candidates = [(kind, text) for kind in KINDS]
    keys = []
    for kind, value in candidates:
        if kind == "nhs_number":
            value = re.sub(r"[\s-]", "", value)
        try:
            keys.extend(ChildIds.model_validate({kind: value}).keys())
        except ValidationError:
            continue
    return keys


class Privacy:
    """Erasure, subject access and retention over the store, the projection, the keyring and
    the audit, each given as a port."""

    def __init__(
        self,
        store: Held,
        projection: projections.ProjectionStore,
        keyring: Keyring,
        audit: AuditLog,
        pseudonyms: Callable[[], Pseudonyms | None],
        *,
        retention: Retention | None = None,
        refresh: Callable[[projections.ProjectionStore], object] | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.store = store
        self.projection = projection
        self.keyring = keyring
        self.audit = audit
        self._pseudonyms = pseudonyms
        self.retention_policy = retention or Retention()
        self._refresh = refresh
        self._clock = clock

    # -- finding the child --------------------------------------------------------------

    def subject(self, identifier: str, held: _Snapshot | None = None) -> Subject:
        """The child named by ``identifier``. Raises ``NotFound`` when no child is held under
        it and ``InputError`` when it names different children as different kinds."""
        keys = identifier_keys(identifier)
        if not keys:
            raise InputError(
                "that is not an identifier of any kind the contract knows (an NHS number,"
                " la_child_id, police_person_id or UPN; or give it as kind:value)"
            )
        pseudonyms = self._pseudonyms()
        if pseudonyms is None:  # the store has recorded nothing yet
            raise NotFound("no child is held under that identifier")
        self._catch_up()
        held = held or _Snapshot(self.store)
        found: dict[str, Subject] = {}
        for key in keys:
            registered: IdentifierRegistered | None = self.store.identifiers.get(
                pseudonyms.identifier_id(key)
            )
            if registered is not None:
                subject = self._component(registered.child_id, held)
                found.setdefault(subject.root, subject)
        if len(found) > 1:
            raise InputError(
                "that identifier is held as more than one kind of identifier, for different"
                " children: give it as kind:value (" + ", ".join(KINDS) + ")"
            )
        if not found:
            # Never a fact, but perhaps named by a rejected message.
            ids = frozenset(pseudonyms.identifier_id(key) for key in keys)
            if held.naming(ids):
                return Subject("", (), ids)
            raise NotFound("no child is held under that identifier")
        return next(iter(found.values()))

    def _component(self, child_id: str, held: _Snapshot) -> Subject:
        members = tuple(
            str(UUID(bytes=member)) for member in component(self.projection, UUID(child_id).bytes)
        )
        ids = frozenset().union(*(held.identifiers.get(member, ()) for member in members))
        return Subject(members[0], members, ids)

    def _catch_up(self) -> None:
        if self._refresh is not None:
            self._refresh(self.projection)

    # -- erasure ------------------------------------------------------------------------

    def erase(self, user: User, identifier: str, reason: str) -> Erased:
        """Destroy the child's data keys (every linked identity's), audited."""
        if not reason.strip():
            raise InputError("give the reason for the erasure (--reason), for the audit")
        held = _Snapshot(self.store)
        subject = self.subject(identifier, held)
        facts = self._fact_ids(subject.members)
        rejects = held.naming(subject.identifier_ids)
        keys = self.keyring.shred(_owners_of(subject, rejects))
        legacy = sum(
            1 for id in facts if (fact := self.store.facts.get(id)) is not None and not fact.sealed
        )
        erased = Erased(len(subject.members), keys, len(facts), len(rejects), legacy)
        self._audit_erasure(user, subject, reason.strip(), erased.facts, rejects, keys)
        return erased

    def _audit_erasure(
        self,
        user: User,
        subject: Subject,
        reason: str,
        facts: int,
        rejects: Sequence[MessageRejected],
        keys: int | None,
    ) -> None:
        self.audit.record(
            user,
            ERASE,
            {
                "child": subject.root or "rejects-only",
                "reason": reason,
                "identities": len(subject.members),
                "keys": keys,  # None (left out): shredded with others, counted in the run's
                "facts": facts,
                "rejects": len(rejects),
            },
            outcome="already erased" if keys == 0 else "ok",
        )

    def _fact_ids(self, members: Sequence[str]) -> list[UUID]:
        """The facts sealed (wholly or in part) under the members' keys: their own facts,
        and the identity facts that named one of them as the other side."""
        if not members:
            return []
        children = [UUID(member).bytes for member in members]
        marks = ", ".join("?" * len(children))
        with self.projection.reading() as db:
            rows = db.execute(
                f"SELECT event_id FROM facts WHERE child IN ({marks})"  # noqa: S608
                f" UNION SELECT event_id FROM edges WHERE kind IN ('linked', 'unlinked')"
                f" AND (a IN ({marks}) OR b IN ({marks}))",
                children * 3,
            ).fetchall()
        return sorted(UUID(bytes=row[0]) for row in rows)

    # -- subject access -----------------------------------------------------------------

    def subject_access(self, user: User, identifier: str) -> dict[str, Any]:
        """Everything the hub holds about the child, audited. Erased details show as
        ``"erased": true``, never as what they were."""
        held = _Snapshot(self.store)
        subject = self.subject(identifier, held)
        members = set(subject.members)
        facts: list[dict[str, Any]] = []
        about: set[str] = set()
        for fact in self.store.facts.all():
            target = _target(fact)
            if not (
                fact.child_id in members
                or fact.other_child_id in members
                or (target is not None and target in about)
            ):
                continue
            about.add(fact.event_id)
            facts.append(self._fact_entry(fact, members))
        rejects = [self._reject_entry(reject) for reject in held.naming(subject.identifier_ids)]
        erasures = [
            _audit_entry(entry)
            for entry in self.audit.entries()
            if entry.action == ERASE and entry.what.get("child") in members
        ]
        result = {
            "child": subject.root or None,
            "hub_identities": len(subject.members),
            "facts": facts,
            "rejects": rejects,
            "erasures": erasures,
            "produced_at": self._clock().isoformat(),
        }
        self.audit.record(
            user,
            SUBJECT_ACCESS,
            {
                "child": subject.root or "rejects-only",
                "facts": len(facts),
                "rejects": len(rejects),
            },
        )
        return result

    def _fact_entry(self, fact: FactRecorded, members: Collection[str]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "agency": fact.agency,
            "event_type": fact.event_type,
            "event_id": fact.event_id,
            "occurred_at": fact.body.get("occurred_at"),
            "recorded_at": fact.timestamp.isoformat(),
        }
        # Only what is this child's: after an unlink, the other side of an identity fact is
        # another child's (its identifiers, names and date of birth) and is never shown here.
        own = fact.child_id is None or fact.child_id in members
        body = original_body(fact, self.keyring) if own else None
        if body is not None:
            if fact.other_child_id is not None and fact.other_child_id not in members:
                payload = {k: v for k, v in (body.get("payload") or {}).items() if k != "other"}
                body = {**body, "payload": payload}
            entry["body"] = body
            return entry
        if own:
            entry["erased"] = True
        # An identity fact's other side is sealed under that child's key: when that child is
        # this one, what it said of them is theirs to see.
        other = next((part for part in fact.sealed if part["p"] == "other"), None)
        if other is not None and fact.other_child_id in members:
            # The associated data seal_fact binds each part to: the fact's event id.
            said = self.keyring.unseal(other, fact.event_id.encode())
            if said is not None:
                entry["other"] = orjson.loads(said)
            else:
                entry["erased"] = True
        return entry

    def _reject_entry(self, reject: MessageRejected) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "agency": reject.agency,
            "subject": reject.subject,
            "event_id": reject.event_id,
            "reason": reject.reason,
            "rejected_at": reject.timestamp.isoformat(),
        }
        message = original_message(reject, self.keyring)
        if message is None:
            entry["erased"] = True
        else:
            try:  # as the agency sent it: JSON when it was JSON, else its text
                entry["message"] = orjson.loads(message)
            except orjson.JSONDecodeError:
                entry["message"] = message.decode("utf-8", "replace")
        return entry

    # -- retention ----------------------------------------------------------------------

    def retention(self, user: User, *, dry_run: bool) -> RetentionReport:
        """Shred every subject whose term has passed (``dry_run``: only say which)."""
        self._catch_up()
        now = self._clock()
        today = now.date()
        report = RetentionReport(dry_run, today)
        policy = self.retention_policy
        last, looked_after = self._activity()
        held = _Snapshot(self.store)
        shred: list[tuple[Subject, str, int]] = []
        seen: set[str] = set()
        for child in sorted(last):
            if child in seen:
                continue
            subject = self._component(child, held)
            seen.update(subject.members)
            rule, due = self._term(subject, last, looked_after, policy)
            if due is None or today <= due:
                report.kept += 1
                continue
            count = len(self._fact_ids(subject.members))
            if all(self.keyring.shredded(member) for member in subject.members):
                report.already.children += 1
                report.already.identities += len(subject.members)
                report.already.facts += count
                continue
            tally = report.due.setdefault(rule, RuleCount())
            tally.children += 1
            tally.identities += len(subject.members)
            tally.facts += count
            shred.append((subject, rule, count))
        if not dry_run:
            # Many children's keys in one write each (a write waits for the disk), then an
            # audit entry for each child.
            for start in range(0, len(shred), _SHRED_BATCH):
                batch = shred[start : start + _SHRED_BATCH]
                owners: set[str] = set()
                for subject, _, _ in batch:
                    owners.update(_owners_of(subject, held.naming(subject.identifier_ids)))
                report.keys += self.keyring.shred(sorted(owners))
                for subject, rule, count in batch:
                    rejects = held.naming(subject.identifier_ids)
                    self._audit_erasure(user, subject, f"retention:{rule}", count, rejects, None)
        self.audit.record(
            user,
            RETENTION,
            {
                "dry_run": dry_run,
                "children": report.children,
                "facts": report.facts,
                "keys": report.keys,
            },
        )
        return report

    def _activity(self) -> tuple[dict[str, int], set[str]]:
        """Each hub child's last record (the later of when a fact about it happened and when
        the hub recorded it, microseconds), and the children a living care period began for."""
        last: dict[str, int] = {}
        with self.projection.reading() as db:
            rows = db.execute(
                "SELECT f.child, MAX(MAX(f.occurred_us), MAX(l.recorded_us)) FROM facts f"
                " JOIN log l ON l.position = f.position WHERE f.child IS NOT NULL"
                " GROUP BY f.child"
                " UNION ALL SELECT e.b, MAX(MAX(f.occurred_us), MAX(l.recorded_us)) FROM edges e"
                " JOIN facts f ON f.event_id = e.event_id JOIN log l ON l.position = f.position"
                " GROUP BY e.b"
            ).fetchall()
            looked = db.execute(
                "SELECT DISTINCT child FROM facts WHERE type = 'care.period_started'"
                " AND alive = 1 AND child IS NOT NULL"
            ).fetchall()
        for child, us in rows:
            key = str(UUID(bytes=child))
            last[key] = max(last.get(key, us), us)
        return last, {str(UUID(bytes=row[0])) for row in looked}

    def _term(
        self,
        subject: Subject,
        last: Mapping[str, int],
        looked_after: set[str],
        policy: Retention,
    ) -> tuple[str, dt.date | None]:
        """The rule that keeps the subject, and the last day it keeps it."""
        latest = max((last[m] for m in subject.members if m in last), default=None)
        if latest is None:
            return "no-record", None
        last_day = (_EPOCH + dt.timedelta(microseconds=latest)).date()
        if looked_after.intersection(subject.members):
            born = self.projection.born([UUID(m).bytes for m in subject.members])
            if born is None:
                return "looked-after-no-dob", _years_after(
                    last_day, policy.looked_after_no_dob_years
                )
            # The birthday within the month of birth held (the projection may hold the month
            # only): its last day, never earlier than the real birthday.
            year, month = born // 10000 + policy.looked_after_age, born // 100 % 100
            return "looked-after", dt.date(year, month, calendar.monthrange(year, month)[1])
        return "other", _years_after(last_day, policy.years)


class _Snapshot:
    """The registry and the rejects, read once for one command (retention asks for many
    children)."""

    def __init__(self, store: Held) -> None:
        self._store = store

    @functools.cached_property
    def identifiers(self) -> dict[str, set[UUID]]:
        """Each hub child's identifiers, by registry id."""
        found: dict[str, set[UUID]] = {}
        for event in self._store.identifiers.all():
            found.setdefault(event.child_id, set()).add(event.originator_id)
        return found

    @functools.cached_property
    def _rejects(self) -> list[tuple[MessageRejected, frozenset[UUID]]]:
        return [
            (reject, frozenset(UUID(str(id)) for id in reject.named))
            for reject in self._store.rejections.all()
            if reject.named
        ]

    def naming(self, ids: frozenset[UUID]) -> list[MessageRejected]:
        """The rejects that named any of these identifiers."""
        if not ids:
            return []
        return [reject for reject, named in self._rejects if named & ids]


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _target(fact: FactRecorded) -> str | None:
    if fact.event_type not in ("record.corrected", "record.retracted"):
        return None
    target = (fact.body.get("payload") or {}).get("target_event_id")
    return str(target) if target is not None else None


def _owners_of(subject: Subject, rejects: Sequence[MessageRejected]) -> list[str]:
    """The keyring owners to shred for a child: its identities', and the own keys of the
    rejects that named it. Never another child's: a reject naming this child and another
    was sealed under its own key."""
    owners = set(subject.members)
    for reject in rejects:
        owners.update(
            str(part["k"]) for part in reject.sealed if str(part["k"]).startswith("reject/")
        )
    return sorted(owners - _SHARED_OWNERS)


def _audit_entry(entry: Entry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "user": entry.user,
        "action": entry.action,
        "reason": entry.what.get("reason"),
        "outcome": entry.outcome,
    }


__all__ = [
    "ERASE",
    "KINDS",
    "RETENTION",
    "SUBJECT_ACCESS",
    "Erased",
    "Privacy",
    "Retention",
    "RetentionReport",
    "Subject",
    "identifier_keys",
    "privacy_pseudonyms",
]
