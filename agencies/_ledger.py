"""What an agency's adapter has published, per source record: the adapter's own memory.

It lives beside the adapter (``imports.sqlite``), not in the hub: an agency runs its adapter
and need not read the hub's store to know what it sent. An import commits its plan (the
ledger's new state) together with the exact messages to send, an outbox, before it publishes;
the outbox is cleared once JetStream has acknowledged them all. An import that failed or was
killed in between leaves the outbox, and the next import of that source re-sends it byte for
byte before it reads its file: the hub never holds something the ledger does not know about,
and a re-sent id never carries other content. One import of a ledger runs at a time (a lock
file beside it).

The ledger keeps no child's identifier readable (``LedgerKeys``): a record's natural key and a
fact's role (which can name a child: a council's child id, a police person id, a UPN) are kept
as keyed digests (HMAC-SHA-256), and so are the digests of what each fact said; each fact's
time (an SSDA903 link is stamped with the child's birth), a record's state (what a format
remembers, e.g. a child's UPN and birth date) and the outbox's messages are sealed (AES-GCM).
Event ids stay in clear: the hub holds them anyway, and corrections target them. The key is
the ledger's own, a random key file beside it (``<ledger>.key``, mode 0600, made at first
use): an agency's host has no hub master key. The outbox is deleted with SQLite's
``secure_delete`` and the log checkpointed, so the messages' bytes do not outlive their
acknowledgement. A ledger written before (in clear) is sealed in place the first time it is
opened.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import hmac
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from agencies._errors import LedgerRefused
from agencies._outgoing import Outgoing

# The ledger's format: 2 keeps digests and sealed blobs; a ledger with no ``meta`` table and a
# ``published`` one is format 1, written in clear, and is sealed when opened.
_FORMAT = "2"
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
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID",
)
_HEX = 32  # characters of each keyed digest: 128 bits
_NONCE = 12


class LedgerKeys:
    """The ledger's key, and what it is used for: keyed digests (HMAC-SHA-256, one subkey) and
    sealing (AES-256-GCM with a random 96-bit nonce and associated data naming the row, the
    other subkey)."""

    def __init__(self, secret: bytes) -> None:
        self._mac = hmac.new(secret, b"import-ledger mac", hashlib.sha256).digest()
        self._aead = AESGCM(hmac.new(secret, b"import-ledger seal", hashlib.sha256).digest())
        self.key_id = hmac.new(secret, b"import-ledger key id", hashlib.sha256).hexdigest()[:16]

    @classmethod
    def ephemeral(cls) -> LedgerKeys:
        """A key for a ledger held in memory only (a plan made to be looked at)."""
        return cls(os.urandom(32))

    @classmethod
    def beside(cls, ledger: Path, *, create: bool) -> LedgerKeys:
        """The key in ``<ledger>.key``; made (32 random bytes, base64, mode 0600) if there is
        none and ``create``. Two imports starting at once agree on one key: it is written to
        a private temporary file and linked into place, which only one of them can do."""
        path = key_path(ledger)
        if not path.exists():
            if not create:
                raise LedgerRefused(
                    f"the import ledger {ledger} is sealed under the key in {path}, which is"
                    " missing: restore that file from where the ledger was backed up (keep the"
                    " two together), or move the ledger aside to start a new one"
                )
            temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(base64.b64encode(os.urandom(32)) + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another import made it first: use theirs
            finally:
                temporary.unlink()
        try:
            secret = base64.b64decode(path.read_bytes().strip(), validate=True)
        except (binascii.Error, ValueError):
            secret = b""
        if len(secret) != 32:
            raise LedgerRefused(f"{path} is not an import ledger key (32 bytes in base64)")
        return cls(secret)

    def mac(self, label: str, value: str) -> str:
        message = label.encode() + b"\x00" + value.encode()
        return hmac.new(self._mac, message, hashlib.sha256).hexdigest()[:_HEX]

    def seal(self, aad: bytes, plaintext: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def unseal(self, aad: bytes, sealed: bytes) -> bytes:
        try:
            return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)
        except InvalidTag:
            raise LedgerRefused(
                "a sealed row of the import ledger does not open with its key: the ledger or"
                " its key file was altered or swapped"
            ) from None

    # -- what the digests are of ----------------------------------------------------------

    def ref(self, key: str) -> str:
        """A record's natural key as kept: the digest of its first part (a key's kind, or the
        child it is about), which ``--snapshot`` needs to leave a part the file did not cover
        alone, then the digest of the whole key."""
        return self.head(key.split("\x1f", 1)[0]) + self.mac("key", key)

    def head(self, prefix: str) -> str:
        return self.mac("head", prefix)

    @staticmethod
    def head_of(ref: str) -> str:
        """The digest of a record's first key part, from its ``ref``."""
        return ref[:_HEX]

    def role(self, role: str) -> str:
        return self.mac("role", role)

    def digest(self, unkeyed: str) -> str:
        """A digest of what a fact said, keyed: the unkeyed digest (SHA-256 of canonical JSON)
        of an NHS number and a time could be reversed by trying every number."""
        return self.mac("digest", unkeyed)


