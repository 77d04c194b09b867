"""A return's tables, found by their columns: a folder of CSV files named anyhow, or the
DfE's XML form of the return.

As the DfE's tools and LIIA's do, a CSV file is told to be a table by its column headings, not
its name (``SSDA903_2020_episodes.csv``, ``episodes.csv`` and ``Episodes.csv`` are one table).
A file's table is the one whose identifying columns it has and whose columns it matches best.
The hub needs Header and Episodes; UASC and Missing are read when given (an empty table need
not be); the other tables are reported as not read, with why (``docs/agency-formats.md``).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from agencies._errors import FileRefused
from agencies._fields import FieldError, Row, parse_date, read_csv
from agencies._format import Notice

# The DfE's column names of every table of the return (as the 903 validator lists them).
COLUMNS: dict[str, tuple[str, ...]] = {
    "Header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "Episodes": (
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
    ),
    "UASC": ("CHILD", "SEX", "DOB", "DUC"),
    "Missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "Reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "OC2": (
        "CHILD",
        "DOB",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
    "OC3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "AD1": (
        "CHILD",
        "DOB",
        "DATE_INT",
        "DATE_MATCH",
        "FOSTER_CARE",
        "NB_ADOPTR",
        "SEX_ADOPTR",
        "LS_ADOPTR",
    ),
    "PlacedAdoption": ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    "PrevPerm": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    "SWEpisodes": ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
    "DoLo": ("CHILD", "DOB", "DOLO_START", "DOLO_END"),
}
# The columns a file must have to be the table (and that no other table's file has together).
IDENTIFYING = {
    "Header": {"CHILD", "SEX", "DOB"},
    "Episodes": {"CHILD", "DECOM"},
    "UASC": {"CHILD", "DUC"},
    "Missing": {"CHILD", "MIS_START"},
    "Reviews": {"CHILD", "REVIEW"},
    "OC2": {"CHILD", "SDQ_SCORE"},
    "OC3": {"CHILD", "IN_TOUCH"},
    "AD1": {"CHILD", "DATE_INT"},
    "PlacedAdoption": {"CHILD", "DATE_PLACED"},
    "PrevPerm": {"CHILD", "PREV_PERM"},
    "SWEpisodes": {"CHILD", "SW_ID"},
    "DoLo": {"CHILD", "DOLO_START"},
}
NEEDED = ("Header", "Episodes")
READ = ("Header", "Episodes", "UASC", "Missing")
# Why each table the hub does not read is not read: no contract event says what it holds.
NOT_READ = {
    "Reviews": "looked-after reviews: the contract has no event for a review",
    "OC2": "outcomes of children looked after a year (health, convictions): no contract event",
    "OC3": "care leavers' activity and accommodation at 17-21: no contract event",
    "AD1": "adoption details: no contract event",
    "PlacedAdoption": "decisions to place for adoption: no contract event",
    "PrevPerm": "permanence before care: no contract event",
    "SWEpisodes": "social worker episodes (staff identifiers): deliberately not shared",
    "DoLo": "deprivation of liberty orders: no contract event in v1",
}
_XML_NAMES = {"CHILDID": "CHILD", "PL": "PLACE"}


@dataclass
class Return:
    """One return's tables as rows, the year it is for, and what was noticed reading it.
    ``tables`` holds every table given (the DfE's rules check them all); the hub's facts come
    from those in ``READ``."""

    tables: dict[str, list[Row]] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    year: int | None = None  # the collection year, by its end: 2018 is 2017/18

    def rows(self, table: str) -> list[Row]:
        return self.tables.get(table, [])

    @property
    def label(self) -> str:
        return "unknown" if self.year is None else f"{self.year - 1}/{self.year % 100:02d}"


def read_return(path: Path, year: int | None = None) -> Return:
    """The tables of the return at ``path``: a folder of CSV files, an XML file, or a folder
    holding one XML file. Raises FileRefused when a table the hub needs is not there."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        xml = [p for p in files if p.suffix.lower() == ".xml"]
        csvs = [p for p in files if p.suffix.lower() == ".csv"]
        if len(xml) > 1 and not csvs:
            raise FileRefused(f"{path.name}: holds {len(xml)} XML files: give one return")
        found = _read_csvs(path.name, csvs) if csvs else _read_xml(xml[0]) if xml else Return()
        if csvs:  # the CSV tables are the return; an XML beside them is another copy of it
            found.notices.extend(
                Notice(
                    p.name,
                    None,
                    None,
                    "SSDA903 tables",
                    "an XML return beside CSV tables is not read: import it on its own",
                )
                for p in xml
            )
    elif path.suffix.lower() == ".xml":
        found = _read_xml(path)
    else:
        raise FileRefused(
            f"{path.name}: ssda903 reads a folder of the return's CSV tables (Header, Episodes,"
            " and UASC and Missing when the council has any), or the return as XML"
        )
    for table in NEEDED:
        if table not in found.tables:
            raise FileRefused(
                f"{path.name}: has no {table} table (a CSV file with the columns"
                f" {', '.join(COLUMNS[table])}); the hub needs it"
            )
    found.year = year or collection_year(found)
    return found


def identify(columns: Iterable[str]) -> str | None:
    """The table a file with these column headings is, or None."""
    have = {column.strip().upper() for column in columns if column.strip()}
    scored = sorted(
        (
            (len(have & set(names)) / len(have | set(names)), table)
            for table, names in COLUMNS.items()
            if IDENTIFYING[table] <= have
        ),
        reverse=True,
    )
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def _read_csvs(folder: str, paths: list[Path]) -> Return:
    found = Return()
    files: dict[str, str] = {}
    for path in paths:
        header = _header(path)
        table = identify(header)
        if table is None:
            found.notices.append(
                Notice(
                    path.name,
                    None,
                    None,
                    "SSDA903 tables",
                    "its columns are no table of the return: not read",
                )
            )
            continue
        if table in files:
            raise FileRefused(
                f"{folder}: both {files[table]} and {path.name} are the {table} table (by their"
                " columns): give one file per table"
            )
        files[table] = path.name
        extra = [c for c in header if c.strip() and c.strip().upper() not in COLUMNS[table]]
        for column in extra:
            found.notices.append(
                Notice(
                    path.name,
                    1,
                    column.strip(),
                    "SSDA903 tables",
                    f"is not a column of the DfE's {table} table: not read",
                )
            )
        rows = list(read_csv(path, sorted(IDENTIFYING[table])))
        _keep(found, table, path.name, rows)
    return found


def _keep(found: Return, table: str, file: str, rows: list[Row]) -> None:
    found.tables[table] = rows  # every table, for the DfE's rules; the hub reads READ's
    if table not in READ and rows:
        found.notices.append(
            Notice(
                file,
                None,
                None,
                "SSDA903 tables",
                f"the {table} table ({len(rows)} rows) is not read: {NOT_READ[table]}",
            )
        )


def _header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle), [])
    except UnicodeDecodeError:
        raise FileRefused(
            f"{path.name}: is not UTF-8 text (in a spreadsheet, save as 'CSV UTF-8')"
        ) from None
    except (OSError, csv.Error) as error:
        raise FileRefused(f"{path.name}: cannot be read ({type(error).__name__})") from None


