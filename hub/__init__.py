"""The hub: consumes agency events from NATS JetStream into an event-sourced store.

Public face::

    Settings                    configuration from HUB_* variables
    build_application(s)        the event store (SQLite by default, PostgreSQL by URL)
    build_ingest(s)             the ingest service the consumer calls
    HubError and subclasses     the one exception tree (see hub.errors)
"""

from __future__ import annotations

from hub.bootstrap import build_application, build_ingest
from hub.config import Settings
from hub.errors import ConfigurationError, HubError, StoreConflict, StoreUnavailable

__all__ = [
    "ConfigurationError",
    "HubError",
    "Settings",
    "StoreConflict",
    "StoreUnavailable",
    "build_application",
    "build_ingest",
]
