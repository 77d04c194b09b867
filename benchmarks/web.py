"""Web benchmark: answer times through the JSON API at city scale, 20 users at once, beside the
same answers asked in-process (no HTTP) in the same run.

    python benchmarks/web.py --dir /tmp/web-bench                 # build (first run), measure
    python benchmarks/web.py --dir /tmp/web-bench --users 20 --requests 40

The city is the forum benchmark's (benchmarks/forum.py: 4,000 children, 3,500 episodes a
year over 12 years, about 180,000 facts, the size of ``hub demo``'s), written into the store
and projected. ``hub web`` then serves it in its own process on a free loopback port; each
user is an analyst with an API token, sending requests one after another over one
``httpx.AsyncClient``: a seeded mix of FOI answers (every statistic, financial and calendar
years and months, some --as-of), forum packs and twelve-month trends. Every request is
audited, as in production. The baseline asks the same mix, one at a time, through
``hub.service.reading.Reading`` in this process: the answer and its audit, without HTTP,
sessions or JSON over the wire.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from foi import EPISODE_EVENTS, project
from forum import build

from hub.adapters.embedded_nats import free_port
from hub.adapters.passwords import Argon2Hasher
from hub.bootstrap import build_read_side, build_reading
from hub.config import Settings
from hub.domain.people import User
from hub.service.accounts import Accounts
from projections import STATISTICS

Request = tuple[str, str, dict[str, Any]]  # (route, path, query)
ROUTES = ("/api/v1/foi/{statistic}", "/api/v1/forum/{month}", "/api/v1/trends")


def workload(rng: random.Random, n: int, first: int, last: int) -> list[Request]:
    """``n`` requests: 70% FOI answers, 15% forum packs, 15% trends."""
    names = list(STATISTICS)
    mix: list[Request] = []
    for _ in range(n):
        year = rng.randint(first, last - 1)
        month = f"{year}-{rng.randint(1, 12):02d}"
        draw = rng.random()
        if draw < 0.70:
            period = rng.choice([f"{year}/{(year + 1) % 100:02d}", str(year), month])
            query: dict[str, Any] = {"period": period}
            if rng.random() < 0.2:
                query["as_of"] = f"{year + 1}-06-30"
            statistic = rng.choice(names)
            mix.append((ROUTES[0], f"/api/v1/foi/{statistic}", query))
        elif draw < 0.85:
            mix.append((ROUTES[1], f"/api/v1/forum/{month}", {}))
        else:
            start = f"{year - 1}-{month[5:]}"
            mix.append((ROUTES[2], "/api/v1/trends", {"from": start, "to": month}))
    return mix


def in_process(settings: Settings, user: User) -> Callable[[Request], object]:
    reading = build_reading(settings)

    def ask(request: Request) -> object:
        route, path, query = request
        if route == ROUTES[0]:
            return reading.foi(
                user, path.rsplit("/", 1)[1], query["period"], as_of=query.get("as_of")
            )
        if route == ROUTES[1]:
            return reading.forum(user, path.rsplit("/", 1)[1])
        return reading.trends(user, query["from"], query["to"])

    return ask


async def through_http(
    url: str, tokens: list[str], plans: list[list[Request]]
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {route: [] for route in ROUTES}
    failed: list[str] = []

    async def user(token: str, plan: list[Request]) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
            for route, path, query in plan:
                started = time.perf_counter()
                response = await client.get(path, params=query)
                took = time.perf_counter() - started
                if response.status_code != 200:
                    failed.append(f"{response.status_code} {path} {response.text[:200]}")
                times[route].append(took)

    await asyncio.gather(*(user(t, p) for t, p in zip(tokens, plans, strict=True)))
    assert not failed, failed[:5]
    return times


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/web-bench"))
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=40, help="per user")
    parser.add_argument("--children", type=int, default=4000)
    parser.add_argument("--episodes-per-year", type=int, default=3500)
    parser.add_argument("--years", type=int, default=12)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    settings = Settings(data_dir=args.dir, web_addr=f"127.0.0.1:{free_port()}")
    if not settings.sqlite_path.exists():
        print(
            f"building: {args.children:,} children, {args.episodes_per_year:,} episodes a year,"
            f" {args.years} years (about"
            f" {int(args.episodes_per_year * args.years * EPISODE_EVENTS):,} facts)"
        )
        build(settings, args.children, args.episodes_per_year, args.years)
    project(settings)

    accounts = Accounts(
        build_read_side(settings).people,
        Argon2Hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)),
    )
    run = f"{time.time():.0f}"
    names = [f"bench-{run}-{n}" for n in range(args.users)]
    tokens = []
    for name in names:
        accounts.add(name, "analyst")
        tokens.append(accounts.issue_token(name))
    rng = random.Random(args.seed)
    first, last = 2011, 2010 + args.years
    plans = [workload(rng, args.requests, first, last) for _ in names]

    env = {
        **os.environ,
        "HUB_DATA_DIR": str(settings.data_dir),
        "HUB_WEB_ADDR": settings.web_addr,
        "HUB_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen([sys.executable, "-m", "hub", "web"], env=env)
    try:
        url_file = settings.web_url_file
        deadline = time.monotonic() + 60
        while not url_file.exists():
            assert time.monotonic() < deadline and server.poll() is None, "hub web did not start"
            time.sleep(0.1)
        url = url_file.read_text().strip()
        # One pass first, so the projection's pages are in the cache for both runs alike.
        asyncio.run(through_http(url, tokens[:1], [plans[0]]))
        started = time.perf_counter()
        http = asyncio.run(through_http(url, tokens, plans))
        wall = time.perf_counter() - started
        # The same requests again from one user, one at a time: HTTP's own cost per request.
        alone = asyncio.run(through_http(url, tokens[:1], [[r for p in plans for r in p]]))
    finally:
        server.terminate()
        server.wait(30)

    ask = in_process(settings, User(names[0], "analyst"))
    baseline: dict[str, list[float]] = {route: [] for route in ROUTES}
    started = time.perf_counter()
    for plan in plans:
        for request in plan:
            t = time.perf_counter()
            ask(request)
            baseline[request[0]].append(time.perf_counter() - t)
    base_wall = time.perf_counter() - started

    total = sum(len(p) for p in plans)
    print(
        f"\n{total} requests ({os.cpu_count()} cores): {args.users} users at once through HTTP"
        f" in {wall:.1f} s ({total / wall:.0f}/s); one at a time in-process (the baseline) in"
        f" {base_wall:.1f} s ({total / base_wall:.0f}/s)\n"
    )
    head = ("route", "n", f"{args.users} users", "", "1 user", "", "in-process", "", "1 user /")
    print("{:26} {:>4} {:>10} {:>8} {:>9} {:>8} {:>10} {:>8}  {}".format(*head))
    print(
        "{:26} {:>4} {:>10} {:>8} {:>9} {:>8} {:>10} {:>8}  {}".format(
            "", "", "median", "p99", "median", "p99", "median", "p99", "in-process"
        )
    )
    for route in ROUTES:
        h, one, b = http[route], alone[route], baseline[route]
        if not h:
            continue
        row = [_ms(x, q) for x in (h, one, b) for q in (0.5, 0.99)]
        print(
            f"{route:26} {len(h):4} {row[0]:8.1f}ms {row[1]:6.0f}ms {row[2]:7.1f}ms"
            f" {row[3]:6.0f}ms {row[4]:8.1f}ms {row[5]:6.0f}ms  {row[2] / row[4]:.2f}x median,"
            f" {row[3] / row[5]:.2f}x p99"
        )
    print(
        f"\n{args.users} users: each request's own time, queueing included (no pause between a"
        " user's requests, so the service is saturated: time is about users / throughput)."
        "\n1 user and in-process: the same requests one at a time, over HTTP and without it."
    )


if __name__ == "__main__":
    main()
