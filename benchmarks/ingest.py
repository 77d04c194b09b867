"""Ingest benchmark: N synthetic events published to JetStream, consumed into the store.

Prints, for the same store, on a nats-server with the hub's configuration (every party logged
in with its own key):
  publish        JetStream publish rate (many acks in flight), with acknowledgements synced to
                 disk (sync_interval: always, the hub's setting), then with NATS's default
                 (sync every 2 minutes), and their ratio
  end-to-end     published -> committed, the hub consuming a backlog of N events
  live           published -> committed, publishing while the hub consumes
  intake+store   the hub's ingest service on in-memory batches (no NATS): validation, dedupe,
                 identity, mapping, insert
  bare insert    the library's batched insert of already-mapped events (the store's ceiling)

    python benchmarks/ingest.py --events 100000 [--postgres postgresql://...] [--batch 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import tempfile
import time
import uuid
from pathlib import Path

import orjson
import psycopg

import contracts
from agencies import Bus, publish_lines
from contracts.examples import default_agency, example_event, nhs_number
from hub.adapters.bus_identities import HUB, Identities
from hub.adapters.bus_login import BusLogin
from hub.adapters.embedded_nats import EmbeddedNats
from hub.adapters.store import FactTable
from hub.bootstrap import build_ingest, build_recorder, build_store
from hub.config import Settings
from hub.domain.intake import Inbound
from hub.entrypoints.consumer import Consumer
from hub.entrypoints.writer import WriterProcess
from hub.service.ingest import IngestService, Outcome
from hub.service.ordered import Recorder

# A mix like a city's: mostly missing episodes and what follows them.
MIX = (
    ["missing.reported"] * 4
    + ["missing.found"] * 4
    + ["return_interview.offered"] * 2
    + [
        "return_interview.completed",
        "police.safe_and_well_check",
        "care.placement_started",
        "health.concern_raised",
        "education.concern_raised",
        "cse.concern_raised",
    ]
)


def synthetic(n: int, children: int = 5000) -> list[tuple[str, bytes]]:
    """``n`` valid (subject, body) pairs about ``children`` children, ~400-500 bytes each."""
    out = []
    for i, event_type in zip(range(n), itertools.cycle(MIX), strict=False):
        child = i % children
        ids = {"nhs_number": nhs_number(child), "la_child_id": f"LA{child}"}
        body = example_event(
            event_type,
            event_id=uuid.UUID(int=i + 1),
            child={"ids": ids, "date_of_birth": "2004-02-01", "sex": "female"},
        )
        out.append(
            (contracts.subject_for(default_agency(event_type), event_type), orjson.dumps(body))
        )
    return out


def settings_for(root: Path, database_url: str | None, batch: int, writer: str) -> Settings:
    return Settings(
        data_dir=root,
        database_url=fresh_schema(database_url, root.name) if database_url else None,
        batch_size=batch,
        batch_timeout=0.05,
        writer=writer,
    )


def fresh_schema(url: str, name: str) -> str:
    """A new, empty schema for one phase of the benchmark (dropped and recreated)."""
    schema = f"bench_{name}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.execute(f'CREATE SCHEMA "{schema}"')
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


class _Unused:
    restarts = 0

    async def record(self, batch: object) -> Outcome:
        raise AssertionError("declare() consumes nothing")

    def close(self, grace: float) -> None:
        pass


async def publish(nats: EmbeddedNats, events: list[tuple[str, bytes]]) -> float:
    start = time.perf_counter()
    by_agency: dict[str, list[bytes]] = {}
    for subject, body in events:
        by_agency.setdefault(subject.split(".")[2], []).append(body)
    for agency, bodies in by_agency.items():
        await publish_lines(_bus(nats, agency), agency, bodies)
    return time.perf_counter() - start


def _bus(nats: EmbeddedNats, agency: str) -> Bus:
    assert nats.identities is not None
    identity = nats.identities.get(agency)
    return Bus(nats.url, identity.seed_file if identity else None)


def _login(nats: EmbeddedNats) -> BusLogin:
    assert nats.identities is not None
    identity = nats.identities.get(HUB)
    return BusLogin(HUB, identity.seed_file if identity else None)


def _server(folder: Path, sync: str = "always") -> EmbeddedNats:
    return EmbeddedNats(folder, identities=Identities(folder / "credentials"), sync=sync)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes(recorder: Recorder, nats: EmbeddedNats) -> dict[str, int]:
    pids = {"hub main": os.getpid()}
    if isinstance(recorder, WriterProcess):
        pids["writer"] = next(iter(recorder.executor._processes))  # type: ignore[attr-defined]
    if nats.process is not None:
        pids["nats-server"] = nats.process.pid
    return pids


async def consume(
    settings: Settings,
    recorder: Recorder,
    nats: EmbeddedNats,
    n: int,
    publishing: asyncio.Task[float] | None = None,
) -> float:
    """Seconds from starting the consumer to N facts committed; prints each process's CPU."""
    store = build_store(settings).facts
    consumer = Consumer(settings, recorder, nats.url, _login(nats))
    pids = processes(recorder, nats)
    cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
    start = time.perf_counter()
    await consumer.start()
    while store.position() < n:  # noqa: ASYNC110 - polling the store is what is measured
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - start
    used = {name: cpu_seconds(pid) - cpu[name] for name, pid in pids.items()}
    print(
        "  cpu while consuming: "
        + ", ".join(f"{name} {s:.2f} s ({s / n * 1e6:.0f} us/event)" for name, s in used.items())
    )
    if publishing:
        await publishing
    await consumer.stop()
    recorder.close(settings.shutdown_grace)
    return elapsed


