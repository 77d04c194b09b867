"""The fault-injection harness: a real ``hub serve`` (a subprocess, configured by environment)
against a nats-server the test owns and a real store, a seeded mix of events, the helpers that
find each fault's target, and ``settle_and_check``, the one check every case ends with.

Targets are found from outside, as an operator would find them:

- NATS: the nats-server this harness started (``NatsServer``), killed or stopped by its pid
  and restarted on the same port and JetStream folder;
- the writer and the projector: ``hub serve``'s children in /proc (by their parent pid). Both
  are ``multiprocessing`` spawn children (``spawn_main`` in the command line; the resource
  tracker is not). They are told apart by the files they hold open, not by spawn order (a
  restarted writer or projector comes later): the projector holds the projection database
  (``projections.sqlite``) open, the writer holds the store (``hub.sqlite``) and not the
  projection. A role with other than one candidate is an error, never a guess;
- PostgreSQL: the backends whose client port is a TCP socket held by ``hub serve`` or one of
  its descendants (their /proc fds, matched against /proc/net/tcp), so the test's own
  connections are never among them whatever the hub names its connections. The hub's processes
  also get ``PGAPPNAME`` so the killed backends read as the hub's in pg_stat_activity.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import signal
import subprocess
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import nats
import orjson
import psycopg

import contracts
from agencies._outgoing import Outgoing
from agencies.publisher import msg_id as msg_id_for
from contracts.examples import example_event, nhs_number
from hub.adapters.bus_identities import Identities
from hub.adapters.embedded_nats import EmbeddedNats, free_port
from hub.config import Settings
from hub.domain import privacy
from tests.e2e.conftest import HubCommand
from tests.support import POSTGRES_URL, Store, hub_env, login, register_bus

# Read at import: the suite's autouse fixture hides every HUB_* variable while a test runs.
BASE_SEED = int(os.environ.get("HUB_FAULT_SEED", "2026"))
ACK_WAIT = 2.0
STOP_MARGIN = 10.0  # a stop may take the grace period and this much more
STREAM = "SAFEGUARDING"
DURABLE = "hub"
STATUS_KEYS = ("stored", "rejected", "position", "projected", "problems", "serving")
VALID_TYPES = (
    "missing.reported",
    "missing.found",
    "police.safe_and_well_check",
    "health.concern_raised",
    "education.concern_raised",
)
T = TypeVar("T")


def case_seed(case: str) -> int:
    """A seed per case, from the base seed (``HUB_FAULT_SEED``) and the case's name."""
    return BASE_SEED * 1_000_003 + zlib.crc32(case.encode())


# -- figures ---------------------------------------------------------------------------------


@dataclass
class Figures:
    """What one case did and measured: printed in the summary, one JSON line in the report."""

    case: str
    seed: int = 0
    result: str = "?"
    valid: int = 0
    invalid: int = 0
    duplicates: int = 0
    fault_s: float | None = None  # how long the fault lasted
    recover_s: float | None = None  # from the fault's end to everything stored
    stop_s: list[float] = field(default_factory=list)  # each SIGTERM to exit
    stored_at_fault: list[int] = field(default_factory=list)
    case_s: float | None = None
    status_during: dict[str, Any] | None = None
    status_after: dict[str, Any] | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def json(self) -> bytes:
        return orjson.dumps(asdict(self))


# -- events ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    subject: str
    body: bytes
    msg_id: str


@dataclass
class Mix:
    """Events in publishing order: valid ones, invalid ones, and re-sends of valid ones."""

    messages: list[Message]
    valid_ids: list[str]
    invalid_bodies: list[bytes]
    duplicates: int

    def part(self, start: float, end: float) -> list[Message]:
        """The messages from fraction ``start`` to ``end`` of the order."""
        n = len(self.messages)
        return self.messages[round(start * n) : round(end * n)]

    def valid_in(self, messages: Sequence[Message]) -> int:
        """How many distinct valid events these messages carry."""
        ids = set(self.valid_ids)
        return len({_event_id(m.body) for m in messages} & ids)

    def invalid_in(self, messages: Sequence[Message]) -> int:
        bodies = set(self.invalid_bodies)
        return sum(m.body in bodies for m in messages)

    def settled(self, store: Store, messages: Sequence[Message]) -> bool:
        """Whether the store holds what these messages (all of those published) add up to."""
        status = store.status()
        return (status["stored"], status["rejected"]) == (
            self.valid_in(messages),
            self.invalid_in(messages),
        )


