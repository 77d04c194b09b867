"""Agency adapters: turn what each agency's systems export into contract events on NATS.

Public face::

    import_file(url, ledger, agency, kind, path, snapshot=False) -> ImportReport
                                          publish what is new in an export since its last import
    formats() -> {(agency, kind): Format} every export format the adapters read, documented
    publish_lines(url, agency, lines) -> PublishReport   publish JSON events as an agency would

Exceptions (``AgencyError`` and its subclasses) are described in ``agencies._errors``.
"""

from __future__ import annotations

from agencies._errors import AgencyError, FileRefused, PublishFailed, UnknownFormat
from agencies._format import Format, Refusal
from agencies._importer import ImportReport, import_file
from agencies._plan import Counts
from agencies._registry import formats, lookup
from agencies.publisher import PublishReport, publish_lines

__all__ = [
    "AgencyError",
    "Counts",
    "FileRefused",
    "Format",
    "ImportReport",
    "PublishFailed",
    "PublishReport",
    "Refusal",
    "UnknownFormat",
    "formats",
    "import_file",
    "lookup",
    "publish_lines",
]
