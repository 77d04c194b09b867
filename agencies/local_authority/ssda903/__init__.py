"""The DfE SSDA903 looked-after children return, as councils send it (see ``_read``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from agencies._format import Format, Item, ReadContext, Refusal
from agencies.local_authority.ssda903 import _dfe
from agencies.local_authority.ssda903._docs import NOTES, SUMMARY, TABLES
from agencies.local_authority.ssda903._read import items
from agencies.local_authority.ssda903._tables import READ, read_return

SYSTEM = "SSDA903 return"


def read(path: Path, context: ReadContext) -> Iterator[Item | Refusal]:
    found = read_return(path, context.year)
    context.notices.extend(found.notices)
    context.rows += sum(len(found.rows(table)) for table in READ)
    yield from items(found, context)
    notices, context.rules = _dfe.check(found, context.la_code)
    context.notices.extend(notices)


SSDA903 = Format(
    agency="local_authority",
    kind="ssda903",
    title="SSDA903 looked-after children return",
    summary=SUMMARY,
    system=SYSTEM,
    columns=(),
    example="ssda903",
    read=read,
    tables=TABLES,
    notes=NOTES,
)

__all__ = ["SSDA903", "SYSTEM"]
