"""One writer per store: the lease a ``hub serve`` holds for as long as it runs.

Two writers on one store would hold diverging identity registries, and two ``hub serve`` on one
data folder would run two nats-servers on one JetStream folder. So the writer takes:

- an exclusive ``flock`` on ``<data dir>/hub.lock`` (the SQLite store, the embedded NATS
  folder and ``nats.url`` all live there); the kernel releases it when the process dies, so
  a crash never leaves a stale lock;
- with PostgreSQL, a session advisory lock keyed by the store's database and schema, on a
  connection of its own, so hubs on different machines sharing one database are refused too.
  The lock lives as long as that session. The session asks the server to probe it (TCP
  keepalives, about 30 s), so the lock of a hub whose host died frees itself rather than
  waiting for the operating system's two-hour default. ``check`` reconnects after a dropped
  connection and takes the lock again; if the holder is this hub's own earlier session (the
  server has not noticed it is gone), that session is ended first. The lease is lost only when
  another hub holds it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from hub.errors import StoreInUse, StoreUnavailable

log = logging.getLogger("hub.lease")


class WriterLease:
    def __init__(self, data_dir: Path, postgres: dict[str, Any] | None = None) -> None:
        self.data_dir = data_dir
        self.postgres = postgres  # psycopg.connect keywords, plus "schema"
        self._file: IO[str] | None = None
        self._connection: Any = None
        self._session: int | None = None  # the backend pid that holds the lock

    def __enter__(self) -> WriterLease:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "hub.lock"
        file = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "another process"
            file.close()
            raise StoreInUse(
                f"another hub serve ({holder}) is running on {self.data_dir}: stop it first,"
                " or give this one its own HUB_DATA_DIR"
            ) from None
        file.seek(0)
        file.truncate()
        file.write(f"pid {os.getpid()}, since {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%SZ}\n")
        file.flush()
        self._file = file
        try:
            if self.postgres is not None and not self._lock_or_unavailable():
                raise StoreInUse(
                    f"another hub serve writes to this PostgreSQL store (schema"
                    f" {self.postgres['schema']}): stop it first; one writer per store"
                )
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release()

    def check(self) -> bool:
        """Whether this writer still holds the lease (reconnecting to take it again if the
        database dropped the connection). False only when another writer holds it now."""
        if self.postgres is None:
            return True
        try:
            self._connection.execute("SELECT 1")
            return True
        except Exception:  # psycopg's errors: the connection, and with it the lock, is gone
            log.warning("the store's lease connection was lost; taking the lease again")
        try:
            return self._lock_database()
        except Exception:
            log.warning("the store is not reachable to renew the lease; will try again")
            return True  # nobody else can take it while the database is down either

    def _lock_or_unavailable(self) -> bool:
        try:
            return self._lock_database()
        except StoreInUse:
            raise
        except Exception as error:  # psycopg's OperationalError and kin; no data in them
            raise StoreUnavailable(
                f"the PostgreSQL store is not reachable ({type(error).__name__}): check"
                " HUB_DATABASE_URL and that the server is up"
            ) from None

    def _lock_database(self) -> bool:
        import psycopg

        assert self.postgres is not None
        options = {k: v for k, v in self.postgres.items() if k != "schema"}
        if self._connection is not None:
            self._connection.close()
        self._connection = connection = psycopg.connect(
            **options,
            autocommit=True,
            connect_timeout=10,
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
            options="-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5"
            " -c tcp_keepalives_count=3",
        )
        key = _key(f"hub-writer/{options.get('dbname')}/{self.postgres['schema']}")
        if not _try_lock(connection, key):
            holder = _holder(connection, key)
            if holder is None or holder != self._session:
                return False
            # Our own earlier session, which the server has not yet seen is gone.
            # With a timeout, the call returns once that backend has exited (and let go).
            connection.execute("SELECT pg_terminate_backend(%s, 5000)", (holder,))
            if not _try_lock(connection, key):
                return False
        row = connection.execute("SELECT pg_backend_pid()").fetchone()
        self._session = int(row[0]) if row else None
        return True

    def _release(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._file is not None:
            self._file.close()  # closing the descriptor releases the flock
            self._file = None


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _try_lock(connection: Any, key: int) -> bool:
    row = connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    return bool(row and row[0])


def _holder(connection: Any, key: int) -> int | None:
    """The backend pid holding advisory lock ``key`` (a bigint key is classid:objid, 1)."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    row = connection.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid = %s AND objid = %s AND objsubid = 1",
        (unsigned >> 32, unsigned & 0xFFFF_FFFF),
    ).fetchone()
    return int(row[0]) if row else None
