"""What an adapter for one kind of export declares: its columns, its records, their facts.

A format reads a file into *items*, one per source record (an incident, a care episode, an
alert), each under the record's natural key. Building an item gives the contract facts the
record implies now, each under a *role* (``reported``, ``found``, ``placement_ended``); the
importer compares those with what it published for the same key and role before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agencies._fields import FieldError, Row, read_csv

State = dict[str, Any]


@dataclass(frozen=True)
class Draft:
    """A contract event a record implies, before it has an id."""

    role: str
    event_type: str
    occurred_at: dt.datetime
    child: dict[str, Any] | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Notice:
    """A value that was not imported, or a rule the file breaks, while the row was kept.

    ``rule`` names what was broken (``DfE rule 148``, ``UPN check letter``); like a refusal,
    a notice never holds the value.
    """

    file: str
    line: int | None
    column: str | None
    rule: str
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        column = f" {self.column}:" if self.column else ""
        return f"{where}:{column} {self.rule}: {self.reason}"


@dataclass(frozen=True)
class Built:
    drafts: list[Draft]
    # What the format needs to remember about the record for the next import (e.g. the risk
    # at report, when the export shows only the current risk).
    state: State | None = None
    # Values dropped while building (the row itself was kept).
    notices: tuple[Notice, ...] = ()


@dataclass
class ReadContext:
    """What a format that reads its file itself (``Format.read``) is given and tells back.

    ``states`` are the ledger's memory of the source's records from earlier imports (a
    format may read a record's state before it yields the record); ``partial`` the key
    prefixes the file did not cover (a table the return lacks), which a snapshot must not
    read as gone; ``rows`` how many rows were read, for the import's summary.
    """

    now: dt.datetime
    states: Mapping[str, State] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    partial: set[str] = field(default_factory=set)
    rows: int = 0
    rules: str | None = None  # which DfE rules were run, or why none were
    la_code: str | None = None  # the council's own LA code (E06000016), for the DfE's rules
    year: int | None = None  # the collection year of a return, by its end (2018: 2017/18)


@dataclass(frozen=True)
class Refusal:
    """A row that was not imported, and why (never the value)."""

    file: str
    line: int
    column: str | None
    column_number: int | None
    reason: str

    def __str__(self) -> str:
        if self.column is None:
            return f"{self.file}:{self.line}: {self.reason}"
        where = (
            f"column {self.column_number} ({self.column})" if self.column_number else self.column
        )
        return f"{self.file}:{self.line}: {where}: {self.reason}"


@dataclass(frozen=True)
class Item:
    """One source record: its key, where it is, and how to build its facts."""

    key: str
    row: Row
    build: Callable[[State | None], Built]

    def refusal(self, error: FieldError) -> Refusal:
        return refusal(self.row, error)


def refusal(row: Row, error: FieldError) -> Refusal:
    column = None if error.column == "-" else error.column
    number = row.position(column) if column else None
    return Refusal(row.file, row.line, column, number, error.reason)


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    required: bool = False
    codes: Mapping[str, str] | None = None
    # Whether the documentation lists the codes and what each becomes, as a table.
    table: bool = False


@dataclass(frozen=True)
class Format:
    """One kind of export an agency produces, and the contract facts its records become."""

    agency: str
    kind: str
    title: str
    summary: str
    system: str
    columns: tuple[Column, ...]
    example: str
    key: Callable[[Row], str] | None = None
    facts: Callable[[Row, State | None], Built] | None = None
    # A format whose FILE is a folder of tables (the SSDA903 return) reads it itself.
    read: Callable[[Path, ReadContext], Iterator[Item | Refusal]] | None = None
    tables: tuple[tuple[str, tuple[Column, ...]], ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def source(self) -> str:
        return f"{self.agency}/{self.kind}"

    def example_path(self) -> Path:
        return Path(__file__).parent / self.agency / "examples" / self.example

    def items(self, path: Path, context: ReadContext | None = None) -> Iterator[Item | Refusal]:
        if self.read is not None:
            yield from self.read(path, context or ReadContext(dt.datetime.now(dt.UTC)))
            return
        assert self.key is not None and self.facts is not None
        required = [column.name for column in self.columns if column.required]
        for row in read_csv(path, required):
            if context is not None:
                context.rows += 1
            yield item(row, self.key, self.facts)


def item(
    row: Row, key: Callable[[Row], str], facts: Callable[[Row, State | None], Built]
) -> Item | Refusal:
    if row.surplus:
        return refusal(row, FieldError("-", "has more cells than the header has columns"))
    try:
        natural_key = key(row)
    except FieldError as error:
        return refusal(row, error)
    return Item(natural_key, row, lambda previous: facts(row, previous))


def child(
    *,
    la_child_id: str | None = None,
    police_person_id: str | None = None,
    nhs_number: str | None = None,
    upn: str | None = None,
    date_of_birth: dt.date | None = None,
    sex: str | None = None,
) -> dict[str, Any]:
    """The contract's ``child`` object from whatever identifiers a row has."""
    ids = {
        name: value
        for name, value in (
            ("nhs_number", nhs_number),
            ("la_child_id", la_child_id),
            ("police_person_id", police_person_id),
            ("upn", upn),
        )
        if value is not None
    }
    found: dict[str, Any] = {"ids": ids}
    if date_of_birth is not None:
        found["date_of_birth"] = date_of_birth.isoformat()
    if sex is not None:
        found["sex"] = sex
    return found


def keyed(*parts: str | None) -> str:
    """A natural key from its parts (the unit separator cannot occur in a CSV cell we read)."""
    return "\x1f".join(part or "" for part in parts)


SEX = {"M": "male", "F": "female", "1": "male", "2": "female", "O": "other", "U": "unknown"}
