"""The writer lease: one hub serve per data folder and per PostgreSQL store."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hub.adapters.lease import WriterLease
from hub.config import Settings
from hub.errors import StoreInUse, StoreUnavailable
from tests.support import postgres_schema


def test_a_second_lease_on_a_folder_is_refused_and_freed_by_the_first_leaving(
    tmp_path: Path,
) -> None:
    with WriterLease(tmp_path), pytest.raises(StoreInUse, match="another hub serve"):
        WriterLease(tmp_path).__enter__()
    with WriterLease(tmp_path):
        pass


def test_a_lease_held_by_a_killed_process_is_free_at_once(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nfrom pathlib import Path\nfrom hub.adapters.lease import WriterLease\n"
            f"lease = WriterLease(Path({str(tmp_path)!r})).__enter__()\n"
            "print('held', flush=True)\ntime.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    with pytest.raises(StoreInUse, match=f"pid {holder.pid}"):
        WriterLease(tmp_path).__enter__()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with WriterLease(tmp_path):  # no stale lock to clear by hand
        pass


@pytest.fixture
def postgres(tmp_path: Path) -> Any:
    for url in postgres_schema():
        yield Settings(data_dir=tmp_path / "a", database_url=url).postgres_options()


class _Dropped:
    """A connection the network dropped on our side: the server still holds its session."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def execute(self, *args: Any) -> Any:
        raise psycopg.OperationalError("connection lost")

    def close(self) -> None:
        pass


@pytest.mark.postgres
def test_a_second_hub_on_one_database_is_refused(postgres: Any, tmp_path: Path) -> None:
    with WriterLease(tmp_path / "a", postgres) as first:
        with pytest.raises(StoreInUse, match="PostgreSQL store"):
            WriterLease(tmp_path / "b", postgres).__enter__()
        assert first.check()
    with WriterLease(tmp_path / "b", postgres):
        pass


@pytest.mark.postgres
def test_a_dropped_lease_connection_is_retaken_even_before_the_server_notices(
    postgres: Any, tmp_path: Path
) -> None:
    with WriterLease(tmp_path / "a", postgres) as lease:
        stale = lease._connection
        lease._connection = _Dropped(stale)
        assert lease.check(), "its own earlier session must not count as another hub"
        deadline = time.monotonic() + 10
        while not stale.closed:
            try:
                stale.execute("SELECT 1")
            except psycopg.OperationalError:
                break
            assert time.monotonic() < deadline, "the stale session was not ended"
            time.sleep(0.1)
        with pytest.raises(StoreInUse):
            WriterLease(tmp_path / "b", postgres).__enter__()


@pytest.mark.postgres
def test_a_lease_taken_by_another_hub_is_lost(postgres: Any, tmp_path: Path) -> None:
    with WriterLease(tmp_path / "a", postgres) as lease:
        lease._connection.close()  # the server drops our session and its lock
        with WriterLease(tmp_path / "b", postgres):
            assert not lease.check()


def test_an_unreachable_database_is_unavailable_not_a_traceback(tmp_path: Path) -> None:
    options = Settings(
        data_dir=tmp_path, database_url="postgresql://postgres@127.0.0.1:1/nothing"
    ).postgres_options()
    with pytest.raises(StoreUnavailable, match="not reachable"):
        WriterLease(tmp_path, options).__enter__()
    with WriterLease(tmp_path):  # the folder's lock was let go
        pass
