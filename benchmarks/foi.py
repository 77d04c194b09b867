"""FOI benchmark: a store of N facts (a national-scale history), the projector catching up
on it, then answers for several periods, now and --as-of, from the maintained projection.

    python benchmarks/foi.py --events 10000000 --dir /tmp/foi-bench    # build, project, ask
    python benchmarks/foi.py --dir /tmp/foi-bench                      # ask again (kept)

The history is written into the store through the library's recorder as the hub's intake
would have stored it (facts with resolved child ids), skipping NATS and validation, whose
speed benchmarks/ingest.py measures. It is shaped like England's figures: per year about
150,000 police episodes of some 60,000 children with a long tail of repeat missers, a third of
them looked after; return interviews, care and placement changes, UASC arrivals, alerts,
investigations, CSE cases with reassessments, child protection plans and costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hub.bootstrap import build_feed, build_projection, build_store
from hub.config import Settings
from hub.domain.events import FactRecorded
from projections import STATISTICS, answer, catch_up, parse_period

UTC = dt.UTC
NS = uuid.UUID("6f1c2a52-7d43-4c55-9a39-0c8d3b1f6a10")
EPISODE_EVENTS = 4.3  # facts per episode, on average, in the mix below


def _child(n: int) -> str:
    return str(uuid.uuid5(NS, f"child/{n}"))


class City:
    """A seeded history generator; ``year`` yields one year's facts, in recorded order."""

    def __init__(self, episodes_per_year: int, seed: int = 1, children: int = 0) -> None:
        self.rng = random.Random(seed)
        self.episodes = episodes_per_year
        self.children = children or max(100, episodes_per_year * 2 // 5)
        self.looked_after: set[int] = set()
        self.serial = 0

    def _fact(
        self,
        agency: str,
        event_type: str,
        child: int | None,
        occurred: dt.datetime,
        payload: dict[str, Any],
        delay_hours: float = 6.0,
    ) -> tuple[dt.datetime, str, str, int | None, dt.datetime, dict[str, Any]]:
        recorded = occurred + dt.timedelta(hours=self.rng.expovariate(1 / delay_hours))
        return (recorded, agency, event_type, child, occurred, payload)

    def _who(self) -> int:
        # Repeat missers: 5% of children have 40% of the episodes (about 20 a year each).
        if self.rng.random() < 0.4:
            return self.rng.randrange(self.children // 20)
        return self.rng.randrange(self.children)

    def year(self, year: int) -> list[tuple[Any, ...]]:
        rng = self.rng
        start = dt.datetime(year, 1, 1, tzinfo=UTC)
        out = []

        def at() -> dt.datetime:
            return start + dt.timedelta(seconds=rng.randrange(365 * 86400))

        for _ in range(self.episodes // 10):  # care changes
            child = rng.randrange(self.children)
            when = at()
            if child in self.looked_after and rng.random() < 0.4:
                self.looked_after.discard(child)
                out.append(
                    self._fact(
                        "local_authority", "care.period_ended", child, when, {"reason": "E11"}
                    )
                )
            else:
                self.looked_after.add(child)
                uasc = rng.random() < 0.08
                out.append(
                    self._fact(
                        "local_authority",
                        "care.period_started",
                        child,
                        when,
                        {"legal_status": "C2", "uasc": uasc},
                    )
                )
                kind = rng.choice(["childrens_home", "foster_care", "semi_independent"])
                out.append(
                    self._fact(
                        "local_authority",
                        "care.placement_started",
                        child,
                        when,
                        {
                            "placement_ref": f"PL-{rng.randrange(900)}",
                            "placement_type": kind,
                            "postcode_district": "LE1",
                        },
                    )
                )
            if rng.random() < 0.3:
                out.append(
                    self._fact(
                        "local_authority",
                        "allocation.opened",
                        child,
                        when,
                        {"worker_role": "social worker"},
                    )
                )
        for _ in range(self.episodes):
            self.serial += 1
            ref = f"EP-{self.serial}"
            child = self._who()
            seen = at()
            out.append(
                self._fact(
                    "police",
                    "missing.reported",
                    child,
                    seen,
                    {
                        "episode_ref": ref,
                        "last_seen_at": seen.isoformat(),
                        "missing_from": {
                            "kind": "placement" if child in self.looked_after else "home",
                            "postcode_district": f"LE{rng.randrange(10)}",
                        },
                        "risk": rng.choice(["low", "medium", "medium", "high"]),
                        "classification": "absent"
                        if year < 2017 and rng.random() < 0.3
                        else "missing",
                    },
                    delay_hours=1,
                )
            )
            if rng.random() < 0.92:
                found = seen + dt.timedelta(hours=rng.expovariate(1 / 20))
                out.append(
                    self._fact(
                        "police",
                        "missing.found",
                        child,
                        found,
                        {
                            "episode_ref": ref,
                            "found_at": found.isoformat(),
                            "found_by": "police",
                            "found_location": {"kind": "other"},
                        },
                    )
                )
                out.append(
                    self._fact(
                        "police",
                        "police.safe_and_well_check",
                        child,
                        found,
                        {"episode_ref": ref, "concerns_identified": False},
                    )
                )
                if child in self.looked_after or rng.random() < 0.2:
                    ri = found + dt.timedelta(hours=rng.expovariate(1 / 60))
                    out.append(
                        self._fact(
                            "local_authority",
                            "return_interview.offered",
                            child,
                            found + dt.timedelta(hours=2),
                            {"episode_ref": ref},
                        )
                    )
                    if rng.random() < 0.7:
                        out.append(
                            self._fact(
                                "local_authority",
                                "return_interview.completed",
                                child,
                                ri,
                                {
                                    "episode_ref": ref,
                                    "conducted_by": "independent",
                                    "findings": {
                                        k: rng.random() < 0.08
                                        for k in (
                                            "harmed_physically",
                                            "sexually_assaulted_or_exploited",
                                            "drugs_sale",
                                            "criminal_activity",
                                        )
                                    },
                                },
                            )
                        )
            if rng.random() < 0.1:
                out.append(
                    self._fact(
                        "police",
                        "missing.risk_regraded",
                        child,
                        seen + dt.timedelta(hours=3),
                        {"episode_ref": ref, "risk": "high"},
                    )
                )
        for n in range(self.episodes // 50):  # alerts, investigations, CSE, plans, costs
            child = rng.randrange(self.children)
            when = at()
            out.append(
                self._fact(
                    "local_authority",
                    "safeguarding.alert_raised",
                    child,
                    when,
                    {
                        "alert_ref": f"AL-{year}-{n}",
                        "setting": rng.choice(["childrens_home", "foster_care", "home", "school"]),
                        "categories": rng.sample(["cse", "sexual_abuse", "cce", "neglect"], 2),
                    },
                )
            )
            if n % 20 == 0:
                out.append(
                    self._fact(
                        "local_authority",
                        "safeguarding.organised_abuse_investigation_started",
                        None,
                        when,
                        {"investigation_ref": f"INV-{year}-{n}", "alert_refs": [f"AL-{year}-{n}"]},
                    )
                )
            out.append(
                self._fact(
                    "local_authority",
                    "cse.case_opened",
                    child,
                    when,
                    {
                        "case_ref": f"CSE-{year}-{n}",
                        "risk_level": "medium",
                        "online_element": rng.random() < 0.3,
                    },
                )
            )
            if rng.random() < 0.3:
                out.append(
                    self._fact(
                        "local_authority",
                        "cse.case_reassessed",
                        child,
                        when + dt.timedelta(days=40),
                        {
                            "case_ref": f"CSE-{year}-{n}",
                            "risk_level": "high",
                            "online_element": True,
                        },
                    )
                )
            out.append(
                self._fact(
                    "local_authority",
                    "cp.plan_started",
                    child,
                    when,
                    {"plan_ref": f"CP-{year}-{n}"},
                )
            )
            if child in self.looked_after:
                month = dt.date(year, when.month, 1)
                out.append(
                    self._fact(
                        "local_authority",
                        "cost.recorded",
                        child,
                        when,
                        {
                            "service": rng.choice(["placement", "semi_independent"]),
                            "amount_gbp": f"{rng.randrange(1000, 9000)}.00",
                            "period_start": month.isoformat(),
                            "period_end": month.isoformat(),
                        },
                    )
                )
        out.sort(key=lambda fact: fact[0])
        return out


def facts(city: City, first_year: int, years: int) -> Iterator[FactRecorded]:
    last = dt.datetime.min.replace(tzinfo=UTC)
    seq = 0
    for year in range(first_year, first_year + years):
        for recorded, agency, event_type, child, occurred, payload in city.year(year):
            last = max(last, recorded)
            seq += 1
            event_id = uuid.uuid5(NS, f"event/{seq}")
            body: dict[str, Any] = {
                "event_id": str(event_id),
                "event_type": event_type,
                "schema_version": 1,
                "source": {"agency": agency, "system": "bench"},
                "occurred_at": occurred.isoformat(),
                "payload": payload,
            }
            if child is not None:
                body["child"] = {
                    "ids": {"la_child_id": f"LA-{child}"},
                    "date_of_birth": f"{2000 + child % 12}-{1 + child % 12:02d}-15",
                }
            yield FactRecorded(
                originator_id=event_id,
                originator_version=1,
                timestamp=last,
                agency=agency,
                event_type=event_type,
                event_id=str(event_id),
                body=body,
                child_id=_child(child) if child is not None else None,
                joined_child_ids=[],
                other_child_id=None,
                stream_seq=seq,
            )


def build(settings: Settings, events: int, years: int) -> None:
    table = build_store(settings).facts
    city = City(int(events / years / EPISODE_EVENTS))
    started, batch, written = time.perf_counter(), [], 0
    for fact in facts(city, 2010, years):
        batch.append(fact)
        if len(batch) == 5000:
            table.append(batch)
            written += len(batch)
            batch = []
            if written % 500_000 == 0:
                print(
                    f"  stored {written:,} ({written / (time.perf_counter() - started):,.0f}/s)",
                    flush=True,
                )
    table.append(batch)
    written += len(batch)
    elapsed = time.perf_counter() - started
    print(f"store      {written:,} facts in {elapsed:.0f} s ({written / elapsed:,.0f}/s)")


def project(settings: Settings) -> None:
    feed = build_feed(settings)
    store = build_projection(settings)
    started = time.perf_counter()
    applied = 0
    while True:
        step = time.perf_counter()
        n = catch_up(feed, store, max_pages=100)  # 100,000 facts, to report progress
        applied += n
        rate = applied / (time.perf_counter() - started)
        last = n / (time.perf_counter() - step)
        if n:
            print(f"  projected {applied:,} ({rate:,.0f}/s; last {last:,.0f}/s)", flush=True)
        if n < 100_000:
            break
    elapsed = time.perf_counter() - started
    print(
        f"project    {applied:,} facts in {elapsed:.0f} s ({applied / max(elapsed, 1e-9):,.0f}/s)"
    )
    step = time.perf_counter()
    catch_up(feed, store)
    print(f"catch-up when current: {(time.perf_counter() - step) * 1000:.1f} ms")


def ask(settings: Settings) -> None:
    store = build_projection(settings)
    head = store.head()
    with store.reading() as db:
        size = {
            t: db.execute(f"SELECT COUNT(*) FROM {t} WHERE to_pos IS NULL").fetchone()[0]
            for t in ("episode", "alert", "cse_case", "plan", "cost", "uasc")
        }
    print(f"projection at position {head[0]:,} ({head[1]:,} facts); current rows: {size}")
    log = store.db.execute(
        "SELECT recorded_us FROM log WHERE position = ?", (head[0] * 2 // 3,)
    ).fetchone()
    from projections._time import from_us

    as_of_then = from_us(log[0]) if log else dt.datetime.now(UTC)
    now = dt.datetime.now(UTC)
    periods = ["2017-03", "2017/18", "2018", "2014-04-06..2016-04-05"]
    print(f"\nanswer times in ms (median of 5; as-of = {as_of_then:%Y-%m-%d}, 2/3 into the log)")
    print(f"{'statistic':32} " + " ".join(f"{p:>22}" for p in periods))
    worst = 0.0
    for name in STATISTICS:
        cells = []
        for period in periods:
            times = {}
            for label, moment in (("now", now), ("as-of", as_of_then)):
                runs = []
                for _ in range(5):
                    t = time.perf_counter()
                    answer(store, name, parse_period(period), as_of=moment)
                    runs.append((time.perf_counter() - t) * 1000)
                times[label] = statistics.median(runs)
            worst = max(worst, times["now"])
            cells.append(f"{times['now']:7.1f} / as-of {times['as-of']:6.1f}")
        print(f"{name:32} " + " ".join(f"{c:>22}" for c in cells))
    print(f"\nslowest current answer: {worst:.1f} ms")
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            "foi",
            "missing-occasions",
            "--period",
            "2017/18",
            "--format",
            "json",
        ],
        check=True,
        capture_output=True,
        env={"HUB_DATA_DIR": str(settings.data_dir), "PATH": "/usr/bin:/bin"},
    )
    print(
        f"`hub foi missing-occasions --period 2017/18` as a command (Python start,"
        f" catch-up check, answer): {(time.perf_counter() - t) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=0, help="build a store of about N facts")
    parser.add_argument("--years", type=int, default=14)
    parser.add_argument("--build-only", action="store_true", help="build the store, stop")
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    settings = Settings(data_dir=args.dir)
    if args.events:
        if settings.sqlite_path.exists():
            sys.exit(f"{settings.sqlite_path} exists: remove it, or leave out --events")
        build(settings, args.events, args.years)
        if args.build_only:
            return
    project(settings)
    ask(settings)


if __name__ == "__main__":
    main()
