"""Forum benchmark: a city-sized history (a few thousand children), projected, then the
monthly forum pack, the trends and the HTML page timed from the maintained projection.

    python benchmarks/forum.py --dir /tmp/forum-bench            # build (first run), time
    python benchmarks/forum.py --dir /tmp/forum-bench --children 4000 --episodes-per-year 3500

The history is the FOI benchmark's generator (benchmarks/foi.py) with a city's pool of
children, written into the store as the hub's intake would have stored it. The pack's keys
are made with the store's own pseudonym secret, as `hub forum` makes them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from foi import EPISODE_EVENTS, City, facts, project

from hub.bootstrap import build_projection, build_store
from hub.config import Settings
from hub.service.ingest import IngestService
from hub.service.queries import forum_key
from projections import forum, parse_period, render_forum, trends, year_ending


def build(settings: Settings, children: int, per_year: int, years: int) -> None:
    hub = build_store(settings)
    IngestService(hub, settings.stream)  # the hub makes its key on its first intake
    table = hub.facts
    started, batch, written = time.perf_counter(), [], 0
    for fact in facts(City(per_year, children=children), 2010, years):
        batch.append(fact)
        if len(batch) == 5000:
            table.append(batch)
            written, batch = written + len(batch), []
    table.append(batch)
    written += len(batch)
    print(f"store      {written:,} facts in {time.perf_counter() - started:.1f} s")


def _median_ms(run: Callable[[], object], times: int = 5) -> float:
    runs = []
    for _ in range(times):
        t = time.perf_counter()
        run()
        runs.append((time.perf_counter() - t) * 1000)
    return statistics.median(runs)


def ask(settings: Settings, months: list[str]) -> None:
    store = build_projection(settings)
    key = forum_key(build_store(settings))
    with store.reading() as db:
        episodes, children = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT root) FROM episode WHERE to_pos IS NULL"
        ).fetchone()
    print(f"projection: {store.head()[1]:,} facts, {episodes:,} episodes, {children:,} children")
    print("\nmilliseconds, median of 5")
    print(f"{'month':8} {'listed':>7} {'forum':>8} {'trends 12m':>11} {'html page':>10}")
    for month in months:
        period = parse_period(month)
        pack = forum(store, period, key=key)
        first, _ = year_ending(month)
        year = trends(store, first, month)
        pack_ms = _median_ms(lambda: forum(store, period, key=key))  # noqa: B023
        trends_ms = _median_ms(lambda: trends(store, first, month))  # noqa: B023
        html_ms = _median_ms(lambda: render_forum(pack, "html", trends=year), 3)  # noqa: B023
        print(
            f"{month:8} {len(pack['repeat_missing']):7} {pack_ms:8.1f} {trends_ms:11.1f}"
            f" {html_ms:10.1f}"
        )
    for fmt in ("json", "html"):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "hub", "forum", "--month", months[-1],
             "--format", fmt, "--out", str(settings.data_dir / f"forum.{fmt}")],
            check=True,
            capture_output=True,
            env={"HUB_DATA_DIR": str(settings.data_dir), "HUB_ROLE": "internal",
                 "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        print(
            f"`hub forum --month {months[-1]} --format {fmt}` as a command (Python start,"
            f" catch-up check, pack, file): {(time.perf_counter() - t) * 1000:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--children", type=int, default=4000)
    parser.add_argument("--episodes-per-year", type=int, default=3500)
    parser.add_argument("--years", type=int, default=12)
    parser.add_argument("--months", nargs="+", default=["2015-06", "2018-03", "2021-12"])
    args = parser.parse_args()
    settings = Settings(data_dir=args.dir)
    if not settings.sqlite_path.exists():
        print(
            f"building: {args.children:,} children, {args.episodes_per_year:,} episodes a year,"
            f" {args.years} years (about"
            f" {int(args.episodes_per_year * args.years * EPISODE_EVENTS):,} facts)"
        )
        build(settings, args.children, args.episodes_per_year, args.years)
    project(settings)
    ask(settings, args.months)


if __name__ == "__main__":
    main()
