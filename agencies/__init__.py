"""Agency adapters: turn what each agency's systems export into contract events on NATS.

Public face::

    Bus(url, seed_file=None, tls=None)    where, and with which credentials, an agency publishes
    import_file(bus, ledger, agency, kind, path, snapshot=False) -> ImportReport
                                          publish what is new in an export since its last import
    formats() -> {(agency, kind): Format} every export format the adapters read, documented
    publish_lines(bus, agency, lines) -> PublishReport   publish JSON events as an agency would

``bus`` may be a bare URL (a server without identities).

Exceptions (``AgencyError`` and its subclasses) are described in ``agencies._errors``.
"""

from __future__ import annotations

from agencies._errors import (
    AgencyError,
    FileRefused,
    LedgerRefused,
    PublishFailed,
    UnknownFormat,
)
from agencies._format import Format, Refusal
from agencies._importer import ImportReport, import_file
from agencies._plan import Counts
from agencies._registry import formats, lookup
from agencies.publisher import Bus, PublishReport, publish_lines

__all__ = [
    "AgencyError",
    "Bus",
    "Counts",
    "FileRefused",
    "Format",
    "ImportReport",
    "LedgerRefused",
    "PublishFailed",
    "PublishReport",
    "Refusal",
    "UnknownFormat",
    "formats",
    "import_file",
    "lookup",
    "publish_lines",
]
