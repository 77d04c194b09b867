"""The writer thread: a write stuck on a dead store does not hold a stopping hub."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Sequence
from typing import Any

from hub.entrypoints.writer import WriterThread


class _Stuck:
    def __init__(self) -> None:
        self.entered = threading.Event()

    def record(self, batch: Sequence[Any]) -> Any:
        self.entered.set()
        threading.Event().wait()  # the store never answers


async def test_close_returns_after_the_grace_period_with_a_write_stuck() -> None:
    stuck = _Stuck()
    writer = WriterThread(lambda: stuck)  # type: ignore[arg-type,return-value]
    pending = asyncio.ensure_future(writer.record([]))
    await asyncio.to_thread(stuck.entered.wait, 5)
    started = time.monotonic()
    writer.close(0.2)
    assert time.monotonic() - started < 1.0
    assert not pending.done()
    pending.cancel()


def test_a_process_with_a_stuck_writer_thread_still_exits() -> None:
    program = textwrap.dedent(
        """
        import asyncio, threading
        from hub.entrypoints.writer import WriterThread

        class Stuck:
            def record(self, batch):
                threading.Event().wait()

        async def main():
            writer = WriterThread(lambda: Stuck())
            asyncio.ensure_future(writer.record([]))
            await asyncio.sleep(0.2)
            writer.close(0.1)

        asyncio.run(main())
        """
    )
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", program], check=True, timeout=30)
    assert time.monotonic() - started < 10
