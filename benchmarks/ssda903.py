"""SSDA903 import benchmark: the synthetic city's yearly returns through ``hub import``'s path
(read the tables, run the DfE's rules, merge each child's episodes with earlier returns, plan,
publish to JetStream and await every ack), one return and then a decade of them.

Prints, per return, rows, events and seconds with the DfE's rules and without them (the
adapter alone, measured in the same run on a fresh ledger), and the ratio.

    python benchmarks/ssda903.py [--scale 1] [--years 12]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from unittest import mock

import agencies
from agencies.city import generate
from agencies.local_authority.ssda903 import _dfe
from hub.adapters.bus_login import BusLogin
from hub.adapters.embedded_nats import EmbeddedNats
from hub.bootstrap import build_recorder
from hub.config import Settings
from hub.entrypoints.consumer import Consumer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--years", type=int, default=12)
    args = parser.parse_args()
    asyncio.run(run(args.scale, args.years))


async def run(scale: float, years: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        exports = [e for e in generate(folder / "city", scale=scale) if e.kind == "ssda903"]
        returns = [e.path for e in exports][:years]
        with EmbeddedNats(folder / "nats") as server:
            await _stream(folder, server.url)
            print(f"{'return':10} {'rows':>6} {'events':>7} {'rules s':>8} {'alone s':>8}"
                  f" {'rows/s':>8} {'ratio':>6}")  # fmt: skip
            totals = [0.0, 0.0, 0, 0]
            for path in returns:
                ruled = await _import(server.url, folder / "with.sqlite", path)
                with mock.patch.object(_dfe, "check", return_value=([], "off")):
                    alone = await _import(server.url, folder / "alone.sqlite", path)
                rows, events, took = ruled
                print(f"{path.name:10} {rows:>6} {events:>7} {took:>8.2f} {alone[2]:>8.2f}"
                      f" {rows / took:>8,.0f} {took / alone[2]:>6.1f}")  # fmt: skip
                totals = [totals[0] + took, totals[1] + alone[2], totals[2] + rows,
                          totals[3] + events]  # fmt: skip
            print(f"{len(returns)} returns: {totals[2]:,} rows, {totals[3]:,} events in"
                  f" {totals[0]:.1f} s with the DfE's rules, {totals[1]:.1f} s without"
                  f" ({totals[0] / totals[1]:.1f}x)")  # fmt: skip


async def _import(url: str, ledger: Path, path: Path) -> tuple[int, int, float]:
    start = time.perf_counter()
    report = await agencies.import_file(url, ledger, "local_authority", "ssda903", path)
    took = time.perf_counter() - start
    assert not report.refusals, report.refusals[:3]
    return report.counts.rows, report.counts.events, took


async def _stream(folder: Path, url: str) -> None:
    """Let the hub declare its stream, then stop it: the imports are timed alone."""
    settings = Settings(data_dir=folder / "hub")
    recorder = build_recorder(settings)
    consumer = Consumer(settings, recorder, url, BusLogin("hub"))  # an open server
    await consumer.start()
    await consumer.stop()
    recorder.close(settings.shutdown_grace)


if __name__ == "__main__":
    main()
