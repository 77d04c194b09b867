"""Where the blocking work runs: the services read SQLite and hash passwords, so a request's
call into them runs on one of a few threads, and the event loop only waits.

Two fixed, small pools: each thread keeps its own connection to the projection database
(``Reading`` keeps one per thread) with a large page cache, so their number bounds the memory
the web service takes, and more threads than cores would not answer faster. Packs (the forum
pack, trends, a reproduction: a tenth of a second and more each) have a pool of their own, so
an FOI answer of a few milliseconds never queues behind them: with one pool, 20 users at once
waited 0.7 s at the median for an FOI answer (benchmarks/web.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from hub.entrypoints.web.metrics import Probes
from hub.service.accounts import Accounts
from hub.service.reading import Reading

T = TypeVar("T")
THREADS = 4
PACK_THREADS = 2


@dataclass(frozen=True)
class Services:
    """What the routes call (built by ``hub.bootstrap``)."""

    accounts: Accounts
    reading: Reading
    probes: Probes


class Workers:
    def __init__(
        self, services: Services, threads: int = THREADS, pack_threads: int = PACK_THREADS
    ) -> None:
        self.services = services
        self._sizes = {"quick": threads, "pack": pack_threads}
        self._pools: dict[str, ThreadPoolExecutor] = {}

    async def run(self, call: Callable[[Services], T]) -> T:
        """A quick call: an answer, a sign-in, an audit entry."""
        return await self._on("quick", call)

    async def pack(self, call: Callable[[Services], T]) -> T:
        """A long one: the forum pack, trends, a reproduction."""
        return await self._on("pack", call)

    async def _on(self, kind: str, call: Callable[[Services], T]) -> T:
        pool = self._pools.get(kind)
        if pool is None:  # made when first needed: again after a stop and a start
            pool = self._pools[kind] = ThreadPoolExecutor(
                self._sizes[kind], thread_name_prefix=f"hub-web-{kind}"
            )
        return await asyncio.get_running_loop().run_in_executor(pool, call, self.services)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
        self._pools.clear()
