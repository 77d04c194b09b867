"""The composition root: the one place that builds the hub from its settings.

Everything below it (domain, service, adapters, entrypoints) takes what it needs as
parameters; only this module knows which adapter fills which port. The ``hub`` command's main
is here too, so the CLI receives the wiring instead of importing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from hub.adapters.application import HubApplication
from hub.adapters.bus_identities import HUB, Identities
from hub.adapters.bus_login import BusLogin, tls_context
from hub.adapters.embedded_nats import EmbeddedNats
from hub.adapters.feed import StoreFeed
from hub.adapters.lease import WriterLease
from hub.adapters.report_file import ReportFile
from hub.adapters.store import EventStore
from hub.config import Settings
from hub.errors import ConfigurationError, InputError, StoreInUse, StoreUnavailable
from hub.feed import FactFeed
from hub.service.ingest import IngestService
from hub.service.ordered import Recorder
from projections import ProjectionStore

if TYPE_CHECKING:
    from faststream import FastStream

    from agencies import Bus

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
    return EventStore(build_application(settings))


def build_feed(settings: Settings) -> FactFeed:
    return StoreFeed(build_store(settings).facts)  # the table keeps its database open


def build_projection(settings: Settings) -> ProjectionStore:
    return ProjectionStore(settings.projection_file, settings.lock_timeout)


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
    embedded = EmbeddedNats(
        settings.nats_dir,
        identities=build_identities(settings),
        sync=settings.nats_sync,
        stream=settings.stream,
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
    """Run the hub until SIGINT/SIGTERM: the lease, NATS, the consumer, its writer, and the
    projector. A second ``hub serve`` on the same store or data folder is refused."""
    # Imported here: FastStream takes a third of a second to import, which the read-only
    # commands (hub foi, hub status) need not pay.
    from hub.adapters.jetstream import declare_streams
    from hub.adapters.keeper import StreamKeeper
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
                watch = Watch(
                    consumer,
                    StreamKeeper(url, settings, login),
                    projector,
                    recorder,
                    ReportFile(settings.report_file),
                )
                watch_task = asyncio.create_task(watch.run())
                try:
                    with _published_url(settings, url):
                        await app.run(log_level=logging.getLevelName(settings.log_level.upper()))
                finally:
                    lost = lease_task.done() and not lease_task.cancelled() and lease_task.result()
                    for task in (lease_task, watch_task):
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
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


def main(argv: Sequence[str] | None = None) -> int:
    """The ``hub`` command."""
    from hub.entrypoints import cli

    return cli.main(argv, Wiring)


class Wiring:
    """What the CLI's commands are given: builders bound to one set of settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def store(self) -> EventStore:
        return build_store(self.settings)

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

    async def serve(self) -> None:
        await serve(self.settings)

    def with_settings(self, settings: Settings) -> Wiring:
        return Wiring(settings)
