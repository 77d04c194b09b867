"""``hub demo``: the whole product on a synthetic city, the real path from files to figures.

Generates the city's agency exports, starts ``hub serve`` (its own nats-server, SQLite in the
demo folder), imports every export through the adapters, waits until the hub has taken every
message, brings the projection up to date, then prints what was stored and rejected, the
month's forum headline and the seeds' published figures beside the hub's, and writes the HTML
forum pack. Before it stops the hub, one live episode shows sharing back (``demo_live``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import projections
from hub.adapters.bus_identities import HUB, Identities
from hub.adapters.bus_login import BusLogin
from hub.config import Settings
from hub.errors import ConfigurationError
from hub.service import queries

if TYPE_CHECKING:
    from hub.entrypoints.cli import Wiring

FORUM_MONTH = "2021-12"


def run(wiring: Wiring, *, scale: float, seed: int) -> int:
    from tqdm import tqdm

    from agencies import import_file
    from agencies.city import PUBLISHED, generate
    from contracts.notifications import LA, POLICE
    from hub.entrypoints.demo_live import shared_back

    started = time.perf_counter()
    settings = wiring.settings
    folder = settings.data_dir
    if (folder / "hub.sqlite").exists() or settings.ledger_file.exists():
        raise ConfigurationError(
            f"{folder} already holds a hub: the demo starts from nothing (remove it, or set"
            " HUB_DATA_DIR to a new folder)"
        )
    exports = generate(folder / "exports", seed=seed, scale=scale)
    print(f"generated {len(exports)} exports in {folder / 'exports'}"
          f" ({time.perf_counter() - started:.1f} s)")  # fmt: skip
    server = _serve(settings)
    sent = Counter[str]()
    refusals: list[str] = []
    try:
        url = wiring.nats_url()
        with tqdm(exports, unit="file", desc="importing", file=sys.stdout) as bar:
            for export in bar:
                bar.set_postfix_str(f"{export.agency} {export.path.name}")
                bus = wiring.bus(export.agency, None)  # the operator's host: its own keys
                report = asyncio.run(
                    import_file(bus, settings.ledger_file, export.agency, export.kind,
                                export.path)
                )  # fmt: skip
                sent["events"] += report.counts.events
                sent["refused"] += report.counts.refused
                sent["warnings"] += report.counts.warnings
                refusals += [f"{r}" for r in report.refusals]
        print(f"imported: {sent['events']:,} events sent, {sent['refused']} rows refused,"
              f" {sent['warnings']:,} warnings"
              f" ({time.perf_counter() - started:.0f} s)")  # fmt: skip
        for refusal in refusals[:5]:
            print(f"  refused {refusal}")
        asyncio.run(_drained(url, settings))
        print(f"the hub has stored all it was sent ({time.perf_counter() - started:.0f} s)")
        print(asyncio.run(shared_back(wiring.bus(LA, None), wiring.bus(POLICE, None))))
    finally:
        _stop(server)
    hub = wiring.store()
    store = wiring.projection()
    projections.catch_up(wiring.feed(), store)
    print(f"projections caught up ({time.perf_counter() - started:.0f} s)")
    status = queries.status(hub)
    rejects = Counter(r["reason"].split(":")[0] for r in queries.rejects(hub))
    print(f"\nstored {status['stored']:,} facts; rejected {status['rejected']}"
          + "".join(f"\n  {n} × {reason}" for reason, n in rejects.most_common(5)))  # fmt: skip
    _compare(store, PUBLISHED, scale)
    _reconciliation(store)
    pack = projections.forum(
        store, projections.parse_period(FORUM_MONTH), key=queries.forum_key(hub)
    )
    listed = pack["repeat_missing"]
    print(
        f"\nforum, {FORUM_MONTH}: {pack['episodes_in_month']} episodes, {pack['children_in_month']}"
        f" children; {len(listed)} on the repeat list"
        f" ({sum(r['status'] == 'new' for r in listed)} new)"
    )
    year = projections.trends(store, *projections.year_ending(FORUM_MONTH))
    page = folder / f"forum-{FORUM_MONTH}.html"
    page.write_text(projections.render_forum(pack, "html", trends=year), encoding="utf-8")
    print(f"wrote the forum pack: {page}")
    print(f"demo took {time.perf_counter() - started:.0f} s")
    return 0


RECONCILED = ("2017/18", "2018/19", "2019/20", "2020/21")


def _reconciliation(store: Any) -> None:
    """The council's own missing records (its SSDA903 Missing tables) against the police's
    episodes: where the two records of the same occasions disagree (``hub reconcile``)."""
    print("\nthe council's missing records (SSDA903) and the police's episodes:")
    for year in RECONCILED:
        period = projections.parse_period(year)
        own = _raw(store, "looked-after-missing", period)
        match = _raw(store, "missing-reconciliation", period)
        print(f"  {year}  council {own['total']:4} ({own['missing']} missing, {own['away']} away)"
              f"  matched {match['matched']:4}  council only {match['council_only']:3}"
              f"  police only {match['police_only']:3}")  # fmt: skip
    print(f"  each unmatched record: HUB_ROLE=internal hub reconcile --period {RECONCILED[0]}")


def _raw(store: Any, statistic: str, period: projections.Period) -> dict[str, Any]:
    answer = projections.answer(store, statistic, period, suppress=False)
    return {name: cell["value"] for name, cell in answer["figures"].items()}


def _compare(store: Any, published: dict[str, Any], scale: float) -> None:
    """Each published figure beside the hub's; at another scale, the figure the generator
    scaled (rounded as it rounds)."""
    if scale == 1:
        print("\nthe seeds' published figures, and the hub's:")
    else:
        print(f"\nthe seeds' published figures × {scale:g} (as generated), and the hub's:")
    period, figures = published["missing-children"]
    answer = projections.answer(
        store, "missing-children", projections.parse_period(period), suppress=False
    )
    for name, figure in figures.items():
        value = round(figure * scale)
        got = answer["figures"][name]["value"]
        print(f"  children missing {period} {name:20} published {value:5}  hub {got:5}"
              f"  {'same' if got == value else 'DIFFERENT'}")  # fmt: skip
    for year, figures in published["cse-cases"].items():
        answer = projections.answer(
            store, "cse-cases", projections.parse_period(year), suppress=False
        )
        got = answer["figures"]["total"]["value"]
        value = round(figures["total"] * scale)
        online = published["cse-online"].get(year, {}).get("online_element")
        online = None if online is None else round(online * scale)
        got_online = answer["figures"]["online_element"]["value"]
        line = f"  CSE cases {year}  published {value:4}  hub {got:4}"
        if online is not None:
            line += f";  online published {online:4}  hub {got_online:4}"
        same = got == value and (online is None or got_online == online)
        print(line + f"  {'same' if same else 'DIFFERENT'}")


def _serve(settings: Settings) -> subprocess.Popen[bytes]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log = (settings.data_dir / "serve.log").open("wb")
    env = {**os.environ, "HUB_DATA_DIR": str(settings.data_dir)}
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve"], stdout=log, stderr=log, env=env
    )
    deadline = time.monotonic() + 60
    while not settings.nats_url_file.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            raise ConfigurationError(
                f"hub serve did not start: see {settings.data_dir / 'serve.log'}"
            )
        time.sleep(0.2)
    return server


async def _drained(url: str, settings: Settings) -> None:
    """Until the hub's consumer has taken and acknowledged every message."""
    import nats

    hub = Identities(settings.credentials_dir).get(HUB)
    login = BusLogin(HUB, hub.seed_file if hub else None)
    client = await nats.connect(url, **login.options())
    try:
        js = client.jetstream()
        while True:
            info = await js.consumer_info(settings.stream, settings.durable)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return
            await asyncio.sleep(0.5)
    finally:
        await client.close()


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