def _event_id(body: bytes) -> str | None:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return value.get("event_id") if isinstance(value, dict) else None


def make_mix(rng: random.Random, valid: int, invalid: int = 20, duplicates: int = 40) -> Mix:
    """``valid`` events of a few types over a few thousand children; ``invalid`` refused ones
    (half break the contract, half are not JSON); ``duplicates`` re-sends of valid events, each
    after its original: half with the same Nats-Msg-Id (the server may drop them), half with
    another (they reach the hub, which must store nothing twice)."""
    messages: list[Message] = []
    valid_ids: list[str] = []
    for _ in range(valid):
        event = example_event(
            rng.choice(VALID_TYPES),
            event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            child={"ids": {"nhs_number": nhs_number(rng.randrange(3000))}},
        )
        valid_ids.append(event["event_id"])
        messages.append(_message(event))
    invalid_bodies: list[bytes] = []
    for i in range(invalid):
        if i % 2:
            body = f"not json #{i} {rng.getrandbits(64):x}".encode()
            message = Message(
                contracts.subject_for("police", "missing.reported"),
                body,
                hashlib.sha256(body).hexdigest(),
            )
        else:
            broken = example_event(
                "missing.reported", event_id=uuid.UUID(int=rng.getrandbits(128), version=4)
            )
            broken["payload"]["risk"] = "purple"  # not one of the contract's risk levels
            message = _message(broken)
        invalid_bodies.append(message.body)
        messages.insert(rng.randrange(len(messages) + 1), message)
    for i in range(duplicates):
        at = rng.randrange(len(messages))
        original = messages[at]
        while original.body in invalid_bodies:
            at = rng.randrange(len(messages))
            original = messages[at]
        again = original.msg_id if i % 2 else f"{original.msg_id}:again"
        resend = Message(original.subject, original.body, again)
        messages.insert(rng.randrange(at + 1, len(messages) + 1), resend)
    return Mix(messages, valid_ids, invalid_bodies, duplicates)


def _message(event: dict[str, Any]) -> Message:
    subject = contracts.subject_for(event["source"]["agency"], event["event_type"])
    body = orjson.dumps(event)
    return Message(subject, body, msg_id_for(Outgoing(subject, event["event_id"], body)))


# -- NATS ------------------------------------------------------------------------------------


class NatsServer:
    """A nats-server the test owns, restartable on the same port and JetStream folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.server: EmbeddedNats | None = None

    def start(self) -> None:
        # With the hub's configuration: the hub and each agency log in with their own keys.
        identities = Identities(self.folder.parent / "credentials")
        self.server = EmbeddedNats(self.folder, self.port, identities=identities)
        self.server.start()
        register_bus(self.url, identities)

    @property
    def pid(self) -> int:
        assert self.server is not None and self.server.process is not None
        return self.server.process.pid

    def kill(self) -> None:
        """kill -9: no goodbye to the clients, JetStream files as they were."""
        assert self.server is not None and self.server.process is not None
        self.server.process.kill()
        self.server.process.wait()

    def terminate(self) -> None:
        """SIGTERM: the server's own orderly shutdown."""
        assert self.server is not None
        self.server.stop()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


async def _quiet(error: Exception) -> None:
    """nats-py logs every failed reconnect attempt; the publisher counts them instead."""


