"""What ``hub serve`` does beside consuming, every few seconds until it stops: keep the streams
and the consumer in place, start a dead projector again, and write the health report that
``hub status`` reads (``hub.service.health`` defines what it means), with the notifier's
counts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time

from hub.adapters.keeper import Backlog, StreamKeeper
from hub.adapters.report_file import ReportFile
from hub.entrypoints.consumer import Consumer
from hub.entrypoints.projector import SupervisedProjector
from hub.errors import fault_frames
from hub.service.health import REPORT_EVERY, Report
from hub.service.notifications import Notifier
from hub.service.ordered import Recorder

log = logging.getLogger("hub")
KEEP_EVERY = 5.0
"""Seconds between checks of the streams and the consumer (and at once after a reconnect)."""


class Watch:
    def __init__(
        self,
        consumer: Consumer,
        keeper: StreamKeeper,
        projector: SupervisedProjector,
        writer: Recorder,
        report_file: ReportFile,
        notifier: Notifier | None = None,
    ) -> None:
        self.consumer = consumer
        self.keeper = keeper
        self.projector = projector
        self.writer = writer
        self.report_file = report_file
        self.notifier = notifier
        self.started_at = time.time()
        self.backlog: Backlog | None = None
        self.keeper_fault: str | None = None
        self._kept_at = 0.0
        self._outages_seen = 0

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.once()
                except Exception as error:  # a fault here must not end the watch unseen
                    log.error("the hub's watch failed; going on: %s", fault_frames(error))
                await asyncio.sleep(REPORT_EVERY)
        finally:
            self.report_file.remove()
            with contextlib.suppress(Exception):  # closing, whatever state NATS is in
                await asyncio.wait_for(self.keeper.close(), 2)

    async def once(self) -> None:
        connection = self.consumer.connection
        back = connection.lost_at is None and connection.outages != self._outages_seen
        if back or time.monotonic() - self._kept_at >= KEEP_EVERY:
            await self._keep()
            if connection.lost_at is None:  # checked while connected: this outage is done
                self._outages_seen = connection.outages
        self.projector.check()
        try:
            self.report_file.write(self.report())
        except OSError as error:  # a full disk must not stop ingest; hub status says "stale"
            log.warning("could not write the health report (%s)", type(error).__name__)

    async def _keep(self) -> None:
        self._kept_at = time.monotonic()
        if self.consumer.connection.lost_at is not None:
            self.backlog = None
            return  # the consumer's connection reports the outage
        try:
            self.backlog = await asyncio.wait_for(self.keeper.check(), KEEP_EVERY)
            self.keeper_fault = None
        except Exception as error:  # NATS's errors, or a timeout: reported, tried again
            self.backlog = None
            if self.keeper_fault is None:
                log.warning("could not check the streams (%s)", type(error).__name__)
            self.keeper_fault = type(error).__name__

    def report(self) -> Report:
        connection = self.consumer.connection
        backlog = self.backlog
        return Report(
            pid=os.getpid(),
            started_at=self.started_at,
            updated_at=time.time(),
            nats_connected=connection.lost_at is None,
            nats_lost_since=connection.lost_since,
            nats_outages=connection.outages,
            consumer_pending=backlog.pending if backlog else None,
            consumer_ack_pending=backlog.ack_pending if backlog else None,
            streams_recreated=self.keeper.recreated,
            ingest=self.consumer.writer.health,
            writer_restarts=self.writer.restarts,
            projector_alive=self.projector.alive,
            projector_restarts=self.projector.restarts,
            keeper_fault=self.keeper_fault,
            streams_unreadable=self.keeper.unreadable,
            notifications=self.notifier.health.as_dict() if self.notifier else None,
        )
