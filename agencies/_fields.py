"""Reading agency CSV exports: rows that know their file and line, and typed cells.

Every parser raises ``FieldError`` naming the column and the rule broken, never the value: an
import report reaches people whose role may not allow them to see a child's identifiers.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from agencies._errors import FileRefused
from contracts._checks import nhs_number_is_valid, upn_is_valid

LONDON = ZoneInfo("Europe/London")
_DISTRICT = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)(?:\s*[0-9][A-Z]{0,2})?$")
_MONEY = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,2})?$")
_TRUE = frozenset({"y", "yes", "true", "1"})
_FALSE = frozenset({"n", "no", "false", "0"})


class FieldError(Exception):
    """A cell that breaks its column's rule."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason


class Row:
    """One record of a CSV file: cells by column name (case-insensitive), and where it was."""

    __slots__ = ("_columns", "_values", "file", "line", "surplus")

    def __init__(
        self, file: str, line: int, values: Sequence[str], columns: Mapping[str, int], width: int
    ) -> None:
        self.file = file
        self.line = line
        self._values = values
        self._columns = columns
        # Cells beyond the header: a stray comma shifts every later column, so it is refused.
        self.surplus = sum(1 for cell in values[width:] if cell.strip())

    def raw(self, column: str) -> str:
        index = self._columns.get(column)
        if index is None:
            index = self._columns.get(column.lower())
            if index is None:
                return ""
        if index >= len(self._values):
            return ""
        return self._values[index].strip()

    def position(self, column: str) -> int | None:
        """The 1-based column number, for a reader who opens the file in a spreadsheet."""
        index = self._columns.get(column.lower())
        return None if index is None else index + 1

    def _cell(self, column: str, required: bool) -> str | None:
        value = self.raw(column)
        if not value:
            if required:
                raise FieldError(column, "is empty; it is required")
            return None
        return value

    def text(self, column: str, *, required: bool = True, max_length: int = 100) -> str | None:
        value = self._cell(column, required)
        if value is not None and len(value) > max_length:
            raise FieldError(column, f"is longer than {max_length} characters")
        return value

    def date(self, column: str, *, required: bool = True) -> dt.date | None:
        value = self._cell(column, required)
        return None if value is None else parse_date(column, value)

    def instant(self, column: str, *, required: bool = True) -> dt.datetime | None:
        value = self._cell(column, required)
        return None if value is None else parse_instant(column, value)

    def when(self, column: str, *, required: bool = True) -> dt.datetime | None:
        """A date and time, or a date alone (its London midnight)."""
        value = self._cell(column, required)
        if value is None:
            return None
        try:
            if len(value) <= 10:
                return midnight(parse_date(column, value))
            return parse_instant(column, value)
        except FieldError:
            raise FieldError(
                column,
                "is not a date or a date and time (DD/MM/YYYY [HH:MM], or YYYY-MM-DD"
                " [HH:MM[:SS]], with an optional offset such as +01:00)",
            ) from None

    def code(self, column: str, codes: Mapping[str, str], *, required: bool = True) -> str | None:
        value = self._cell(column, required)
        if value is None:
            return None
        found = codes.get(value.upper())
        if found is None:
            raise FieldError(column, f"is not one of the codes {', '.join(codes)}")
        return found

    def codes(self, column: str, codes: Mapping[str, str]) -> list[str]:
        """A non-empty ``;``-separated list of codes."""
        value = self._cell(column, True)
        assert value is not None
        found = []
        for part in value.split(";"):
            code = codes.get(part.strip().upper())
            if code is None:
                raise FieldError(column, f"has a value that is not one of {', '.join(codes)}")
            found.append(code)
        return sorted(set(found))

    def refs(self, column: str) -> list[str]:
        """A non-empty ``;``-separated list of references."""
        value = self._cell(column, True)
        assert value is not None
        refs = [part.strip() for part in value.split(";") if part.strip()]
        if not refs or any(len(ref) > 100 for ref in refs):
            raise FieldError(column, "must be references separated by ';' (each ≤ 100 characters)")
        return refs

    def flag(self, column: str, *, required: bool = True) -> bool | None:
        value = self._cell(column, required)
        if value is None:
            return None
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise FieldError(column, "must be Y or N")

    def nhs_number(self, column: str, *, required: bool = False) -> str | None:
        value = self._cell(column, required)
        if value is None:
            return None
        digits = value.replace(" ", "").replace("-", "")
        if not nhs_number_is_valid(digits):
            raise FieldError(column, "is not a valid NHS number (10 digits, Modulus 11 check)")
        return digits

    def upn(self, column: str, *, required: bool = False) -> str | None:
        value = self._cell(column, required)
        if value is None:
            return None
        if not upn_is_valid(value.upper()):
            raise FieldError(column, "is not a valid UPN (13 characters with a check letter)")
        return value.upper()

    def postcode_district(self, column: str, *, required: bool = False) -> str | None:
        """The outward code (``LE3``) of a full or partial postcode (``LE3 5``, ``LE3 5AB``)."""
        value = self._cell(column, required)
        if value is None:
            return None
        match = _DISTRICT.match(value.upper())
        if match is None:
            raise FieldError(column, "is not a postcode or postcode district such as LE3")
        return match.group(1)

    def money(self, column: str) -> str:
        value = self._cell(column, True)
        assert value is not None
        amount = value.replace(",", "").removeprefix("£")
        if not _MONEY.match(amount):
            raise FieldError(column, "must be an amount in pounds such as 1250.00")
        try:
            if Decimal(amount) <= 0:
                raise FieldError(column, "must be greater than zero")
        except InvalidOperation:  # pragma: no cover - the pattern excludes it
            raise FieldError(column, "must be an amount in pounds") from None
        return amount if "." in amount else f"{amount}.00"