class Publisher:
    """One agency-side connection that publishes each message until the server acknowledges
    it (the same Nats-Msg-Id every try, so a retry is never a second copy), waiting out
    outages. It counts the failures it met, and when publishing worked again after them."""

    def __init__(self, url: str, give_up_after: float = 300.0) -> None:
        self.url = url
        self.give_up_after = give_up_after
        self.clients: dict[str, Any] = {}
        self.sent = 0
        self.failures: Counter[str] = Counter()
        self.first_failure: float | None = None
        self.back_at: float | None = None  # the first acknowledgement after a failure

    async def __aenter__(self) -> Publisher:
        # Each agency logs in as itself: the server refuses another's subjects.
        self.clients = {
            agency: await nats.connect(
                self.url,
                connect_timeout=2,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                error_cb=_quiet,
                **login(self.url, agency),
            )
            for agency in contracts.AGENCIES
        }
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self.clients.values():
            await client.close()

    async def send(self, messages: Sequence[Message], pause: float = 0.0) -> None:
        """One at a time, ``pause`` seconds apart."""
        for message in messages:
            await self.send_one(message)
            if pause:
                await asyncio.sleep(pause)

    async def burst(self, messages: Sequence[Message], width: int = 200) -> None:
        """Many acknowledgements in flight, ``width`` at a time."""
        for start in range(0, len(messages), width):
            await asyncio.gather(*(self.send_one(m) for m in messages[start : start + width]))

    async def send_one(self, message: Message) -> None:
        deadline = time.monotonic() + self.give_up_after
        while True:
            assert time.monotonic() < deadline, f"no ack for {self.give_up_after:.0f}s"
            client = self.clients[message.subject.split(".")[2]]
            if not client.is_connected:  # nothing buffered while NATS is away
                await asyncio.sleep(0.05)
                continue
            try:
                await client.jetstream(timeout=2).publish(
                    message.subject, message.body, headers={"Nats-Msg-Id": message.msg_id}
                )
            except (TimeoutError, nats.errors.Error) as error:
                self.failures[type(error).__name__] += 1
                self.first_failure = self.first_failure or time.monotonic()
                self.back_at = None
                await asyncio.sleep(0.1)
                continue
            if self.first_failure is not None and self.back_at is None:
                self.back_at = time.monotonic()
            self.sent += 1
            return


async def consumer_exists(url: str) -> bool:
    client = await nats.connect(
        url, connect_timeout=2, max_reconnect_attempts=0, error_cb=_quiet, **login(url)
    )
    try:
        await client.jetstream(timeout=2).consumer_info(STREAM, DURABLE)
        return True
    except (TimeoutError, nats.errors.Error):
        return False
    finally:
        await client.close()


async def delete_stream(url: str) -> bool:
    client = await nats.connect(url, connect_timeout=2, **login(url))
    try:
        return bool(await client.jetstream(timeout=5).delete_stream(STREAM))
    finally:
        await client.close()


# -- processes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    cmdline: str
    files: frozenset[str]  # what its descriptors point at: paths, socket:[inode], pipe:[...]

    @property
    def spawned(self) -> bool:
        """A multiprocessing spawn child (the writer, the projector), not the tracker."""
        return "multiprocessing" in self.cmdline and "spawn_main" in self.cmdline


def _ppids() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid``, from /proc's parent pids."""
    parents = _ppids()
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def read_proc(pid: int) -> Proc | None:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        files: set[str] = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                files.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    except OSError:
        return None
    return Proc(pid, cmdline.strip(), frozenset(files))


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def tcp_client_ports(pids: Sequence[int], server_port: int) -> set[int]:
    """The local ports of the TCP connections to ``server_port`` that these processes hold."""
    inodes: set[int] = set()
    for pid in pids:
        proc = read_proc(pid)
        for target in proc.files if proc else ():
            if target.startswith("socket:["):
                inodes.add(int(target[len("socket:[") : -1]))
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], int(fields[9])
                if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == server_port:
                    ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def terminate_backends(client_ports: set[int]) -> list[tuple[int, str, str]]:
    """End the PostgreSQL backends serving these client ports: (pid, application, state)."""
    with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as connection:
        rows = connection.execute(
            "SELECT pid, application_name, coalesce(state, ''), pg_terminate_backend(pid)"
            " FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            " AND datname = current_database() AND client_port = ANY(%s)",
            (sorted(client_ports),),
        ).fetchall()
    return [(int(pid), str(app), str(state)) for pid, app, state, _ in rows]


# -- the hub ---------------------------------------------------------------------------------


