"""The keyring (``hub.service.ports.Keyring``): data keys wrapped under a master key.

Envelope encryption with AES-256-GCM (``cryptography``'s AESGCM, random 96-bit nonces):

- the **master key** is 32 random bytes, base64 on one line, in ``HUB_MASTER_KEY_FILE``; when
  that is unset, in ``$HUB_DATA_DIR/keys/master.key`` (folder 0700, file 0600), made at first
  use. It never enters the database; the database holds only its id,
  ``HMAC(master, "key-id")[:8]``, so a wrong key is told apart from a damaged row;
- a **data key** per owner (a hub child, ``records``, ``reject/<id>``, ``pseudonyms``) and
  version, in the table ``hub_data_keys`` of the store's own database: plain SQL on the
  eventsourcing datastore's connection, since these rows change (shredding, rotation), unlike
  the library's append-only tables. A shredded key's row stays, ``wrapped`` NULL: a tombstone.

A sealed part's associated data is ``aad | part | owner | version``: a part copied onto another
fact, owner or version does not open.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import PersistenceError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.sql import SQL, Identifier

from hub.errors import ConfigurationError, StoreUnavailable

PSEUDONYMS = "pseudonyms"
TABLE = "hub_data_keys"
_NONCE = 12
_CHUNK = 500
_KEY_FILE_HINT = "32 random bytes in base64 on one line: make one with `hub keys new --out FILE`"


@dataclass(frozen=True)
class KeyRow:
    owner: str
    version: int
    wrapped: bytes | None  # None: shredded
    master_key_id: str


def key_id(master: bytes) -> str:
    """The master key's public id, kept on each row it wrapped."""
    return hmac.digest(master, b"key-id", hashlib.sha256)[:8].hex()


def new_master_key() -> bytes:
    return secrets.token_bytes(32)


def encode_master_key(master: bytes) -> bytes:
    return base64.b64encode(master) + b"\n"


def read_master_key(path: Path, setting: str = "HUB_MASTER_KEY_FILE") -> bytes:
    """A master key file's 32 bytes; a ``ConfigurationError`` saying what is wrong otherwise."""
    try:
        text = path.read_bytes().strip()
    except FileNotFoundError:
        raise ConfigurationError(f"{setting} {path}: no such file ({_KEY_FILE_HINT})") from None
    except OSError as error:
        raise ConfigurationError(
            f"{setting} {path}: cannot be read ({type(error).__name__})"
        ) from None
    try:
        master = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        master = b""
    if len(master) != 32:
        raise ConfigurationError(f"{setting} {path}: not a master key ({_KEY_FILE_HINT})")
    return master