_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
_TIME_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")


def parse_date(column: str, value: str) -> dt.date:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise FieldError(column, "is not a date (DD/MM/YYYY or YYYY-MM-DD)")


def parse_instant(column: str, value: str) -> dt.datetime:
    """A timestamp; one without an offset is Europe/London local time (as exports give it)."""
    parsed: dt.datetime | None = None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        for fmt in _TIME_FORMATS:
            try:
                parsed = dt.datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None or len(value) <= 10:
        raise FieldError(
            column, "is not a date and time (YYYY-MM-DDTHH:MM[:SS][+01:00] or DD/MM/YYYY HH:MM)"
        )
    if parsed.tzinfo is None:
        # fold=0: an hour repeated in October is read as its first (BST) occurrence.
        parsed = parsed.replace(tzinfo=LONDON)
    return parsed


def midnight(day: dt.date) -> dt.datetime:
    """The start of a London day: what a date-only column's event is stamped with."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=LONDON)


def read_csv(path: Path, required: Sequence[str]) -> Iterator[Row]:
    """The rows of a CSV file with a header line, each knowing the line it starts on.

    Raises FileRefused when the file cannot be read or lacks a required column. Blank lines are
    skipped.
    """
    name = path.name
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise FileRefused(f"{name}: cannot be opened ({error.strerror})") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise FileRefused(f"{name}: is empty; it needs a header line of column names")
            columns = {cell.strip().lower(): i for i, cell in enumerate(header) if cell.strip()}
            # Formats name columns in lower case (ours) or upper case (the DfE's): one lookup.
            columns |= {name.upper(): i for name, i in columns.items()}
            missing = [column for column in required if column.lower() not in columns]
            if missing:
                raise FileRefused(f"{name}: has no column {', '.join(missing)}")
            start = reader.line_num + 1
            for values in reader:
                line, start = start, reader.line_num + 1
                if not any(cell.strip() for cell in values):
                    continue
                yield Row(name, line, values, columns, len(header))
        except UnicodeDecodeError:
            raise FileRefused(
                f"{name}: is not UTF-8 text (in a spreadsheet, save as 'CSV UTF-8')"
            ) from None
        except csv.Error as error:
            raise FileRefused(f"{name}: line {reader.line_num}: not valid CSV ({error})") from None
