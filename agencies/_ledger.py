"""What an agency's adapter has published, per source record: the adapter's own memory.

It lives beside the adapter (``imports.sqlite``), not in the hub: an agency runs its adapter
and need not read the hub's store to know what it sent. An import commits its plan (the
ledger's new state) together with the exact messages to send, an outbox, before it publishes;
the outbox is cleared once JetStream has acknowledged them all. An import that failed or was
killed in between leaves the outbox, and the next import of that source re-sends it byte for
byte before it reads its file: the hub never holds something the ledger does not know about,
and a re-sent id never carries other content. One import of a ledger runs at a time (a lock
file beside it).
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from agencies._outgoing import Outgoing

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS published (source TEXT, key TEXT, role TEXT, event_id TEXT,"
    " occurred_at TEXT, envelope TEXT, payload TEXT, revision INT, live INT,"
    " PRIMARY KEY (source, key, role))"
    " WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS records (source TEXT, key TEXT, state BLOB,"
    " PRIMARY KEY (source, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS imports (source TEXT, file TEXT, finished_at TEXT,"
    " snapshot INT, summary BLOB)",
    "CREATE TABLE IF NOT EXISTS outbox (source TEXT, seq INT, subject TEXT, event_id TEXT,"
    " body BLOB, PRIMARY KEY (source, seq)) WITHOUT ROWID",
)


@dataclass
class Entry:
    """The fact last published for a record's role: its id and digests of what it said.

    Stored in the ``published`` table, whose columns ``envelope`` and ``payload`` hold the
    two digests.
    """

    event_id: str
    # Kept so a later correction or retraction of it is stamped the same on every re-send.
    occurred_at: str
    envelope_digest: str  # of its event type, time and child identifiers (see ``_plan``)
    payload_digest: str
    revision: int
    live: bool


class SourceLedger:
    """One source's entries, loaded for an import and written back when it has been sent."""

    def __init__(
        self,
        entries: dict[str, dict[str, Entry]],
        states: dict[str, Any],
    ) -> None:
        self.entries = entries
        self.states = states
        self.changed_entries: set[tuple[str, str]] = set()
        self.changed_states: set[str] = set()
        # The ``imports`` row of this import (file, finished_at, snapshot, summary), once noted.
        self.import_row: tuple[str, str, bool, Any] | None = None
        self.outbox: list[Outgoing] = []

    def roles(self, key: str) -> dict[str, Entry]:
        return self.entries.get(key, {})

    def put(self, key: str, role: str, entry: Entry) -> None:
        self.entries.setdefault(key, {})[role] = entry
        self.changed_entries.add((key, role))

    def remember(self, key: str, state: Any) -> None:
        if self.states.get(key) != state:
            self.states[key] = state
            self.changed_states.add(key)

    def note(self, file: str, finished_at: str, snapshot: bool, summary: Any) -> None:
        """What this import did, kept with what it sent (``imports`` table)."""
        self.import_row = (file, finished_at, snapshot, summary)

    def live_keys(self) -> Iterator[str]:
        for key, roles in self.entries.items():
            if any(entry.live for entry in roles.values()):
                yield key


class Ledger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Held for a whole import, from re-sending the outbox to clearing it."""
        with self.path.with_name(self.path.name + ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def pending(self, source: str) -> list[Outgoing]:
        """What an earlier import committed to send but may not have sent."""
        return [
            Outgoing(subject, event_id, bytes(body))
            for subject, event_id, body in self._db.execute(
                "SELECT subject, event_id, body FROM outbox WHERE source = ? ORDER BY seq",
                (source,),
            )
        ]

    def sent(self, source: str) -> None:
        """Everything in the source's outbox has been acknowledged."""
        self._db.execute("DELETE FROM outbox WHERE source = ?", (source,))

    @contextmanager
    def source(self, source: str) -> Iterator[SourceLedger]:
        """The source's entries, held under a write lock; saved only if the block succeeds."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            entries: dict[str, dict[str, Entry]] = {}
            for key, role, event_id, occurred_at, envelope, payload, revision, live in db.execute(
                "SELECT key, role, event_id, occurred_at, envelope, payload, revision, live"
                " FROM published WHERE source = ?",
                (source,),
            ):
                entries.setdefault(key, {})[role] = Entry(
                    event_id, occurred_at, envelope, payload, revision, bool(live)
                )
            states = {
                key: orjson.loads(state)
                for key, state in db.execute(
                    "SELECT key, state FROM records WHERE source = ?", (source,)
                )
            }
            ledger = SourceLedger(entries, states)
            yield ledger
            db.executemany(
                "INSERT OR REPLACE INTO published VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        source,
                        key,
                        role,
                        e.event_id,
                        e.occurred_at,
                        e.envelope_digest,
                        e.payload_digest,
                        e.revision,
                        e.live,
                    )
                    for key, role in ledger.changed_entries
                    for e in (ledger.entries[key][role],)
                ),
            )
            db.executemany(
                "INSERT OR REPLACE INTO records VALUES (?, ?, ?)",
                ((source, key, orjson.dumps(ledger.states[key])) for key in ledger.changed_states),
            )
            db.executemany(
                "INSERT INTO outbox VALUES (?, ?, ?, ?, ?)",
                (
                    (source, seq, message.subject, message.msg_id, message.body)
                    for seq, message in enumerate(ledger.outbox)
                ),
            )
            if ledger.import_row is not None:
                file, finished_at, snapshot, summary = ledger.import_row
                db.execute(
                    "INSERT INTO imports VALUES (?, ?, ?, ?, ?)",
                    (source, file, finished_at, snapshot, orjson.dumps(summary)),
                )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