def write_master_key(path: Path, master: bytes, mode: int = 0o400) -> None:
    """A new key file, never over an existing one (``FileExistsError``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(encode_master_key(master))
        file.flush()
        os.fsync(file.fileno())


def replace_master_key(path: Path, master: bytes) -> None:
    """Put ``master`` at ``path`` in one rename (the embedded default's file, on rotation)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    write_master_key(temporary, master, 0o600)
    os.replace(temporary, path)


class MasterKey:
    """Where the master key comes from: ``HUB_MASTER_KEY_FILE``, else the embedded default
    (made at first use, only while the store holds no wrapped key)."""

    def __init__(self, file: Path | None, default: Path) -> None:
        self.file = file
        self.default = default

    @property
    def path(self) -> Path:
        return self.file or self.default

    def load(self, store_has_keys: Callable[[], bool]) -> bytes:
        if self.file is not None:
            return read_master_key(self.file)
        if self.default.exists():
            return read_master_key(self.default, "the master key file")
        if store_has_keys():
            raise ConfigurationError(
                "the store's data keys were made under a master key that is not here: set"
                f" HUB_MASTER_KEY_FILE to it (looked for {self.default})"
            )
        folder = self.default.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        # Written whole, then linked into place: a process starting at the same moment (the
        # writer, the projector, the web) reads either no file or a whole one, never half.
        partial = self.default.with_name(f".{self.default.name}.{secrets.token_hex(4)}")
        write_master_key(partial, new_master_key(), 0o600)
        try:
            with contextlib.suppress(FileExistsError):  # another process made it first: theirs
                os.link(partial, self.default)
        finally:
            partial.unlink()
        return read_master_key(self.default, "the master key file")


class FixedMaster:
    """A master key given as bytes (tests, and the keyring after rotation)."""

    def __init__(self, master: bytes) -> None:
        self.master = master

    def load(self, store_has_keys: Callable[[], bool]) -> bytes:
        return self.master


class MasterSource(Protocol):
    def load(self, store_has_keys: Callable[[], bool]) -> bytes: ...


class KeyTable(Protocol):
    """Where the wrapped keys are kept: ``hub_data_keys`` (SQL) or memory (tests)."""

    def rows(self, owners: Collection[str]) -> list[KeyRow]:
        """Every row, live or not, of these owners."""
        ...

    def insert(self, rows: Sequence[KeyRow], created_at: str) -> None:
        """In one transaction; a row whose (owner, version) is taken is passed over."""
        ...

    def shred(self, owners: Collection[str], at: str) -> int: ...

    def rewrap(self, rewrap: Callable[[KeyRow], bytes], master_key_id: str) -> int:
        """In one transaction: each live row's ``wrapped`` replaced by ``rewrap(row)``."""
        ...

    def master_key_ids(self) -> set[str]:
        """The ids of the master keys the live rows are wrapped under."""
        ...


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class DataKeys:
    """The keyring's logic, on any ``KeyTable``. Thread-safe."""

    def __init__(self, table: KeyTable, master: MasterSource) -> None:
        self.table = table
        self._source = master
        self._master: bytes | None = None
        self._wrapping: tuple[AESGCM, str] | None = None
        self._live: dict[str, tuple[int, bytes, AESGCM]] = {}  # owner -> (version, key, cipher)
        self._versions: dict[str, int] = {}  # owner -> latest version, live or not
        self._made: dict[tuple[str, int], tuple[bytes, bytes]] = {}  # -> (wrapped, key)
        self._lock = threading.RLock()

    # -- the master key -------------------------------------------------------------------

    def _wrapper(self) -> tuple[AESGCM, str]:
        if self._wrapping is not None:
            return self._wrapping
        with self._lock:
            if self._master is None:
                master = self._source.load(lambda: bool(self.table.master_key_ids()))
                ours = key_id(master)
                theirs = self.table.master_key_ids() - {ours}
                if theirs:
                    raise ConfigurationError(
                        "the master key (HUB_MASTER_KEY_FILE) is not the one the store's data"
                        f" keys are wrapped under: its id is {ours}, the store's"
                        f" {', '.join(sorted(theirs))}"
                    )
                self._master = master
            self._wrapping = AESGCM(self._master), key_id(self._master)
            return self._wrapping

    def _unwrap(self, row: KeyRow) -> bytes:
        assert row.wrapped is not None
        wrapper, ours = self._wrapper()
        if row.master_key_id != ours:
            raise ConfigurationError(
                f"data key {row.version} of an owner is wrapped under master key"
                f" {row.master_key_id}, not this one ({ours}): wrong HUB_MASTER_KEY_FILE?"
            )
        try:
            return wrapper.decrypt(
                row.wrapped[:_NONCE], row.wrapped[_NONCE:], _wrap_aad(row.owner, row.version)
            )
        except InvalidTag:
            raise ConfigurationError(
                "a data key does not open under the master key: wrong HUB_MASTER_KEY_FILE,"
                " or the hub_data_keys table was altered"
            ) from None

    @staticmethod
    def _wrap(wrapper: AESGCM, owner: str, version: int, key: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + wrapper.encrypt(nonce, key, _wrap_aad(owner, version))

    # -- the port -------------------------------------------------------------------------

    def prepare(self, owners: Collection[str]) -> None:
        owners = sorted(set(owners))
        if not owners:
            return
        with self._lock:
            self._refresh(owners)
            missing = [owner for owner in owners if owner not in self._live]
            if missing:
                self._make(missing, {})
                self._refresh(missing)

    def _refresh(self, owners: Sequence[str]) -> None:
        """The owners' live keys as the table has them now (another process may shred)."""
        latest: dict[str, KeyRow] = {}
        for row in self.table.rows(owners):
            if row.owner not in latest or row.version > latest[row.owner].version:
                latest[row.owner] = row
        for owner in owners:
            current = latest.get(owner)
            if current is None or current.wrapped is None:
                self._live.pop(owner, None)
            elif owner not in self._live or self._live[owner][0] != current.version:
                made = self._made.pop((owner, current.version), None)
                if made is not None and made[0] == current.wrapped:  # ours: no need to unwrap
                    key = made[1]
                else:
                    key = self._unwrap(current)
                self._live[owner] = (current.version, key, AESGCM(key))
        self._versions = {owner: row.version for owner, row in latest.items()}

    def _make(self, owners: Sequence[str], initial: Mapping[str, bytes]) -> None:
        wrapper, ours = self._wrapper()
        versions = self._versions
        rows = []
        for owner in owners:
            version = versions.get(owner, 0) + 1
            key = initial.get(owner) or secrets.token_bytes(32)
            wrapped = self._wrap(wrapper, owner, version, key)
            self._made[(owner, version)] = (wrapped, key)
            rows.append(KeyRow(owner, version, wrapped, ours))
        self.table.insert(rows, _now())

    def _live_key(self, owner: str) -> tuple[int, bytes, AESGCM]:
        live = self._live.get(owner)
        if live is not None:
            return live
        with self._lock:
            if owner not in self._live:
                self.prepare([owner])
            return self._live[owner]

    def seal(self, owner: str, part: str, aad: bytes, plaintext: bytes) -> dict[str, Any]:
        version, _, cipher = self._live_key(owner)
        nonce = os.urandom(_NONCE)
        ciphertext = cipher.encrypt(nonce, plaintext, _seal_aad(aad, part, owner, version))
        return {
            "k": owner,
            "v": version,
            "p": part,
            "ct": base64.b64encode(nonce + ciphertext).decode("ascii"),
        }

    def unseal(self, sealed: Mapping[str, Any], aad: bytes) -> bytes | None:
        owner, version, part = str(sealed["k"]), int(sealed["v"]), str(sealed["p"])
        rows = [row for row in self.table.rows([owner]) if row.version == version]
        if not rows:
            raise ConfigurationError(
                "a sealed part's data key is not in hub_data_keys: is this the store's own"
                " database?"
            )
        if rows[0].wrapped is None:
            return None
        key = self._unwrap(rows[0])
        raw = base64.b64decode(sealed["ct"])
        try:
            return AESGCM(key).decrypt(
                raw[:_NONCE], raw[_NONCE:], _seal_aad(aad, part, owner, version)
            )
        except InvalidTag:
            raise ConfigurationError(
                "a sealed part does not open: it was altered or moved from its place"
            ) from None

    def shred(self, owners: Collection[str]) -> int:
        owners = sorted(set(owners))
        if PSEUDONYMS in owners:
            raise ValueError("the pseudonym secret cannot be shredded")
        if not owners:
            return 0
        with self._lock:
            for owner in owners:
                self._live.pop(owner, None)
            return self.table.shred(owners, _now())

    def shredded(self, owner: str) -> bool:
        rows = self.table.rows([owner])
        return bool(rows) and all(row.wrapped is None for row in rows)

    def rotate(self, new_master: bytes) -> int:
        if len(new_master) != 32:
            raise ConfigurationError("a master key is 32 bytes")
        with self._lock:
            new = AESGCM(new_master)

            def rewrap(row: KeyRow) -> bytes:
                return self._wrap(new, row.owner, row.version, self._unwrap(row))

            count = self.table.rewrap(rewrap, key_id(new_master))
            self._master = new_master
            self._wrapping = None
            return count

    def secret(self, owner: str, initial: bytes | None = None) -> bytes:
        with self._lock:
            self._refresh([owner])
            if owner not in self._live:
                self._make([owner], {owner: initial} if initial else {})
                self._refresh([owner])
            return self._live[owner][1]


def _wrap_aad(owner: str, version: int) -> bytes:
    return f"hub-data-key|{owner}|{version}".encode()


def _seal_aad(aad: bytes, part: str, owner: str, version: int) -> bytes:
    return aad + f"|{part}|{owner}|{version}".encode()


# -- hub_data_keys, in SQL --------------------------------------------------------------------


class SqlKeyTable:
    """``hub_data_keys`` on the eventsourcing datastore's own connections."""

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.datastore = datastore
        self.sqlite = isinstance(datastore, SQLiteDatastore)
        self._created = False

    @contextlib.contextmanager
    def _cursor(self, commit: bool) -> Iterator[Any]:
        try:
            if not self._created:
                self._create()
            with self.datastore.transaction(commit=commit) as cursor:
                yield cursor
        except PersistenceError as error:
            raise StoreUnavailable(f"keyring unavailable: {type(error).__name__}") from None

    def _create(self) -> None:
        blob = "BLOB" if self.sqlite else "BYTEA"
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                self._sql(
                    "CREATE TABLE IF NOT EXISTS {table} (owner TEXT NOT NULL, version INTEGER"
                    f" NOT NULL, wrapped {blob}, master_key_id TEXT NOT NULL, created_at TEXT"
                    " NOT NULL, shredded_at TEXT, PRIMARY KEY (owner, version))"
                )
            )
        self._created = True

    def _sql(self, text: str) -> Any:
        if self.sqlite:
            return text.format(table=TABLE).replace("%s", "?")
        assert isinstance(self.datastore, PostgresDatastore)
        return SQL(text).format(table=Identifier(self.datastore.schema, TABLE))

    @staticmethod
    def _row(row: Any) -> KeyRow:
        wrapped = row["wrapped"]
        return KeyRow(
            row["owner"],
            int(row["version"]),
            bytes(wrapped) if wrapped is not None else None,
            row["master_key_id"],
        )

    def rows(self, owners: Collection[str]) -> list[KeyRow]:
        owners = list(owners)
        found: list[KeyRow] = []
        with self._cursor(commit=False) as cursor:
            for start in range(0, len(owners), _CHUNK):
                chunk = owners[start : start + _CHUNK]
                if self.sqlite:
                    marks = ",".join("?" * len(chunk))
                    cursor.execute(
                        f"SELECT owner, version, wrapped, master_key_id FROM {TABLE}"  # noqa: S608
                        f" WHERE owner IN ({marks})",
                        chunk,
                    )
                else:
                    cursor.execute(
                        self._sql(
                            "SELECT owner, version, wrapped, master_key_id FROM {table}"
                            " WHERE owner = ANY(%s)"
                        ),
                        (chunk,),
                    )
                found.extend(self._row(row) for row in cursor.fetchall())
        return found

    def insert(self, rows: Sequence[KeyRow], created_at: str) -> None:
        if not rows:
            return
        statement = self._sql(
            "INSERT INTO {table} (owner, version, wrapped, master_key_id, created_at)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (owner, version) DO NOTHING"
        )
        with self._cursor(commit=True) as cursor:
            cursor.executemany(
                statement,
                [(r.owner, r.version, r.wrapped, r.master_key_id, created_at) for r in rows],
            )

    def shred(self, owners: Collection[str], at: str) -> int:
        owners = list(owners)
        count = 0
        with self._cursor(commit=True) as cursor:
            if self.sqlite:
                cursor.execute("PRAGMA secure_delete = ON")  # freed bytes overwritten
            for start in range(0, len(owners), _CHUNK):
                chunk = owners[start : start + _CHUNK]
                if self.sqlite:
                    marks = ",".join("?" * len(chunk))
                    cursor.execute(
                        f"UPDATE {TABLE} SET wrapped = NULL, shredded_at = ?"  # noqa: S608
                        f" WHERE wrapped IS NOT NULL AND owner IN ({marks})",
                        [at, *chunk],
                    )
                else:
                    cursor.execute(
                        self._sql(
                            "UPDATE {table} SET wrapped = NULL, shredded_at = %s"
                            " WHERE wrapped IS NOT NULL AND owner = ANY(%s)"
                        ),
                        (at, chunk),
                    )
                count += max(_rowcount(cursor), 0)
        self._flush_freed()
        return count

    def _flush_freed(self) -> None:
        """Best effort: the old page images out of SQLite's WAL (PostgreSQL: VACUUM FULL is
        left to the operator's routine, docs/privacy.md)."""
        datastore = self.datastore
        if not isinstance(datastore, SQLiteDatastore):
            return
        with contextlib.suppress(Exception), datastore.get_connection(commit=True) as conn:
            conn._sqlite_conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def rewrap(self, rewrap: Callable[[KeyRow], bytes], master_key_id: str) -> int:
        count = 0
        with self._cursor(commit=True) as cursor:
            cursor.execute(
                self._sql(
                    "SELECT owner, version, wrapped, master_key_id FROM {table}"
                    " WHERE wrapped IS NOT NULL"
                )
            )
            live = [self._row(row) for row in cursor.fetchall()]
            update = self._sql(
                "UPDATE {table} SET wrapped = %s, master_key_id = %s"
                " WHERE owner = %s AND version = %s"
            )
            for row in live:
                cursor.execute(update, (rewrap(row), master_key_id, row.owner, row.version))
                count += 1
        return count

    def master_key_ids(self) -> set[str]:
        with self._cursor(commit=False) as cursor:
            cursor.execute(
                self._sql("SELECT DISTINCT master_key_id FROM {table} WHERE wrapped IS NOT NULL")
            )
            return {row["master_key_id"] for row in cursor.fetchall()}


def _rowcount(cursor: Any) -> int:
    inner = getattr(cursor, "sqlite_cursor", cursor)  # the library wraps SQLite's cursor
    return int(inner.rowcount)


class SqlKeyring(DataKeys):
    """The keyring in the store's database."""

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore, master: MasterSource):
        super().__init__(SqlKeyTable(datastore), master)


__all__ = [
    "PSEUDONYMS",
    "DataKeys",
    "FixedMaster",
    "KeyRow",
    "KeyTable",
    "MasterKey",
    "SqlKeyring",
    "key_id",
    "new_master_key",
    "read_master_key",
    "replace_master_key",
    "write_master_key",
]