class Hub:
    """``hub serve`` as an operator runs it on an external NATS, restartable, and what it
    left in its store and its log."""

    def __init__(self, tmp_path: Path, nats_url: str, **env: str) -> None:
        self.data_dir = tmp_path / "hub"
        self.log = tmp_path / "serve.log"
        self.nats_url = nats_url
        self.command = HubCommand(
            self.data_dir,
            **hub_env(nats_url),
            HUB_ACK_WAIT=str(ACK_WAIT),
            HUB_LOG_LEVEL="INFO",
            **env,
        )
        self.settings = Settings(data_dir=self.data_dir, database_url=env.get("HUB_DATABASE_URL"))
        self.grace = float(self.command.env.get("HUB_SHUTDOWN_GRACE", "15"))
        self.process: subprocess.Popen[bytes] | None = None
        self._store: Store | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings)
        return self._store

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    async def start(self, timeout: float = 60.0) -> None:
        """Start ``hub serve`` and return once it serves (its log says so, and its durable
        consumer is on the stream)."""
        served = self.log_text().count("hub serving:")
        self.process = self.command.serve(self.log)
        deadline = time.monotonic() + timeout
        while not (
            self.log_text().count("hub serving:") > served and await consumer_exists(self.nats_url)
        ):
            assert self.process.poll() is None, f"hub serve exited at start:\n{self.log_tail()}"
            assert time.monotonic() < deadline, f"hub serve did not start:\n{self.log_tail()}"
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def exited_unasked(self) -> str:
        """Why hub serve is not running when it should be, or "" while it runs."""
        if self.process is None or self.process.poll() is None:
            return ""
        return (
            f"hub serve (pid {self.pid}) exited with {self.process.returncode} without this test"
            " stopping it (a signal from another process on this machine, such as a"
            " `pkill -f 'hub serve'`, if its log ends in an orderly shutdown)"
        )

    async def stop(self) -> float:
        """SIGTERM; it must exit 0 within the grace period and a margin. The seconds taken."""
        assert self.process is not None
        assert not self.exited_unasked(), f"{self.exited_unasked()}\n{self.log_tail()}"
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        limit = self.grace + STOP_MARGIN
        try:
            code = await asyncio.to_thread(self.process.wait, limit)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"hub serve did not stop within {limit:.0f}s of SIGTERM:\n{self.log_tail()}"
            ) from None
        took = time.monotonic() - started
        assert code == 0, f"hub serve exited {code} on SIGTERM:\n{self.log_tail()}"
        return took

    async def status(self) -> dict[str, Any]:
        """``hub status --format json``, trimmed to the keys that matter (or what went wrong)."""
        result = await asyncio.to_thread(self.command.run, "status", "--format", "json")
        if result.returncode != 0:
            return {"exit": result.returncode, "stderr": result.stderr.strip()[-300:]}
        return trimmed(orjson.loads(result.stdout))

    async def check(self) -> tuple[int, str]:
        """``hub status --check``: its exit code and what it printed."""
        result = await asyncio.to_thread(self.command.run, "status", "--check")
        return result.returncode, (result.stdout + result.stderr).strip()

    def tree(self) -> list[int]:
        return [self.pid, *descendants(self.pid)]

    def roles(self) -> dict[str, list[Proc]]:
        """``hub serve``'s spawn children by role, told apart by the files they hold open."""
        store = str(self.settings.sqlite_path.resolve())
        projection = str(self.settings.projection_file.resolve())
        roles: dict[str, list[Proc]] = {"writer": [], "projector": []}
        for pid in descendants(self.pid):
            proc = read_proc(pid)
            if proc is None or not proc.spawned:
                continue
            if projection in proc.files:
                roles["projector"].append(proc)
            elif store in proc.files:
                roles["writer"].append(proc)
        return roles

    async def role(self, name: str, timeout: float = 30.0, other_than: int = 0) -> Proc:
        """The one process in that role (not ``other_than``), once there is exactly one."""
        deadline = time.monotonic() + timeout
        while True:
            found = [p for p in self.roles()[name] if p.pid != other_than and alive(p.pid)]
            if len(found) == 1:
                return found[0]
            assert time.monotonic() < deadline, (
                f"not exactly one {name} among hub serve's children: {found}\n"
                f"children: {[read_proc(pid) for pid in descendants(self.pid)]}"
            )
            await asyncio.sleep(0.1)

    def restarts_logged(self, what: str) -> list[str]:
        return [
            line
            for line in self.log_text().splitlines()
            if what in line.lower() and "restart" in line.lower()
        ]


