"""The composition root: the one place that builds the hub from its settings."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from hub.adapters.embedded_nats import EmbeddedNats
from hub.config import Settings
from hub.errors import ConfigurationError
from hub.service.application import HubApplication
from hub.service.follower import Follower
from hub.service.ingest import IngestService
from hub.service.recorders import ProcessRecorder, Recorder, ThreadRecorder

if TYPE_CHECKING:
    from projections import ProjectionStore

log = logging.getLogger("hub")


def build_application(settings: Settings) -> HubApplication:
    return HubApplication(env=settings.store_env())


def build_projection(settings: Settings) -> ProjectionStore:
    from projections import ProjectionStore  # projections import hub's errors: not at import

    return ProjectionStore(settings.projection_file, settings.lock_timeout)


def build_ingest(settings: Settings) -> IngestService:
    return IngestService(
        build_application(settings),
        settings.stream,
        target_deliveries=settings.target_retries + 1,
    )


@contextmanager
def nats_server(settings: Settings) -> Iterator[str]:
    """The NATS URL to serve on: ``HUB_NATS_URL``, or an embedded server for the duration."""
    if settings.nats_url:
        yield settings.nats_url
        return
    with EmbeddedNats(settings.data_dir / "nats") as server:
        settings.nats_url_file.write_text(server.url)
        log.info("started embedded nats-server on %s", server.url)
        try:
            yield server.url
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


def build_recorder(settings: Settings) -> Recorder:
    """The ingest service where it runs: in the writer process, or on a thread."""
    if settings.writer == "thread":
        return ThreadRecorder(build_ingest(settings))
    return ProcessRecorder(settings)


async def serve(settings: Settings) -> None:
    """Run the hub until SIGINT/SIGTERM: the consumer, its writer, and the projector."""
    # Imported here: FastStream takes a third of a second to import, which the read-only
    # commands (hub foi, hub status) need not pay.
    from hub.entrypoints.consumer import create_app

    recorder = build_recorder(settings)
    follower = Follower(settings)
    try:
        with nats_server(settings) as url:
            app = create_app(settings, recorder, url)
            log.info(
                "hub serving: store %s, writer %s",
                "postgresql" if settings.database_url else settings.sqlite_path,
                settings.writer,
            )
            await app.run(log_level=logging.getLevelName(settings.log_level.upper()))
    finally:
        recorder.close()
        follower.close()