def key_path(ledger: Path) -> Path:
    return ledger.with_name(ledger.name + ".key")


@dataclass
class Entry:
    """The fact last published for a record's role: its id and digests of what it said.

    Stored in the ``published`` table, whose columns ``envelope`` and ``payload`` hold the
    two digests (keyed: ``LedgerKeys.digest``).
    """

    event_id: str
    # Kept so a later correction or retraction of it is stamped the same on every re-send.
    occurred_at: str
    envelope_digest: str  # of its event type, time and child identifiers (see ``_plan``)
    payload_digest: str
    revision: int
    live: bool


class SourceLedger:
    """One source's entries, loaded for an import and written back when it has been sent.

    ``entries`` are by the record's ``ref`` and the role's digest (``LedgerKeys``); ``states``
    by the record's natural key (they are kept sealed, the key with them).
    """

    def __init__(
        self,
        entries: dict[str, dict[str, Entry]],
        states: dict[str, Any],
        keys: LedgerKeys | None = None,
    ) -> None:
        self.entries = entries
        self.states = states
        self.keys = keys or LedgerKeys.ephemeral()
        self.changed_entries: set[tuple[str, str]] = set()
        self.changed_states: set[str] = set()
        # The ``imports`` row of this import (file, finished_at, snapshot, summary), once noted.
        self.import_row: tuple[str, str, bool, Any] | None = None
        self.outbox: list[Outgoing] = []

    def roles(self, ref: str) -> dict[str, Entry]:
        """The entries of the record ``ref`` (``keys.ref(key)``), by role digest."""
        return self.entries.get(ref, {})

    def entry(self, key: str, role: str) -> Entry | None:
        """The entry of a record's role, by the natural key and role."""
        return self.roles(self.keys.ref(key)).get(self.keys.role(role))

    def put(self, ref: str, role: str, entry: Entry) -> None:
        """Keep ``entry`` for the record ``ref`` and the role digest ``role``."""
        self.entries.setdefault(ref, {})[role] = entry
        self.changed_entries.add((ref, role))

    def remember(self, key: str, state: Any) -> None:
        if self.states.get(key) != state:
            self.states[key] = state
            self.changed_states.add(key)

    def note(self, file: str, finished_at: str, snapshot: bool, summary: Any) -> None:
        """What this import did, kept with what it sent (``imports`` table)."""
        self.import_row = (file, finished_at, snapshot, summary)

    def live_refs(self) -> Iterator[str]:
        for ref, roles in self.entries.items():
            if any(entry.live for entry in roles.values()):
                yield ref


def _published_aad(source: str, ref: str, role: str) -> bytes:
    return f"published\x1f{source}\x1f{ref}\x1f{role}".encode()


def _record_aad(source: str, ref: str) -> bytes:
    return f"records\x1f{source}\x1f{ref}".encode()


def _outbox_aad(source: str, seq: int, event_id: str) -> bytes:
    return f"outbox\x1f{source}\x1f{seq}\x1f{event_id}".encode()