def intake_and_store(ingest: IngestService, events: list[tuple[str, bytes]], batch: int) -> float:
    inbound = [Inbound(s, b, i) for i, (s, b) in enumerate(events, start=10**9)]
    start = time.perf_counter()
    for k in range(0, len(inbound), batch):
        ingest.record(inbound[k : k + batch])
    return time.perf_counter() - start


def bare_insert(ingest: IngestService, n: int, batch: int) -> float:
    facts = ingest.store.facts
    assert isinstance(facts, FactTable), "the real store's table"
    template = next(facts.all())
    stored = [
        facts.mapper.to_stored_event(
            type(template)(
                **{
                    **template.__dict__,
                    "originator_id": uuid.uuid4(),
                    "timestamp": dt.datetime.now(dt.UTC),
                }
            )
        )
        for _ in range(n)
    ]
    start = time.perf_counter()
    for k in range(0, n, batch):
        facts.recorder.insert_events(stored[k : k + batch])
    return time.perf_counter() - start


def report(name: str, n: int, seconds: float) -> None:
    print(f"{name:14} {n:>9,} events  {seconds:7.2f} s  {n / seconds:>10,.0f} events/s", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL store instead of SQLite")
    parser.add_argument("--writer", choices=("process", "thread"), default="process")
    args = parser.parse_args()
    n = args.events
    events = synthetic(n)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(
            f"store: {'postgresql' if args.postgres else 'sqlite'}; batch {args.batch}; "
            f"writer {args.writer}; {sum(len(b) for _, b in events) // n} bytes/event"
        )
        with _server(root / "nats-a") as nats:
            settings = settings_for(root / "a", args.postgres, args.batch, args.writer)
            await declare(settings, nats)
            synced = await publish(nats, events)
            report("publish", n, synced)
            elapsed = await consume(settings, build_recorder(settings), nats, n)
            report("end-to-end", n, elapsed)
        with _server(root / "nats-unsynced", sync="2m") as nats:
            settings = settings_for(root / "u", args.postgres, args.batch, args.writer)
            await declare(settings, nats)
            unsynced = await publish(nats, events)
            report("publish, 2m", n, unsynced)
            print(f"  synced acknowledgements: {synced / unsynced:.2f}x the time of NATS's default")
            report("end-to-end, 2m", n, await consume(settings, build_recorder(settings), nats, n))
        with _server(root / "nats-b") as nats:
            settings = settings_for(root / "b", args.postgres, args.batch, args.writer)
            await declare(settings, nats)
            recorder = build_recorder(settings)
            publishing = asyncio.create_task(publish(nats, events))
            report("live", n, await consume(settings, recorder, nats, n, publishing))
        fresh = build_ingest(settings_for(root / "c", args.postgres, args.batch, args.writer))
        report("intake+store", n, intake_and_store(fresh, events, args.batch))
        report("bare insert", n, bare_insert(fresh, n, args.batch))


async def declare(settings: Settings, nats: EmbeddedNats) -> None:
    """Create the stream and consumer before publishing, as a running hub would have."""
    consumer = Consumer(settings, _Unused(), nats.url, _login(nats))
    await consumer.start()
    await consumer.stop()


if __name__ == "__main__":
    asyncio.run(main())
