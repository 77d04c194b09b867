"""The adapters' exceptions, one tree, under the packages' common root (``contracts.HubError``)::

    AgencyError
    ├── UnknownFormat    no adapter reads that agency's KIND of export
    ├── FileRefused      the file as a whole cannot be read (no header, a column missing, not UTF-8)
    ├── PublishFailed    NATS did not acknowledge every event; nothing was marked as sent
    └── LedgerRefused    the import ledger's key file is missing or is not the ledger's own

A bad *row* is not an exception: it is a ``Refusal`` in the import report, and the rest of the
file is still imported. Reasons name the file, line, column and rule, never the value.
"""

from __future__ import annotations

from contracts import HubError


class AgencyError(HubError):
    """Raised for every failure an agency adapter reports."""


class UnknownFormat(AgencyError):
    """Raised when no adapter reads the given agency's kind of export."""


class FileRefused(AgencyError):
    """Raised when a file cannot be read at all."""


class PublishFailed(AgencyError):
    """Raised when JetStream did not acknowledge every event of an import."""


class LedgerRefused(AgencyError):
    """Raised when the import ledger cannot be opened: its key file is missing or not its own."""
