"""One writer per store: the lease a ``hub serve`` holds for as long as it runs.

Two writers on one store would hold diverging identity registries, and two ``hub serve`` on one
data folder would run two nats-servers on one JetStream folder. So the writer takes:

- an exclusive ``flock`` on ``<data dir>/hub.lock`` (the SQLite store, the embedded NATS
  folder and ``nats.url`` all live there); the kernel releases it when the process dies, so
  a crash never leaves a stale lock;
- with PostgreSQL, a session advisory lock keyed by the store's schema, on a connection of
  its own, so hubs on different machines sharing one database are refused too. The lock
  lives as long as that connection: ``check`` reconnects after a database restart and takes
  the lock again, and says the lease is lost if another writer took it meanwhile.
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

from hub.errors import StoreInUse

log = logging.getLogger("hub.lease")


class WriterLease:
    def __init__(self, data_dir: Path, postgres: dict[str, Any] | None = None) -> None:
        self.data_dir = data_dir
        self.postgres = postgres  # psycopg.connect keywords, plus "schema"
        self._file: IO[str] | None = None
        self._connection: Any = None

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
            if self.postgres is not None and not self._lock_database():
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

    def _lock_database(self) -> bool:
        import psycopg

        assert self.postgres is not None
        options = {k: v for k, v in self.postgres.items() if k != "schema"}
        if self._connection is not None:
            self._connection.close()
        self._connection = psycopg.connect(**options, autocommit=True, connect_timeout=10)
        key = _key(f"hub-writer/{options.get('dbname')}/{self.postgres['schema']}")
        row = self._connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        return bool(row and row[0])

    def _release(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._file is not None:
            self._file.close()  # closing the descriptor releases the flock
            self._file = None


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
