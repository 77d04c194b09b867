"""The hub: consumes agency events from NATS JetStream into an event-sourced store.

Public face::

    Settings                    configuration from HUB_* variables
    build_application(s)        the event store (SQLite by default, PostgreSQL by URL)
    build_ingest(s)             the ingest service the consumer calls
    HubError and subclasses     the one exception tree (see hub.errors)

Importing ``hub`` (or ``hub.domain``, ``hub.feed``) wires nothing and loads no driver: the
builders come from ``hub.bootstrap``, the composition root, only when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.config import Settings
from hub.errors import (
    ConfigurationError,
    HubError,
    InputError,
    StoreConflict,
    StoreInUse,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from hub.bootstrap import build_application, build_ingest

__all__ = [
    "ConfigurationError",
    "HubError",
    "InputError",
    "Settings",
    "StoreConflict",
    "StoreInUse",
    "StoreUnavailable",
    "build_application",
    "build_ingest",
]


def __getattr__(name: str) -> Any:
    if name in ("build_application", "build_ingest"):
        from hub import bootstrap

        return getattr(bootstrap, name)
    raise AttributeError(f"module 'hub' has no attribute {name!r}")
