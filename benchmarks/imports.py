"""Import benchmark: a city-year of agency exports through the adapters into a running hub.

Writes synthetic exports (police incidents, the SSDA903 tables, return interviews, health and
education concerns) for one year of a city of the given size, then for each file prints:
  import     read, check, plan and publish (every event acknowledged by JetStream), rows/s
  re-import  the same file again: nothing to send
and, for the police export re-exported a week later (10% of incidents found, 5% regraded, 2%
corrected), the progressing import. Finally how long the hub took to store everything.

    python benchmarks/imports.py [--incidents 20000] [--children 4000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

import agencies
from contracts.examples import nhs_number, upn
from hub.adapters.bus_login import BusLogin
from hub.adapters.embedded_nats import EmbeddedNats
from hub.bootstrap import build_recorder, build_store
from hub.config import Settings
from hub.entrypoints.consumer import Consumer
from hub.service import queries

YEAR = dt.datetime(2019, 4, 1)


def _at(rng: random.Random) -> dt.datetime:
    return YEAR + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))


def _t(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def incidents(n: int, children: int, progressed: bool) -> list[list[str]]:
    rows = []
    for i in range(n):
        r = random.Random(i)  # the same incident in both exports
        child = r.randrange(children)
        reported = _at(r)
        seen = reported - dt.timedelta(minutes=r.randrange(30, 600))
        found = reported + dt.timedelta(minutes=r.randrange(60, 4000))
        # Every draw is made whether or not the export is the later one, so the two agree.
        found_draw, regrade_draw, correct_draw = r.random(), r.random(), r.random()
        where = r.choice(["HOME", "PLACEMENT", "OTHER"])
        risk, graded = r.choice(["LOW", "MEDIUM", "MEDIUM", "HIGH"]), ""
        cls = r.choice(["MISSING", "MISSING", "ABSENT"])
        is_found = found_draw < (0.9 if progressed else 0.8)
        if progressed and regrade_draw < 0.05:
            risk = "HIGH" if risk != "HIGH" else "MEDIUM"
            graded = _t(reported + dt.timedelta(hours=2))
        if progressed and correct_draw < 0.02:
            cls = "ABSENT" if cls == "MISSING" else "MISSING"
        rows.append(
            [
                f"MP-{i:06d}", f"P-{child:05d}", nhs_number(child + 1) if child % 3 else "",
                _t(reported), _t(seen), where,
                f"SC{child % 40:06d}", "LE3", risk, graded, cls,
                _t(found) if is_found else "", "POLICE" if is_found else "",
                "OTHER" if is_found else "", "LE1" if is_found else "",
            ]
        )  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--children", type=int, default=4_000)
    parser.add_argument("--postgres")
    args = parser.parse_args()
    asyncio.run(run(args.incidents, args.children, args.postgres))


async def run(n: int, children: int, postgres: str | None) -> None:
    rng = random.Random(7)
    folder = Path(tempfile.mkdtemp(prefix="imports-"))
    police = [
        "incident_ref", "person_id", "nhs_number", "reported_at", "last_seen_at",
        "missing_from", "placement_ref", "missing_from_postcode", "risk", "risk_graded_at",
        "classification", "found_at", "found_by", "found_location", "found_postcode",
    ]  # fmt: skip
    files = [
        ("police", "missing-incidents", _write(folder / "incidents.csv", police,
                                               incidents(n, children, False))),
    ]  # fmt: skip
    la = folder / "903"
    la.mkdir()
    looked_after = children // 6
    _write(la / "Header.csv", ["CHILD", "SEX", "DOB", "UPN"],
           [[f"C{c:05d}", "1", "01/01/2004", upn(c + 1)] for c in range(looked_after)])  # fmt: skip
    episodes = []
    for c in range(looked_after):
        start = _at(rng).date()
        episodes.append([f"C{c:05d}", start.strftime("%d/%m/%Y"), "S", "C2", "K2", "PR4",
                         "LE3 5", f"SC{c % 40:06d}", "", ""])  # fmt: skip
    _write(la / "Episodes.csv",
           ["CHILD", "DECOM", "RNE", "LS", "PLACE", "PLACE_PROVIDER", "PL_POST", "URN", "DEC",
            "REC"], episodes)  # fmt: skip
    _write(
        la / "UASC.csv", ["CHILD", "DUC"], [[f"C{c:05d}", ""] for c in range(0, looked_after, 25)]
    )
    files.append(("local_authority", "ssda903", la))
    files.append(("local_authority", "return-interviews", _write(
        folder / "ri.csv",
        ["child_id", "nhs_number", "episode_ref", "offered_at", "outcome", "outcome_at",
         "conducted_by", "harmed_physically", "sexually_assaulted_or_exploited", "drugs_sale",
         "criminal_activity"],
        [[f"C{i % children:05d}", nhs_number(i % children + 1), f"MP-{i:06d}", "2019-06-01",
          "COMPLETED", "2019-06-03", "INDEPENDENT", "N", "N", "Y", "N"] for i in range(n // 2)],
    )))  # fmt: skip
    files.append(("health", "concerns", _write(
        folder / "health.csv",
        ["concern_ref", "nhs_number", "raised_at", "setting", "concern"],
        [[f"H-{i}", nhs_number(i % children + 1), _t(_at(rng)), "ED", "INJURY"]
         for i in range(n // 4)],
    )))  # fmt: skip
    files.append(("education", "concerns", _write(
        folder / "education.csv",
        ["concern_ref", "upn", "raised_at", "concern"],
        [[f"E-{i}", upn(i % children + 1), _t(_at(rng)), "MISSING"] for i in range(n // 4)],
    )))  # fmt: skip

    settings = Settings(data_dir=folder / "hub", database_url=postgres)  # as hub serve runs
    ledger = folder / "imports.sqlite"
    sent = 0
    with EmbeddedNats(folder / "nats") as server:
        # The hub declares the stream, then stops: the imports are timed alone (in production
        # the hub runs in its own processes), and the hub is timed draining what they sent.
        await _hub(settings, server.url, 0)
        started = time.perf_counter()
        print(f"{'file':38} {'rows':>7} {'events':>7} {'import s':>9} {'rows/s':>8}"
              f" {'re-import s':>12}")  # fmt: skip
        for agency, kind, path in files:
            sent += await _one(server.url, ledger, agency, kind, path)
        progressed = _write(folder / "incidents.csv", police, incidents(n, children, True))
        sent += await _one(server.url, ledger, "police", "missing-incidents", progressed,
                           label="police incidents a week later")  # fmt: skip
        imported = time.perf_counter() - started
        started = time.perf_counter()
        await _hub(settings, server.url, sent)
        took = time.perf_counter() - started
        print(f"\nall imports: {imported:.1f} s; then the hub stored all {sent} events in"
              f" {took:.1f} s ({sent / took:,.0f}/s)")  # fmt: skip


async def _one(url: str, ledger: Path, agency: str, kind: str, path: Path, label: str = "") -> int:
    start = time.perf_counter()
    report = await agencies.import_file(url, ledger, agency, kind, path)
    took = time.perf_counter() - start
    start = time.perf_counter()
    again = await agencies.import_file(url, ledger, agency, kind, path)
    retook = time.perf_counter() - start
    assert again.counts.events == 0 and not report.refusals, report.refusals[:3]
    c = report.counts
    rows = c.published + c.progressed + c.corrected + c.unchanged
    name = label or f"{agency} {kind}"
    print(f"{name:38} {rows:>7} {c.events:>7} {took:>9.2f} {rows / took:>8,.0f} {retook:>12.2f}")
    if label:
        print(f"  ({c.progressed} progressed, {c.corrected} corrected, {c.unchanged} unchanged)")
    return c.events


async def _hub(settings: Settings, url: str, sent: int) -> None:
    """Run the hub's consumer until it has stored ``sent`` events."""
    recorder = build_recorder(settings)
    consumer = Consumer(settings, recorder, url, BusLogin("hub"))  # an open server
    await consumer.start()
    try:
        hub = build_store(settings)
        while (status := queries.status(hub))["stored"] + status["rejected"] < sent:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        assert status["rejected"] == 0, queries.rejects(hub)[:3]
    finally:
        await consumer.stop()
        recorder.close(settings.shutdown_grace)


if __name__ == "__main__":
    main()
