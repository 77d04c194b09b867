"""Encryption at rest on and off, in one run on one machine: what sealing costs the writer, and
what a full projection rebuild reads at, from facts stored sealed beside the same facts stored
as they were before sealing.

    python benchmarks/sealing.py [--events 20000] [--rebuild 200000] [--rounds 3]

Ingest: the real ingest service (intake, identity, keys, store) on SQLite, batches of 1,000
of benchmarks/ingest.py's events, with sealing as shipped and with sealing left out (the
baseline: the facts and rejects stored as they were before), alternating, best of the rounds.
Rebuild: benchmarks/foi.py's city history written into two SQLite stores, clear and sealed,
then the projector run from an empty projection on each.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from foi import City, facts
from ingest import synthetic

from hub.bootstrap import build_feed, build_projection, build_store
from hub.config import Settings
from hub.domain import privacy
from hub.domain.events import FactRecorded, MessageRejected
from hub.domain.intake import Inbound
from hub.service.ingest import IngestService
from projections import catch_up


class _Clear(IngestService):
    """The baseline: facts and rejects stored as the hub stored them before sealing."""

    def _sealed(self, facts: Sequence[FactRecorded]) -> list[FactRecorded]:
        return list(facts)

    def _sealed_rejects(self, rejections: Sequence[MessageRejected]) -> list[MessageRejected]:
        return list(rejections)


def _ingest(batches: list[list[Inbound]], sealed: bool) -> float:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="seal-bench-")))
    kind = IngestService if sealed else _Clear
    service = kind(build_store(settings), settings.stream)
    started = time.perf_counter()
    for batch in batches:
        outcome = service.record(batch)
        assert not outcome.rejections
    elapsed = time.perf_counter() - started
    service.store.close()
    return elapsed


def _rebuild(history: list[FactRecorded], sealed: bool) -> float:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="seal-bench-")))
    store = build_store(settings)
    if sealed:
        digests = privacy.Digests(b"benchmark-digest-secret-32-bytes")
        store.keyring.prepare(privacy.owners_of(history))
        history = [privacy.seal_fact(f, store.keyring, digests) for f in history]
    for start in range(0, len(history), 5000):
        store.facts.append(history[start : start + 5000])
    store.close()
    feed, projection = build_feed(settings), build_projection(settings)
    started = time.perf_counter()
    catch_up(feed, projection)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000, help="events through the writer")
    parser.add_argument("--rebuild", type=int, default=200_000, help="about N facts rebuilt")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    events = synthetic(args.events)
    inbound = [Inbound(subject, body, seq) for seq, (subject, body) in enumerate(events, 1)]
    batches = [inbound[k : k + 1000] for k in range(0, len(inbound), 1000)]
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.rounds):
        for sealed in (False, True):
            times[sealed].append(_ingest(batches, sealed))
    print(f"ingest ({args.events:,} events, SQLite, best of {args.rounds}):")
    off, on = min(times[False]), min(times[True])
    for label, took in (("sealing off", off), ("sealing on ", on)):
        rate, cost = args.events / took, took / args.events * 1e6
        print(f"  {label}   {rate:>9,.0f} events/s  {cost:6.0f} µs/event")
    print(f"  on/off        {off / on:>9.2f} x the rate")

    years = max(1, round(args.rebuild / 150_000))  # about 4.3 facts per episode
    history = list(facts(City(args.rebuild // years // 4, seed=3), 2010, years))
    print(f"rebuild ({len(history):,} facts, SQLite, an empty projection, best of {args.rounds}):")
    rebuilt: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.rounds):
        for sealed in (False, True):
            rebuilt[sealed].append(_rebuild(history, sealed))
    off, on = min(rebuilt[False]), min(rebuilt[True])
    print(f"  clear facts   {len(history) / off:>9,.0f} facts/s")
    print(f"  sealed facts  {len(history) / on:>9,.0f} facts/s")
    print(f"  sealed/clear  {off / on:>9.2f} x the rate")


if __name__ == "__main__":
    sys.exit(main())