def trimmed(status: dict[str, Any]) -> dict[str, Any]:
    """The keys that matter, problems before the serving report, and the report without its
    clock readings (its ``*_since`` times become ages in seconds)."""
    kept = {key: status[key] for key in STATUS_KEYS if key in status}
    serving = kept.pop("serving", None)
    if isinstance(serving, dict):
        now = serving.get("updated_at") or time.time()

        def trim(report: dict[str, Any]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key, value in report.items():
                if key == "pid" or key.endswith("_at"):
                    continue
                if key.endswith("_since") and isinstance(value, int | float):
                    value = round(now - value, 1)
                out[key] = trim(value) if isinstance(value, dict) else value
            return out

        serving = trim(serving)
    if "serving" in status:
        kept["serving"] = serving
    return kept


# -- the check every case ends with ----------------------------------------------------------


async def poll(check: Callable[[], Awaitable[T]], timeout: float, every: float = 0.5) -> T:
    """Await ``check()`` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not met within {timeout:.0f}s (last: {value!r})")
        await asyncio.sleep(every)


def _difference(name: str, expected: Sequence[Any], found: Sequence[Any]) -> str:
    counts = Counter(found)
    missing = set(expected) - set(counts)
    twice = [item for item, n in counts.items() if n > 1]
    unexpected = set(counts) - set(expected)
    return (
        f"{name}: {len(expected)} expected, {len(found)} found: {len(missing)} missing,"
        f" {len(twice)} more than once, {len(unexpected)} unexpected"
        f" (e.g. {sorted(map(str, missing))[:2]} {sorted(map(str, twice))[:2]})"
    )


async def settle_and_check(
    hub: Hub, mix: Mix, figures: Figures, fault_end: float, timeout: float = 90.0
) -> dict[str, Any]:
    """The four checks of every case, once its fault is over and everything is published:

    1. every valid event stored exactly once (the store's fact ids are the events' ids);
    2. every invalid one recorded as a reject exactly once (the rejects' raw bodies);
    3. the projection caught up (``projected == position`` in ``hub status``);
    4. ``hub serve`` stops cleanly when asked (SIGTERM: exit 0 within grace + margin).

    Records the recovery time (from ``fault_end`` to all stored), the status after recovery
    and the stop time in ``figures``; returns the status.
    """
    store = hub.store
    valid, invalid = len(mix.valid_ids), len(mix.invalid_bodies)

    async def all_in() -> bool:
        status = store.status()
        return status["stored"] >= valid and status["rejected"] >= invalid

    try:
        await poll(all_in, timeout, every=0.05)
    except AssertionError:
        raise AssertionError(
            f"not all stored within {timeout:.0f}s: {store.status()} of {valid} valid and"
            f" {invalid} invalid. {hub.exited_unasked()}\n{hub.log_tail()}"
        ) from None
    figures.recover_s = round(time.monotonic() - fault_end, 2)
    await asyncio.sleep(ACK_WAIT + 1.0)  # past ack_wait: a redelivery would be in by now

    stored = [str(fact.originator_id) for fact in store.facts()]
    assert sorted(stored) == sorted(mix.valid_ids), _difference("facts", mix.valid_ids, stored)
    keyring = store.store.keyring
    rejected = [privacy.original_message(r, keyring) for r in store.store.rejections.all()]
    assert sorted(rejected) == sorted(mix.invalid_bodies), _difference(
        "rejects", mix.invalid_bodies, rejected
    )

    async def caught_up() -> dict[str, Any] | None:
        status = await hub.status()
        return status if status.get("projected") == status.get("position") else None

    try:
        figures.status_after = await poll(caught_up, 60.0)
    except AssertionError:
        raise AssertionError(
            f"the projection did not catch up: {await hub.status()}\n{hub.log_tail()}"
        ) from None
    assert figures.status_after["position"] >= valid

    async def flowing() -> tuple[int, str] | None:
        code, said = await hub.check()
        return (code, said) if code == 0 else None

    try:  # the report lags the store by up to its interval (2 s)
        code, said = await poll(flowing, 15.0)
    except AssertionError:
        raise AssertionError(f"hub status --check after recovery: {await hub.check()}") from None
    figures.notes["check_after"] = [code, said.splitlines()[-1] if said else ""]

    figures.stop_s.append(round(await hub.stop(), 2))
    figures.notes["log_errors"] = sum(
        " ERROR " in line or "Traceback" in line for line in hub.log_text().splitlines()
    )
    return figures.status_after


def record_mix(figures: Figures, mix: Mix) -> None:
    figures.valid = len(mix.valid_ids)
    figures.invalid = len(mix.invalid_bodies)
    figures.duplicates = mix.duplicates


@contextlib.contextmanager
def timed(figures: Figures) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        figures.case_s = round(time.monotonic() - started, 1)
