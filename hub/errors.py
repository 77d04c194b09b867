"""The hub's exceptions, one tree::

    HubError
    ├── ConfigurationError   a setting is missing or malformed
    └── StoreUnavailable     the event store could not commit now; retry, never reject
        └── StoreConflict    another writer stored some of the batch first; retry

A message that is not a valid event is not an exception here: the intake turns it into a
recorded rejection (see ``contracts.ContractViolation`` for the reason it carries).
"""

from __future__ import annotations


class HubError(Exception):
    """Raised for every failure the hub itself reports."""


class ConfigurationError(HubError):
    """Raised when a setting is missing or malformed."""


class StoreUnavailable(HubError):
    """Raised when the event store could not commit a batch (locked, disconnected)."""


class StoreConflict(StoreUnavailable):
    """Raised when another writer stored part of a batch first."""
