"""Fault injection: a real ``hub serve`` against a real nats-server and a real store, one fault
per case, and the same four checks at the end of every case (``settle_and_check``): every
valid event stored exactly once, every invalid one a reject exactly once, the projection caught
up, and a clean stop on SIGTERM. Each case publishes a seeded mix (printed with its seed; set
``HUB_FAULT_SEED`` to vary it), some before the fault and some during or after it, and checks
that the fault fell mid-ingest: the hub had stored some of what was published, not all.

The figures of every case (fault and recovery times, stop times, ``hub status`` during the
fault and after recovery) are printed at the end of the run; ``HUB_FAULT_REPORT=FILE`` also
appends them to FILE, one JSON line per case. ``HUB_TEST_LONG_OUTAGE`` sets the seconds of the
long NATS outage (default 180).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import sqlite3
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.faults.harness import (
    Figures,
    Hub,
    Mix,
    NatsServer,
    Publisher,
    alive,
    delete_stream,
    descendants,
    make_mix,
    record_mix,
    settle_and_check,
    tcp_client_ports,
    terminate_backends,
    timed,
)
from tests.support import POSTGRES_URL, eventually

LONG_OUTAGE = float(os.environ.get("HUB_TEST_LONG_OUTAGE", "180"))
STREAM_BACK_WITHIN = 30.0  # the hub re-creates a deleted stream in ~5 s; fail well after
STORE_LOCKED_FOR = 20.0
MakeHub = Callable[..., Hub]


# -- small steps the cases share ---------------------------------------------------------------


async def mid_ingest(hub: Hub, after: int, ahead: int, timeout: float = 30.0) -> int:
    """Wait until the hub has stored more than ``after``; the stored count then, which must be
    short of ``ahead`` (the valid events published so far), or the fault would not fall
    mid-ingest. A batch is at most 1,000 messages (``HUB_BATCH_SIZE``), so a backlog of well
    over that is stored in two batches or more, and the first commit leaves some unstored."""

    def more() -> int:
        stored = hub.store.stored()
        return stored if stored > after else 0

    stored = int(await eventually(more, timeout, every=0.005))
    assert stored < ahead, f"all {ahead} published were stored before the fault"
    return stored


def seeded_mix(figures: Figures, valid: int, invalid: int = 20, duplicates: int = 60) -> Mix:
    mix = make_mix(random.Random(figures.seed), valid, invalid, duplicates)
    record_mix(figures, mix)
    return mix


async def during(hub: Hub, figures: Figures) -> None:
    """``hub status`` (JSON) and ``hub status --check`` once while the fault lasts."""
    figures.status_during = await hub.status()
    code, said = await hub.check()
    figures.notes["check_during"] = [code, said.splitlines()[-1] if said else ""]


def offsets(rng: random.Random, count: int, first: float, gap: tuple[float, float]) -> list[float]:
    """``count`` seeded moments: the first after ``first`` s, then ``gap`` s apart."""
    moments = [first + rng.uniform(0, 1)]
    while len(moments) < count:
        moments.append(moments[-1] + rng.uniform(*gap))
    return moments


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


def nats_losses(hub: Hub) -> tuple[int, int]:
    text = hub.log_text()
    return text.count("lost the NATS connection"), text.count("NATS connection back")


# -- 1-3: NATS goes away -----------------------------------------------------------------------


async def nats_outage(
    hub: Hub, nats: NatsServer, figures: Figures, outage: float, graceful: bool
) -> None:
    """Publish a burst, stop NATS mid-ingest (kill -9, or SIGTERM), keep it down ``outage`` s
    while the rest waits to be published, start it again on the same port and storage."""
    mix = seeded_mix(figures, 2500)
    split = random.Random(figures.seed + 1).uniform(0.6, 0.75)
    before, after = mix.part(0, split), mix.part(split, 1)
    await hub.start()
    async with Publisher(nats.url) as publisher:
        await publisher.burst(before)
        figures.stored_at_fault.append(await mid_ingest(hub, 0, mix.valid_in(before)))
        down = time.monotonic()
        if graceful:
            nats.terminate()
        else:
            nats.kill()
        rest = asyncio.create_task(publisher.send(after))  # waits for NATS, then publishes
        await asyncio.sleep(outage / 2)
        status = asyncio.create_task(during(hub, figures))
        await sleep_until(down + outage)
        nats.start()
        fault_end = time.monotonic()
        figures.fault_s = round(fault_end - down, 1)
        await asyncio.gather(rest, status)
    if not graceful:  # (a graceful restart may be over before the report shows it)
        code, said = figures.notes["check_during"]
        assert code == 1 and "the NATS connection is lost" in said, figures.notes
    await settle_and_check(hub, mix, figures, fault_end)
    lost, back = nats_losses(hub)
    figures.notes["logged_lost_back"] = [lost, back]
    assert lost >= 1 and back >= 1, "the hub did not notice the outage (nor its end)"


@pytest.mark.parametrize("outage", [5.0, LONG_OUTAGE], ids=["5s", "long"])
async def test_nats_killed_and_restarted_on_the_same_storage(
    make_hub: MakeHub, nats_control: NatsServer, figures: Figures, outage: float
) -> None:
    with timed(figures):
        await nats_outage(make_hub(), nats_control, figures, outage, graceful=False)


async def test_nats_restarted_gracefully(
    make_hub: MakeHub, nats_control: NatsServer, figures: Figures
) -> None:
    with timed(figures):
        await nats_outage(make_hub(), nats_control, figures, 2.0, graceful=True)


# -- 4: the events stream deleted ------------------------------------------------------------


async def test_events_stream_deleted_is_recreated(
    make_hub: MakeHub, nats_control: NatsServer, figures: Figures
) -> None:
    """What was stored before the deletion stays stored; once the hub has re-created the
    stream (and its consumer), what is published is stored. Messages published but not yet
    consumed when a stream is deleted are gone with it, so the deletion waits for them."""
    with timed(figures):
        hub = make_hub()
        mix = seeded_mix(figures, 1200)
        before, after = mix.part(0, 0.4), mix.part(0.4, 1)
        await hub.start()
        async with Publisher(nats_control.url, give_up_after=STREAM_BACK_WITHIN + 30) as pub:
            await pub.burst(before)
            await eventually(lambda: mix.settled(hub.store, before), timeout=30)
            figures.stored_at_fault.append(hub.store.stored())
            deleted = time.monotonic()
            assert await delete_stream(nats_control.url)
            sent = pub.sent
            rest = asyncio.create_task(pub.send(after))
            await during(hub, figures)
            checks: list[tuple[float, int]] = []  # hub status --check until a publish works
            while pub.sent == sent and time.monotonic() - deleted < STREAM_BACK_WITHIN:
                code, _ = await hub.check()
                checks.append((round(time.monotonic() - deleted, 1), code))
            figures.notes["checks"] = checks
            try:
                await eventually(lambda: pub.sent > sent, timeout=1)
            except AssertionError:
                rest.cancel()
                raise AssertionError(
                    f"no publish succeeded within {STREAM_BACK_WITHIN:.0f}s of deleting the"
                    f" stream ({dict(pub.failures)}): the hub did not re-create it\n"
                    f"{hub.log_tail()}"
                ) from None
            assert pub.back_at is not None
            fault_end = pub.back_at
            figures.fault_s = round(fault_end - deleted, 2)
            figures.notes["publish_failures"] = dict(pub.failures)
            await rest
        await settle_and_check(hub, mix, figures, fault_end)


# -- 5: the SQLite store locked ----------------------------------------------------------------


async def test_sqlite_store_locked_then_released(
    make_hub: MakeHub, nats_control: NatsServer, figures: Figures
) -> None:
    """Another process holds the store's write lock for 20 s while events arrive (the hub's
    lock timeout is 2 s, so its writes fail rather than wait); then lets go."""
    with timed(figures):
        hub = make_hub(HUB_LOCK_TIMEOUT="2")
        mix = seeded_mix(figures, 1200)
        before, while_locked, after = mix.part(0, 0.3), mix.part(0.3, 0.8), mix.part(0.8, 1)
        await hub.start()
        async with Publisher(nats_control.url) as pub:
            await pub.burst(before)
            await eventually(lambda: mix.settled(hub.store, before), timeout=30)
            blocker = sqlite3.connect(hub.settings.sqlite_path, isolation_level=None, timeout=10)
            try:
                blocker.execute("BEGIN EXCLUSIVE")
                locked = time.monotonic()
                figures.stored_at_fault.append(hub.store.stored())
                await pub.burst(while_locked)
                checks: list[tuple[float, int, str]] = []
                while time.monotonic() - locked < STORE_LOCKED_FOR:
                    code, said = await hub.check()
                    checks.append(
                        (round(time.monotonic() - locked, 1), code, said.splitlines()[-1])
                    )
                    if figures.status_during is None and time.monotonic() - locked > 12:
                        figures.status_during = await hub.status()
                    await asyncio.sleep(1.0)
                stored_while_locked = hub.store.stored()
            finally:
                blocker.rollback()
                blocker.close()
            fault_end = time.monotonic()
            figures.fault_s = round(fault_end - locked, 1)
            figures.notes["checks"] = [(at, code) for at, code, _ in checks]
            figures.notes["check_said"] = next((s for _, c, s in checks if c), None)
            await pub.burst(after)
        await settle_and_check(hub, mix, figures, fault_end)
        assert stored_while_locked == figures.stored_at_fault[0], "the lock did not hold"
        # Exit 1 is --check's "ingest is not flowing" (2 would be a usage error, not an answer).
        assert any(code == 1 for _, code, _ in checks), (
            f"hub status --check never said ingest was not flowing while the store was locked:"
            f" {checks}"
        )


# -- 6: PostgreSQL connections killed ----------------------------------------------------------


@pytest.mark.postgres
async def test_postgres_connections_killed_three_times(
    postgres_url: str, make_hub: MakeHub, nats_control: NatsServer, figures: Figures
) -> None:
    """While events flow, three times end every PostgreSQL backend serving ``hub serve`` (its
    lease, its writer, its projector), found by the client ports its processes hold."""
    pg_port = urlsplit(POSTGRES_URL).port or 5432
    with timed(figures):
        hub = make_hub(HUB_DATABASE_URL=postgres_url, PGAPPNAME="hub-faults")
        mix = seeded_mix(figures, 1500)
        rng = random.Random(figures.seed + 1)
        await hub.start()
        started = time.monotonic()
        kills: list[dict[str, Any]] = []
        async with Publisher(nats_control.url) as pub:
            publishing = asyncio.create_task(pub.send(mix.messages, pause=0.004))
            for moment in offsets(rng, 3, 1.0, (1.5, 2.5)):
                await sleep_until(started + moment)
                stored, sent = hub.store.stored(), pub.sent
                ended = terminate_backends(tcp_client_ports(hub.tree(), pg_port))
                kills.append(
                    {"at_s": round(moment, 1), "stored": stored, "sent": sent, "ended": ended}
                )
                figures.stored_at_fault.append(stored)
                assert ended, "no backend of hub serve's to end"
                if len(kills) == 2:
                    await during(hub, figures)
            fault_end = time.monotonic()
            figures.fault_s = round(kills[-1]["at_s"] - kills[0]["at_s"], 1)
            figures.notes["ended"] = [
                [*sorted({app for _, app, _ in kill["ended"]}), len(kill["ended"])]
                for kill in kills
            ]
            figures.notes["sent_at_fault"] = [kill["sent"] for kill in kills]
            await publishing
        # Mid-ingest: events were still arriving, and not all were stored.
        assert all(kill["sent"] < len(mix.messages) for kill in kills)
        assert all(kill["stored"] < len(mix.valid_ids) for kill in kills)
        await settle_and_check(hub, mix, figures, fault_end)


# -- 7-8: the writer or the projector killed ---------------------------------------------------


async def child_killed(
    hub: Hub, nats: NatsServer, figures: Figures, role: str, mix: Mix
) -> tuple[int, int]:
    """Kill ``role`` (SIGKILL) mid-ingest; wait for hub serve to have a new one. Their pids."""
    before, after = mix.part(0, 0.6), mix.part(0.6, 1)
    await hub.start()
    victim = await hub.role(role)
    async with Publisher(nats.url) as pub:
        await pub.burst(before)
        figures.stored_at_fault.append(await mid_ingest(hub, 0, mix.valid_in(before)))
        os.kill(victim.pid, signal.SIGKILL)
        killed = time.monotonic()
        await eventually(lambda: not alive(victim.pid), timeout=5)
        await during(hub, figures)
        await pub.burst(after)
        successor = await hub.role(role, timeout=60, other_than=victim.pid)
        figures.fault_s = round(time.monotonic() - killed, 1)  # until its successor runs
    await settle_and_check(hub, mix, figures, killed)
    figures.notes[f"{role}_pids"] = [victim.pid, successor.pid]
    return victim.pid, successor.pid


async def test_writer_process_killed(
    make_hub: MakeHub, nats_control: NatsServer, figures: Figures
) -> None:
    with timed(figures):
        hub = make_hub()
        await child_killed(hub, nats_control, figures, "writer", seeded_mix(figures, 2500))


PROJECTOR_RESTARTED = re.compile(r"projector.*(restart|new one|started again)", re.IGNORECASE)


async def test_projector_process_killed(
    make_hub: MakeHub, nats_control: NatsServer, figures: Figures
) -> None:
    with timed(figures):
        hub = make_hub()
        await child_killed(hub, nats_control, figures, "projector", seeded_mix(figures, 2500))
        said = [line for line in hub.log_text().splitlines() if PROJECTOR_RESTARTED.search(line)]
        figures.notes["logged"] = said[:2]
        assert said, f"serve.log does not say the projector was restarted:\n{hub.log_tail()}"


# -- 9-10: hub serve killed or stopped, and started again ----------------------------------


async def serve_interrupted(
    hub: Hub, nats: NatsServer, figures: Figures, stop: Callable[[Hub], Any]
) -> None:
    """Publish at a steady pace; at three seeded moments stop hub serve with ``stop`` (each of
    its children must be gone soon after) and start it again at once."""
    mix = seeded_mix(figures, 2000)
    rng = random.Random(figures.seed + 1)
    await hub.start()
    started = fault_end = time.monotonic()
    downtime = 0.0
    sent_at_fault: list[int] = []
    async with Publisher(nats.url) as pub:
        publishing = asyncio.create_task(pub.send(mix.messages, pause=0.005))
        for moment in offsets(rng, 3, 1.0, (2.0, 3.0)):
            await sleep_until(started + moment)
            children = descendants(hub.pid)
            figures.stored_at_fault.append(hub.store.stored())
            sent_at_fault.append(pub.sent)
            down = time.monotonic()
            await stop(hub)
            await eventually(lambda c=children: not any(alive(p) for p in c), timeout=10)
            if len(figures.stored_at_fault) == 2:
                await during(hub, figures)
            await hub.start()
            fault_end = time.monotonic()
            downtime += fault_end - down
        figures.fault_s = round(downtime, 1)
        await publishing
    figures.notes["sent_at_fault"] = sent_at_fault
    # Mid-ingest: events were still arriving, and not all were stored.
    assert all(sent < len(mix.messages) for sent in sent_at_fault)
    assert all(stored < len(mix.valid_ids) for stored in figures.stored_at_fault)
    await settle_and_check(hub, mix, figures, fault_end)


async def test_hub_serve_killed_three_times(
    make_hub: MakeHub, nats_control: NatsServer, figures: Figures
) -> None:
    async def kill(hub: Hub) -> None:
        hub.kill()

    with timed(figures):
        await serve_interrupted(make_hub(), nats_control, figures, kill)


async def test_hub_serve_stopped_three_times(
    make_hub: MakeHub, nats_control: NatsServer, figures: Figures
) -> None:
    async def terminate(hub: Hub) -> None:
        figures.stop_s.append(round(await hub.stop(), 2))

    with timed(figures):
        await serve_interrupted(make_hub(), nats_control, figures, terminate)
