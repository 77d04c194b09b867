"""The composition root: the one place that builds the hub from its settings.

Everything below it (domain, service, adapters, entrypoints) takes what it needs as
parameters; only this module knows which adapter fills which port. The ``hub`` command's main
is here too, so the CLI receives the wiring instead of importing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
import os
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import projections
from hub.adapters.application import HubApplication
from hub.adapters.bus_identities import HUB, Identities
from hub.adapters.bus_login import BusLogin, tls_context
from hub.adapters.embedded_nats import EmbeddedNats, jetstream_key
from hub.adapters.feed import StoreFeed
from hub.adapters.file_modes import tighten
from hub.adapters.keyring import MasterKey
from hub.adapters.lease import WriterLease
from hub.adapters.passwords import Argon2Hasher
from hub.adapters.report_file import ReportFile
from hub.adapters.store import EventStore, ReadSideStore
from hub.config import Settings
from hub.errors import ConfigurationError, InputError, StoreInUse, StoreUnavailable
from hub.feed import FactFeed
from hub.service.accounts import Accounts
from hub.service.audit import AuditLog
from hub.service.ingest import IngestService
from hub.service.notices import ProjectionNotices
from hub.service.notifications import Notifier, Publish
from hub.service.ordered import Recorder
from hub.service.ports import Streams
from hub.service.privacy import Privacy, Retention, privacy_pseudonyms
from hub.service.reading import Reading
from hub.service.register import GivenAnswers, Register
from projections import ProjectionStore

if TYPE_CHECKING:
    from fastapi import FastAPI
    from faststream import FastStream

    from agencies import Bus
    from hub.entrypoints.web import Beside, Probes

log = logging.getLogger("hub")
_LEASE_CHECK = 10.0


def build_application(settings: Settings) -> HubApplication:
    from eventsourcing.persistence import PersistenceError

    try:
        return HubApplication(env=settings.store_env())
    except PersistenceError as error:  # the library's, raised while opening the store
        raise StoreUnavailable(
            f"the event store cannot be opened ({type(error).__name__}): check"
            " HUB_DATABASE_URL or HUB_DATA_DIR, and that the database is up"
        ) from None


def build_store(settings: Settings) -> EventStore:
    master = MasterKey(settings.master_key_file, settings.default_master_key)
    return EventStore(build_application(settings), master)


def build_feed(settings: Settings) -> FactFeed:
    return StoreFeed(build_store(settings).facts)  # the table keeps its database open


def build_projection(settings: Settings) -> ProjectionStore:
    return ProjectionStore(settings.projection_file, settings.lock_timeout)


def build_read_side(settings: Settings) -> ReadSideStore:
    return ReadSideStore(build_application(settings))


def build_accounts(settings: Settings) -> Accounts:
    return Accounts(build_read_side(settings).people, Argon2Hasher())


def build_reading(settings: Settings, *, catch_up: bool = False) -> Reading:
    """The read side for people. ``catch_up``: bring the projection up to date before each
    answer (the CLI); otherwise it is read as the projector left it (the web service)."""
    tables = build_read_side(settings)
    refresh = None
    if catch_up:
        feed = build_feed(settings)

        def refresh(projection: ProjectionStore) -> object:
            return projections.catch_up(feed, projection)

    return Reading(
        build_store(settings),
        functools.partial(build_projection, settings),
        AuditLog(tables.audit),
        Register(tables.published),
        GivenAnswers(tables.given),
        threshold=settings.disclosure_threshold,
        refresh=refresh,
    )


def build_privacy(settings: Settings) -> Privacy:
    """Erasure, subject access and retention (docs/privacy.md), the projection caught up
    before each."""
    store, feed = build_store(settings), build_feed(settings)
    return Privacy(
        store,
        build_projection(settings),
        store.keyring,
        AuditLog(build_read_side(settings).audit),
        functools.partial(privacy_pseudonyms, store),
        retention=Retention(
            looked_after_age=settings.retention_looked_after_age,
            looked_after_no_dob_years=settings.retention_looked_after_no_dob_years,
            years=settings.retention_years,
        ),
        refresh=functools.partial(projections.catch_up, feed),
    )


def build_notifier(settings: Settings, publish: Publish) -> Notifier:
    """What sends agencies their notifications (docs/notifications.md): the projection's
    notices, the store's facts and keyring for the recipients' own identifiers, and
    ``hub_notifications``, what was sent; the store's head, to read deadlines only from a
    projection caught up with it."""
    store = build_store(settings)
    return Notifier(
        build_read_side(settings).notifications,
        store,
        ProjectionNotices(
            functools.partial(build_projection, settings), StoreFeed(store.facts).head
        ),
        publish,
        within=settings.notify_within,
    )


def build_ingest(settings: Settings) -> IngestService:
    return IngestService(
        build_store(settings), settings.stream, target_deliveries=settings.target_retries + 1
    )


def build_projector(settings: Settings) -> tuple[FactFeed, ProjectionStore]:
    return build_feed(settings), build_projection(settings)


def build_recorder(settings: Settings) -> Recorder:
    """The ingest service where it runs: in the writer process, or on a thread."""
    from hub.entrypoints.writer import WriterProcess, WriterThread

    build = functools.partial(build_ingest, settings)  # picklable, for the writer process
    if settings.writer == "thread":
        return WriterThread(build)
    return WriterProcess(build, settings.log_level)


def build_lease(settings: Settings) -> WriterLease:
    return WriterLease(settings.data_dir, settings.postgres_options())


def build_identities(settings: Settings) -> Identities:
    return Identities(settings.credentials_dir)


def hub_login(settings: Settings) -> BusLogin:
    """How the hub's own connections log in: ``HUB_NATS_CREDS``, or the hub's key in the data
    folder (the embedded server's, issued at its first start)."""
    seed = settings.nats_creds
    if seed is None and (identity := build_identities(settings).get(HUB)) is not None:
        seed = identity.seed_file
    return BusLogin(HUB, seed, _client_tls(settings))


def agency_bus(settings: Settings, agency: str, creds: Path | None) -> Bus:
    """Where and as whom ``hub import`` and ``hub publish`` send an agency's events: ``--creds``,
    ``HUB_NATS_CREDS``, or, on the hub's own host (the local operator is trusted), the agency's
    key in the data folder."""
    from agencies import Bus  # nats-py, which the read-only commands need not import

    seed = creds or settings.nats_creds
    if seed is None and (identity := build_identities(settings).get(agency)) is not None:
        seed = identity.seed_file
    if seed is not None and not seed.is_file():
        given = "--creds" if creds else "HUB_NATS_CREDS"
        raise InputError(f"{given} {seed}: no such file")
    return Bus(client_nats_url(settings), seed, _client_tls(settings))


def _client_tls(settings: Settings) -> ssl.SSLContext | None:
    try:
        return tls_context(settings.nats_tls_ca, settings.nats_tls_cert, settings.nats_tls_key)
    except (OSError, ssl.SSLError) as error:
        raise ConfigurationError(
            f"HUB_NATS_TLS_*: the certificate files cannot be used ({type(error).__name__})"
        ) from None


@contextmanager
def nats_server(settings: Settings) -> Iterator[str]:
    """The NATS URL to serve on: ``HUB_NATS_URL``, or an embedded server for the duration,
    with every party authenticated (their keys under ``$HUB_DATA_DIR/credentials``)."""
    if settings.nats_url:
        yield settings.nats_url
        return
    previous = settings.jetstream_previous_key_file
    embedded = EmbeddedNats(
        settings.nats_dir,
        identities=build_identities(settings),
        sync=settings.nats_sync,
        stream=settings.stream,
        key=jetstream_key(settings.jetstream_key_path),  # its files encrypted at rest
        previous_key=jetstream_key(previous, make=False) if previous else None,
    )
    with embedded as server:
        log.info("started embedded nats-server on %s", server.url)
        yield server.url


@contextmanager
def _published_url(settings: Settings, url: str) -> Iterator[None]:
    """``nats.url`` for clients on this machine, for as long as this hub serves (the lease
    makes this hub the only one that writes or removes it)."""
    if settings.nats_url:
        yield
        return
    settings.nats_url_file.write_text(url)
    try:
        yield
    finally:
        settings.nats_url_file.unlink(missing_ok=True)


def client_nats_url(settings: Settings) -> str:
    """Where a client (``hub publish``) finds NATS: the setting, or the running ``hub serve``."""
    if settings.nats_url:
        return settings.nats_url
    if settings.nats_url_file.exists():
        return settings.nats_url_file.read_text().strip()
    raise ConfigurationError(
        "no NATS server: start `hub serve` (it starts one) or set HUB_NATS_URL"
    )


async def serve(settings: Settings) -> None:
    """Run the hub until SIGINT/SIGTERM: the lease, NATS, the consumer, its writer, the
    projector, and the notifier (``HUB_NOTIFY``). A second ``hub serve`` on the same store or
    data folder is refused."""
    # Imported here: FastStream takes a third of a second to import, which the read-only
    # commands (hub foi, hub status) need not pay.
    from hub.adapters.jetstream import declare_streams
    from hub.adapters.keeper import StreamKeeper
    from hub.adapters.notify import JetStreamPublisher
    from hub.entrypoints.consumer import Consumer
    from hub.entrypoints.projector import SupervisedProjector
    from hub.entrypoints.watch import Watch

    with build_lease(settings) as lease:
        recorder = build_recorder(settings)
        projector = SupervisedProjector(
            functools.partial(build_projector, settings),
            settings.follow_interval,
            settings.log_level,
        )
        consumer: Consumer | None = None
        try:
            with nats_server(settings) as url:
                login = hub_login(settings)  # after the embedded server issued the hub's key
                await declare_streams(url, settings, login)  # before clients are told of NATS
                consumer = Consumer(settings, recorder, url, login)
                app = consumer.app()
                log.info(
                    "hub serving: store %s, writer %s",
                    "postgresql" if settings.database_url else settings.sqlite_path,
                    settings.writer,
                )
                lease_task = asyncio.create_task(_keep_lease(lease, app))
                publisher = JetStreamPublisher(url, settings, login)
                notifier = build_notifier(settings, publisher) if settings.notify else None
                watch = Watch(
                    consumer,
                    StreamKeeper(url, settings, login),
                    projector,
                    recorder,
                    ReportFile(settings.report_file),
                    notifier,
                )
                watch_task = asyncio.create_task(watch.run())
                tasks = [lease_task, watch_task]
                if notifier is not None:
                    tasks.append(asyncio.create_task(notifier.run(settings.notify_every)))
                else:
                    log.info("notifications to agencies are off (HUB_NOTIFY)")
                web = web_beside(settings)  # starts in the background, beside the consumer
                try:
                    with _published_url(settings, url):
                        await app.run(log_level=logging.getLevelName(settings.log_level.upper()))
                finally:
                    if web is not None:
                        await _stop_web(web)
                    lost = lease_task.done() and not lease_task.cancelled() and lease_task.result()
                    for task in tasks:
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
                    with contextlib.suppress(Exception):  # closing, whatever state NATS is in
                        await asyncio.wait_for(publisher.close(), 2)
                if lost:
                    raise StoreInUse("another hub serve took this store's writer lease")
        finally:
            # One grace period for the whole stop: the writer already waited it out if it
            # gave up on a batch, so the writer's process is then stopped at once.
            gave_up = consumer is not None and consumer.writer.abandoned
            recorder.close(0.5 if gave_up else settings.shutdown_grace)
            projector.close()


async def _keep_lease(lease: WriterLease, app: FastStream) -> bool:
    """Stop serving, and say so (True), if another writer took the store's lease."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(_LEASE_CHECK)
        if not await loop.run_in_executor(None, lease.check):
            log.error("another hub serve took this store's writer lease: stopping")
            app.exit()
            return True


def build_web(settings: Settings) -> FastAPI:
    """The web service's app (docs/web.md): the read side's services on a few threads, the
    cookie-signing secret, and sign-in through the council's provider when configured."""
    from hub.entrypoints import web

    oidc = None
    issuer, client, secret_file = (
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_client_secret_file,
    )
    if web.configured(issuer, client, secret_file):
        assert issuer and client and secret_file
        oidc = web.Oidc(issuer, client, secret_file)
    services = web.Services(
        accounts=build_accounts(settings),
        reading=build_reading(settings),  # read as the projector leaves it; never catching up
        probes=build_probes(settings),
    )
    secret = web.session_secret(settings.web_secret_path)
    return web.create_app(services, settings, secret=secret, oidc=oidc)


def build_probes(settings: Settings) -> Probes:
    """What ``/metrics`` and ``/healthz`` read: the store's counts, the projection's head, and
    the running ``hub serve``'s report."""
    import threading
    import time

    from hub.adapters.report_file import running
    from hub.entrypoints.web import Probes
    from hub.service import health

    store = build_store(settings)
    report_file = ReportFile(settings.report_file)
    opened: list[ProjectionStore] = []
    lock = threading.Lock()

    def ingest() -> dict[str, int]:
        return {
            "stored": store.facts.count(),
            "rejected": store.rejections.count(),
            "position": store.facts.position(),
        }

    def projected() -> int:
        with lock:  # one connection, opened when first asked, shared by the scrapes
            if not opened:
                opened.append(build_projection(settings))
            return opened[0].head()[0]

    def serving() -> health.Report | None:
        report = report_file.read()
        return report if report is not None and running(report.pid) else None

    def problems() -> list[str]:
        report = report_file.read()
        return health.problems(report, report is not None and running(report.pid), time.time())

    return Probes(ingest=ingest, projected=projected, serving=serving, health=problems)


def web_beside(settings: Settings) -> asyncio.Task[Beside] | None:
    """``hub serve``'s web service, starting in the background (None when ``HUB_WEB_ADDR`` is
    ``off``). Even its modules are imported on a thread: they take most of a second, during
    which the consumer would not yet have taken over SIGTERM."""

    async def start() -> Beside:
        web = await asyncio.to_thread(importlib.import_module, "hub.entrypoints.web")
        host, port = settings.web_host_port
        beside: Beside = web.Beside(
            functools.partial(build_web, settings), host, port, settings.web_url_file
        )
        return beside

    return None if settings.web_addr == "off" else asyncio.create_task(start())


async def _stop_web(starting: asyncio.Task[Beside]) -> None:
    if not starting.done():
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        return
    await starting.result().close()


async def serve_web(settings: Settings) -> None:
    """``hub web``: the read side alone, until SIGTERM or SIGINT. While no ``hub serve`` runs
    (its projector keeps the projection caught up), it catches the projection up itself."""
    from hub.adapters.report_file import running
    from hub.entrypoints import web

    if settings.web_addr == "off":
        raise ConfigurationError("HUB_WEB_ADDR is off: give hub web an address (host:port)")
    stopping = web.stop_requested()
    host, port = settings.web_host_port
    server = web.WebServer(await asyncio.to_thread(build_web, settings), host, port)
    url = await server.start()
    log.info("web service on %s", url)
    feed, projection = build_projector(settings)
    report_file = ReportFile(settings.report_file)

    def serving() -> bool:
        report = report_file.read()
        return report is not None and running(report.pid)

    follower = asyncio.create_task(
        web.keep_caught_up(lambda: projections.catch_up(feed, projection), serving)
    )
    try:
        with web.published_url(settings.web_url_file, url):
            await server.until(stopping)
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
        await server.close()


def main(argv: Sequence[str] | None = None) -> int:
    """The ``hub`` command."""
    os.umask(0o077)  # before anything is written: the hub's files are its owner's alone
    from hub.entrypoints import cli

    return cli.main(argv, Wiring)


class Wiring:
    """What the CLI's commands are given: builders bound to one set of settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # A data folder made before the umask: no file in it readable by others from now on.
        tighten(settings.data_dir, settings.projection_file, settings.ledger_file)

    def store(self) -> EventStore:
        return build_store(self.settings)

    def lease(self) -> WriterLease:
        """The store's writer lease: held, no hub serve writes (StoreInUse if one does)."""
        return build_lease(self.settings)

    def feed(self) -> FactFeed:
        return build_feed(self.settings)

    def projection(self) -> ProjectionStore:
        return build_projection(self.settings)

    def nats_url(self) -> str:
        return client_nats_url(self.settings)

    def bus(self, agency: str, creds: Path | None) -> Bus:
        return agency_bus(self.settings, agency, creds)

    def identities(self) -> Identities:
        return build_identities(self.settings)

    def accounts(self) -> Accounts:
        return build_accounts(self.settings)

    def reading(self) -> Reading:
        return build_reading(self.settings, catch_up=True)

    def privacy(self) -> Privacy:
        return build_privacy(self.settings)

    def notifications(self) -> Streams[Any]:
        """``hub_notifications``: what the hub told each agency."""
        return build_read_side(self.settings).notifications

    async def serve(self) -> None:
        await serve(self.settings)

    async def web(self) -> None:
        await serve_web(self.settings)

    def with_settings(self, settings: Settings) -> Wiring:
        return Wiring(settings)
