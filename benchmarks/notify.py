"""Notification benchmark: how long from a police ``missing.reported`` being published to the
council holding its ``missing.looked_after_child_reported`` notification.

    python benchmarks/notify.py                       # 1,000 episodes, 20 reports a second
    python benchmarks/notify.py --episodes 1000 --rate 50 --dir /tmp/notify-bench

A real ``hub serve`` (its own nats-server with the agencies' keys, the writer process, the
projector process and the notifier) runs on a fresh data folder. The council first records
each child as looked after; then the police publish one report per child at a steady rate,
each with its own credentials, while the council reads its notices consumer with its own. For
each episode the latency is the council's receipt minus the moment just before the police's
publish. The baseline, measured in the same run on the same messages, is the publish's own
round trip (publish to JetStream's acknowledgement): the bus's floor under any notification.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nats
import orjson

import contracts
from contracts.examples import example_event, nhs_number
from hub.adapters.bus_identities import Identities
from hub.adapters.bus_login import BusLogin
from hub.adapters.embedded_nats import free_port

NOTICES = "SAFEGUARDING_NOTICES"


def _login(data: Path, role: str) -> dict[str, object]:
    identity = Identities(data / "credentials").get(role)
    assert identity is not None, f"no credentials for {role}"
    return BusLogin(role, identity.seed_file).options()


def _serve(data: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **os.environ,
        "HUB_DATA_DIR": str(data),
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_WEB_ADDR": f"127.0.0.1:{free_port()}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url_file = data / "nats.url"
    deadline = time.monotonic() + 60
    while not url_file.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"hub serve did not start; see {log}")
        time.sleep(0.1)
    return server, url_file.read_text().strip()


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


async def run(episodes: int, rate: float, data: Path) -> dict[str, float]:
    server, url = _serve(data, data.parent / "serve.log")
    try:
        council = await nats.connect(url, **_login(data, "local_authority"))
        police = await nats.connect(url, **_login(data, "police"))
        now = dt.datetime.now(dt.UTC)
        cjs, pjs = council.jetstream(), police.jetstream()
        for k in range(episodes):
            body = example_event(
                "care.period_started",
                occurred_at=_iso(now - dt.timedelta(days=30)),
                child={"ids": {"la_child_id": f"LA-{k}", "nhs_number": nhs_number(k)}},
            )
            await cjs.publish(
                contracts.subject_for("local_authority", body["event_type"]),
                orjson.dumps(body),
                headers={"Nats-Msg-Id": body["event_id"]},
            )
        await asyncio.sleep(5)  # recorded and projected before the first report

        sent: dict[str, float] = {}
        acked: list[float] = []
        received: dict[str, float] = {}
        pull = await cjs.pull_subscribe_bind("notices_local_authority", stream=NOTICES)

        async def read() -> None:
            while len(received) < episodes:
                try:
                    batch = await pull.fetch(200, timeout=1)
                except TimeoutError:  # nats-py raises either kind
                    continue
                at = time.perf_counter()
                for message in batch:
                    notice = orjson.loads(message.data)
                    if notice["kind"] == "missing.looked_after_child_reported":
                        received.setdefault(notice["cause"]["event_id"], at)
                    await message.ack()

        reader = asyncio.create_task(read())
        started = time.perf_counter()
        for k in range(episodes):
            due = started + k / rate
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            seen = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
            body = example_event(
                "missing.reported",
                occurred_at=_iso(seen),
                child={"ids": {"police_person_id": f"P-{k}", "nhs_number": nhs_number(k)}},
                episode_ref=f"EP-{k}",
                last_seen_at=_iso(seen),
            )
            subject = contracts.subject_for("police", "missing.reported")
            t0 = time.perf_counter()
            sent[body["event_id"]] = t0
            await pjs.publish(
                subject, orjson.dumps(body), headers={"Nats-Msg-Id": body["event_id"]}
            )
            acked.append(time.perf_counter() - t0)
        try:
            await asyncio.wait_for(reader, timeout=120)
        except TimeoutError:
            print(f"only {len(received)} of {episodes} notifications arrived in time")
        latencies = sorted(received[i] - sent[i] for i in received if i in sent)
        await council.close()
        await police.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    def pct(values: list[float], q: float) -> float:
        return sorted(values)[min(len(values) - 1, int(q * len(values)))]

    return {
        "episodes": float(episodes),
        "notified": float(len(latencies)),
        "median_ms": statistics.median(latencies) * 1000,
        "p99_ms": pct(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000,
        "ack_median_ms": statistics.median(acked) * 1000,
        "ack_p99_ms": pct(acked, 0.99) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="reports a second")
    parser.add_argument("--dir", type=Path, default=None, help="a folder to use (emptied)")
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="notify-bench-"))
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    r = asyncio.run(run(args.episodes, args.rate, base / "hub"))
    print(
        f"episodes published: {r['episodes']:.0f} at {args.rate:g}/s; notified: {r['notified']:.0f}"
    )
    print(
        f"police publish -> council notification: median {r['median_ms']:.0f} ms,"
        f" p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms"
    )
    print(
        f"baseline, publish -> JetStream ack: median {r['ack_median_ms']:.1f} ms,"
        f" p99 {r['ack_p99_ms']:.1f} ms"
    )
    print(
        f"ratio (notification / ack): median {r['median_ms'] / r['ack_median_ms']:.0f}x,"
        f" p99 {r['p99_ms'] / r['ack_p99_ms']:.0f}x"
    )


if __name__ == "__main__":
    main()