class Ledger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, timeout=60)
        try:
            for own in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))):
                with contextlib.suppress(OSError):  # absent, or someone else's: left as it is
                    own.chmod(0o600)
            self._db.execute("PRAGMA journal_mode=WAL")
            # Freed pages are overwritten with zeros: a cleared outbox leaves no bytes behind.
            self._db.execute("PRAGMA secure_delete=ON")
            self.keys = self._open()
        except BaseException:
            self._db.close()
            raise

    def _open(self) -> LedgerKeys:
        """The ledger's key, checked against the one it was sealed with; a ledger in clear
        (format 1) is sealed first, in place."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
            held = dict(db.execute("SELECT name, value FROM meta")) if "meta" in tables else {}
            keys = LedgerKeys.beside(self.path, create=not held)
            legacy = not held and "published" in tables
            for statement in _SCHEMA:
                db.execute(statement)
            if held:
                if held.get("format") != _FORMAT:
                    raise LedgerRefused(
                        f"the import ledger {self.path} is of format {held.get('format')},"
                        f" which this version does not read (it reads {_FORMAT})"
                    )
                if held.get("key_id") != keys.key_id:
                    raise LedgerRefused(
                        f"{key_path(self.path)} is not the key the import ledger {self.path}"
                        " was sealed with: restore the key kept with the ledger"
                    )
            else:
                if legacy:
                    _seal_in_place(db, keys)
                db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    (("format", _FORMAT), ("key_id", keys.key_id)),
                )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        if not held and legacy:
            # The clear rows were replaced; rebuild the file so no page keeps them, and
            # empty the log of their old copies.
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return keys

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Held for a whole import, from re-sending the outbox to clearing it."""
        lock = self.path.with_name(self.path.name + ".lock")
        descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def pending(self, source: str) -> list[Outgoing]:
        """What an earlier import committed to send but may not have sent."""
        return [
            Outgoing(
                subject,
                event_id,
                self.keys.unseal(_outbox_aad(source, seq, event_id), bytes(body)),
            )
            for seq, subject, event_id, body in self._db.execute(
                "SELECT seq, subject, event_id, body FROM outbox WHERE source = ? ORDER BY seq",
                (source,),
            )
        ]

    def sent(self, source: str) -> None:
        """Everything in the source's outbox has been acknowledged: it is deleted (its pages
        zeroed, ``secure_delete``) and the log checkpointed and emptied, so the sealed
        messages are gone from the disk too."""
        self._db.execute("DELETE FROM outbox WHERE source = ?", (source,))
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def source(self, source: str) -> Iterator[SourceLedger]:
        """The source's entries, held under a write lock; saved only if the block succeeds."""
        db = self._db
        keys = self.keys
        db.execute("BEGIN IMMEDIATE")
        try:
            entries: dict[str, dict[str, Entry]] = {}
            for ref, role, event_id, sealed, envelope, payload, revision, live in db.execute(
                "SELECT key, role, event_id, occurred_at, envelope, payload, revision, live"
                " FROM published WHERE source = ?",
                (source,),
            ):
                occurred_at = keys.unseal(_published_aad(source, ref, role), bytes(sealed))
                entries.setdefault(ref, {})[role] = Entry(
                    event_id, occurred_at.decode(), envelope, payload, revision, bool(live)
                )
            states: dict[str, Any] = {}
            for ref, sealed in db.execute(
                "SELECT key, state FROM records WHERE source = ?", (source,)
            ):
                record = orjson.loads(keys.unseal(_record_aad(source, ref), bytes(sealed)))
                states[record["key"]] = record["state"]
            ledger = SourceLedger(entries, states, keys)
            yield ledger
            db.executemany(
                "INSERT OR REPLACE INTO published VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        source,
                        ref,
                        role,
                        e.event_id,
                        keys.seal(_published_aad(source, ref, role), e.occurred_at.encode()),
                        e.envelope_digest,
                        e.payload_digest,
                        e.revision,
                        e.live,
                    )
                    for ref, role in ledger.changed_entries
                    for e in (ledger.entries[ref][role],)
                ),
            )
            db.executemany(
                "INSERT OR REPLACE INTO records VALUES (?, ?, ?)",
                _sealed_records(
                    keys, source, ((k, ledger.states[k]) for k in ledger.changed_states)
                ),
            )
            db.executemany(
                "INSERT INTO outbox VALUES (?, ?, ?, ?, ?)",
                (
                    (
                        source,
                        seq,
                        message.subject,
                        message.msg_id,
                        keys.seal(_outbox_aad(source, seq, message.msg_id), message.body),
                    )
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


def _sealed_records(
    keys: LedgerKeys, source: str, states: Iterable[tuple[str, Any]]
) -> Iterator[tuple[str, str, bytes]]:
    for key, state in states:
        ref = keys.ref(key)
        record = orjson.dumps({"key": key, "state": state})
        yield source, ref, keys.seal(_record_aad(source, ref), record)


def _seal_in_place(db: sqlite3.Connection, keys: LedgerKeys) -> None:
    """Format 1 (everything in clear) to format 2, in the open transaction: the same entries
    under digests of their keys, roles and digests, so the next import of an unchanged file
    still publishes nothing; states and the outbox sealed."""
    published = db.execute("SELECT * FROM published").fetchall()
    db.execute("DELETE FROM published")
    for source, key, role, event_id, occurred_at, envelope, payload, revision, live in published:
        ref, role_ref = keys.ref(key), keys.role(role)
        db.execute(
            "INSERT INTO published VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                source,
                ref,
                role_ref,
                event_id,
                keys.seal(_published_aad(source, ref, role_ref), occurred_at.encode()),
                keys.digest(envelope),
                keys.digest(payload),
                revision,
                live,
            ),
        )
    records = db.execute("SELECT source, key, state FROM records").fetchall()
    db.execute("DELETE FROM records")
    for source, key, state in records:
        db.executemany(
            "INSERT INTO records VALUES (?, ?, ?)",
            _sealed_records(keys, source, [(key, orjson.loads(state))]),
        )
    outbox = db.execute("SELECT source, seq, subject, event_id, body FROM outbox").fetchall()
    db.execute("DELETE FROM outbox")
    db.executemany(
        "INSERT INTO outbox VALUES (?, ?, ?, ?, ?)",
        (
            (source, seq, subject, event_id, keys.seal(_outbox_aad(source, seq, event_id), body))
            for source, seq, subject, event_id, body in outbox
        ),
    )
