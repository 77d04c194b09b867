"""The event-sourced application: the library's Application, with the hub's transcoder."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Transcoder

from hub.adapters.transcoder import OrjsonTranscoder


class HubApplication(Application[UUID]):
    """The hub's event store. Its notification log is the facts, in the order recorded."""

    name = "Hub"

    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder()