def _read_xml(path: Path) -> Return:
    """The XML return: a CHILD element per child, its HEADER's fields (with UASC, DUC and the
    AMISSING periods), and its EPISODEs. A row's "line" is its number in its table."""
    try:
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError) as error:
        raise FileRefused(f"{path.name}: is not readable XML ({type(error).__name__})") from None
    records: dict[str, list[dict[str, str]]] = {table: [] for table in COLUMNS}
    for child in root.iter("CHILD"):
        header = child.find("HEADER")
        fields = _leaves(header) if header is not None else {}
        records["Header"].append(fields)
        if fields.get("UASC") == "1":
            records["UASC"].append(fields)
        for node in child.findall("EPISODE"):
            records["Episodes"].append(fields | _leaves(node))
        for node in header.findall("AMISSING") if header is not None else ():
            records["Missing"].append(fields | _leaves(node))
        for tag, table in (
            ("AREVIEW", "Reviews"),
            ("OC2", "OC2"),
            ("AD_PLACED", "PlacedAdoption"),
            ("PERMANENCE", "PrevPerm"),
        ):
            for node in header.findall(tag) if header is not None else ():
                records[table].append(fields | _leaves(node))
    found = Return()
    for table, rows in records.items():
        names = COLUMNS[table]
        columns = {name: i for i, name in enumerate(names)} | {
            name.lower(): i for i, name in enumerate(names)
        }
        label = f"{path.name} {table}"
        made = [
            Row(label, n, [row.get(name, "") for name in names], columns, len(names))
            for n, row in enumerate(rows, start=1)
        ]
        if table in NEEDED or made:
            _keep(found, table, path.name, made)
    return found


def _leaves(node: Element) -> dict[str, str]:
    return {
        _XML_NAMES.get(leaf.tag, leaf.tag): (leaf.text or "").strip()
        for leaf in node
        if len(leaf) == 0
    }


def collection_year(found: Return) -> int | None:
    """The year the return is for, by its end (2018 for 2017/18), unless ``hub import --year``
    says: the financial year of the median DEC (the DfE's rules keep every DEC within the
    year; the field's own test data has one a day after it, so not the latest), or of the
    latest DECOM where that is later (a DECOM is never after the year)."""
    ended = sorted(_dates(found, "Episodes", ("DEC",)))
    began = [*_dates(found, "Episodes", ("DECOM",)), *_dates(found, "Missing", ("MIS_START",))]
    years = [_year_of(ended[len(ended) // 2])] if ended else []
    if began:  # no DECOM is after the year: a return of only open episodes is dated by it
        years.append(_year_of(max(_dates(found, "Episodes", ("DECOM",)), default=max(began))))
    return max(years) if years else None


def _dates(found: Return, table: str, columns: tuple[str, ...]) -> Iterable[dt.date]:
    for row in found.rows(table):
        for column in columns:
            if value := row.raw(column):
                try:
                    yield parse_date(column, value)
                except FieldError:
                    continue


def _year_of(day: dt.date) -> int:
    return day.year + 1 if day.month >= 4 else day.year


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
