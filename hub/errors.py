"""The one exception tree of the hub's public face. The CLI maps it to exit codes and messages
in one place (``hub.entrypoints.cli``); ``str(error)`` is written for the person who ran it and
never holds a child's details::

    HubError (contracts.HubError)        every failure the packages report
    ├── ContractViolation (contracts)    a message is not a valid v1 event; the text is the reason
    ├── AgencyError (agencies)           an export could not be imported (see agencies._errors)
    ├── ProjectionError (projections)    BadArgument, NotAllowed (see projections._errors)
    ├── ConfigurationError               a setting is missing or malformed
    ├── InputError                       a file or folder named on the command line cannot be used
    ├── StoreInUse                       another hub serve holds this store or data folder
    ├── NotFound                         a named user or published reference is not held
    └── StoreUnavailable                 the event store could not commit now; retry, never reject
        └── StoreConflict                another writer stored some of the batch first; retry

A message that is not a valid event is not raised past the intake: it becomes a recorded
rejection with the ``ContractViolation``'s reason.
"""

from __future__ import annotations

import traceback

from contracts import HubError


class ConfigurationError(HubError):
    """Raised when a setting is missing or malformed."""


class InputError(HubError):
    """Raised when a file or folder the caller named cannot be read or written."""


class NotFound(HubError):
    """Raised when a named thing (a user, a published reference) is not held."""


class StoreInUse(HubError):
    """Raised when another ``hub serve`` already holds the store's writer lease."""


class StoreUnavailable(HubError):
    """Raised when the event store could not commit a batch (locked, disconnected)."""


class StoreConflict(StoreUnavailable):
    """Raised when another writer stored part of a batch first."""


def fault_frames(error: BaseException) -> str:
    """An unexpected error as the logs may show it: its type and the traceback's frames, never
    its text, which may quote a message and so a child's details."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    return f"{type(error).__name__} (text withheld)\n{frames}".rstrip()


__all__ = [
    "ConfigurationError",
    "HubError",
    "InputError",
    "NotFound",
    "StoreConflict",
    "StoreInUse",
    "StoreUnavailable",
]
