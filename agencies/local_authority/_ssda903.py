"""The DfE SSDA903 looked-after-children return, as a council exports its tables.

FILE is a folder holding the return's CSV tables, named as the DfE names them: ``Header``
(CHILD, SEX, DOB, UPN), ``Episodes`` (CHILD, DECOM, RNE, LS, PLACE, PLACE_PROVIDER, PL_POST,
URN, DEC, REC) and, when the council has any, ``UASC`` (CHILD, DUC). Columns the hub does not
need (ETHNIC, CIN, HOME_POST, REASON_PLACE_CHANGE, ...) may be present and are ignored.

A care episode row (CHILD, DECOM) becomes: ``care.period_started`` when RNE is S;
``care.placement_started`` when RNE says the placement changed (S, P, T, B, U); and at DEC,
``care.placement_ended`` and, unless REC is X1, ``care.period_ended``. When REC is X1 the
placement ends only if the child's next episode changes placement.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

from agencies._errors import FileRefused
from agencies._fields import FieldError, Row, midnight, read_csv
from agencies._format import (
    Built,
    Column,
    Draft,
    Format,
    Item,
    Refusal,
    State,
    child,
    item,
    keyed,
)

SYSTEM = "SSDA903 return"
Facts = Callable[[Row, State | None], Built]

# DfE PLACE codes (2015 onwards) and the contract's placement types.
PLACE = {
    **{code: "other" for code in ("A3", "A4", "A5", "A6")},  # placed for adoption
    "H5": "semi_independent",  # semi-independent living not regulated as a children's home
    "K1": "childrens_home",  # secure children's home
    "K2": "childrens_home",  # children's home subject to Children's Homes Regulations
    "P1": "other",  # placed with own parents
    "P2": "semi_independent",  # independent living, e.g. a flat or lodgings
    "P3": "other",  # residential employment
    **{code: "other" for code in ("R1", "R2", "R3", "R5")},  # care home, NHS, family centre, YOI
    "S1": "other",  # residential school
    **{code: "other" for code in ("T0", "T1", "T2", "T3", "T4")},  # temporary placements
    **{code: "foster_care" for code in ("U1", "U2", "U3", "U4", "U5", "U6")},
    "Z1": "other",
}
RNE = {code: code for code in ("S", "L", "P", "T", "B", "U")}
PLACEMENT_CHANGES = frozenset({"S", "P", "T", "B", "U"})
LS = {
    code: code
    for code in ("C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4")
}
REC = {
    code: code
    for code in (
        "E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E41", "E45", "E46",
        "E47", "E48", "E4A", "E4B", "E5", "E6", "E7", "E8", "E9", "X1",
    )
}  # fmt: skip
PROVIDER = {
    "PR0": "parent or other person with parental responsibility",
    "PR1": "own local authority",
    "PR2": "other local authority",
    "PR3": "other public provision",
    "PR4": "private provision",
    "PR5": "voluntary or third sector",
}
SEX_903 = {"1": "male", "2": "female"}
_NO_URN = frozenset({"", "XXXXXXX", "SC999999"})

HEADER = (
    Column("CHILD", "the council's child reference (la_child_id)", required=True),
    Column("SEX", "1 male, 2 female", required=True, codes=SEX_903),
    Column("DOB", "date of birth, DD/MM/YYYY", required=True),
    Column("UPN", "Unique Pupil Number; UN1-UN5 (no UPN, and why) are read as none"),
)
EPISODES = (
    Column("CHILD", "the council's child reference", required=True),
    Column("DECOM", "date the episode began, DD/MM/YYYY", required=True),
    Column("RNE", "reason for new episode: S, L, P, T, B or U", required=True, codes=RNE),
    Column("LS", "legal status: C1, C2, D1, E1, J1-J3, L1-L3, V2-V4", required=True, codes=LS),
    Column("PLACE", "placement type (codes below)", True, PLACE, table=True),
    Column(
        "PLACE_PROVIDER", "PR0-PR5, kept as the placement's provider", codes=PROVIDER, table=True
    ),
    Column("PL_POST", "placement postcode, full or partial (LE3 5); its district is kept"),
    Column("URN", "Ofsted URN of the placement; XXXXXXX when it has none"),
    Column("DEC", "date the episode ceased, DD/MM/YYYY; empty while open"),
    Column("REC", "reason episode ceased (E11-E9, X1); required with DEC", codes=REC),
)
UASC = (
    Column("CHILD", "the council's child reference", required=True),
    Column("DUC", "date the child ceased to be an unaccompanied asylum-seeking child"),
)
TABLES = (("Header", HEADER), ("Episodes", EPISODES), ("UASC", UASC))


def _table(folder: Path, name: str) -> Path:
    """The return's table by its DfE name (any case). All three are needed, even if empty, so a
    forgotten table is never read as "no such children" (which a snapshot would retract)."""
    if not folder.is_dir():
        raise FileRefused(
            f"{folder.name}: ssda903 reads a folder holding the return's Header.csv,"
            " Episodes.csv and UASC.csv"
        )
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() == ".csv" and path.stem.lower() == name.lower():
            return path
    raise FileRefused(
        f"{folder.name}: has no {name}.csv table (give it with just its header line if the"
        " return has no rows for it)"
    )


def _required(columns: tuple[Column, ...]) -> list[str]:
    return [column.name for column in columns if column.required]


class _Child:
    """What the Header and UASC tables say about a child, for the episodes' facts.

    Only a child's first row in each table counts (the importer refuses the others), and
    only if it can be read: a refused UASC row makes the child's UASC status unknown, which
    refuses the care periods it would set, rather than reading it as "not UASC".
    """

    def __init__(self) -> None:
        self.details: dict[str, dict[str, Any]] = {}
        self.uasc_until: dict[str, dt.date | None] = {}
        self.uasc_refused: dict[str, int] = {}
        self._seen: set[tuple[str, str]] = set()

    def first(self, table: str, row: Row) -> str | None:
        child_id = row.raw("CHILD")
        if not child_id or (table, child_id) in self._seen:
            return None
        self._seen.add((table, child_id))
        return child_id

    def person(self, child_id: str) -> dict[str, Any]:
        return child(la_child_id=child_id, **self.details.get(child_id, {}))

    def uasc_on(self, child_id: str, day: dt.date) -> bool:
        line = self.uasc_refused.get(child_id)
        if line is not None:
            raise FieldError(
                "CHILD",
                f"the child's row in UASC.csv (line {line}) was refused, so whether the child"
                " was UASC is unknown: fix that row",
            )
        if child_id not in self.uasc_until:
            return False
        until = self.uasc_until[child_id]
        return until is None or day < until


def read(folder: Path) -> Iterator[Item | Refusal]:
    children = _Child()
    for row in read_csv(_table(folder, "Header"), _required(HEADER)):
        child_id = children.first("Header", row)
        if child_id and not row.surplus:
            with suppress(FieldError):
                children.details[child_id] = {
                    "date_of_birth": row.date("DOB"),
                    "sex": row.code("SEX", SEX_903),
                }
        yield item(row, lambda r: keyed("header", r.text("CHILD")), _header_facts(children))
    for row in read_csv(_table(folder, "UASC"), _required(UASC)):
        child_id = children.first("UASC", row)
        if child_id:
            try:
                if row.surplus:
                    raise FieldError("-", "has more cells than the header")
                children.uasc_until[child_id] = row.date("DUC", required=False)
            except FieldError:
                children.uasc_refused[child_id] = row.line
        yield item(row, lambda r: keyed("uasc", r.text("CHILD")), _uasc_facts(children))
    # By child and start: one placement's end is then always sent before the next one's start
    # on the same day, which the projection orders by arrival when the times are equal.
    rows = sorted(
        read_csv(_table(folder, "Episodes"), _required(EPISODES)),
        key=lambda row: (row.raw("CHILD"), _began(row) or dt.date.min, row.line),
    )
    following = _next_episodes(rows)
    for row in rows:
        yield item(row, _episode_key, _episode_facts(children, following.get(id(row))))


def _began(row: Row) -> dt.date | None:
    try:
        return row.date("DECOM")
    except FieldError:
        return None


def _episode_key(row: Row) -> str:
    day = row.date("DECOM")
    assert day is not None
    return keyed("episode", row.text("CHILD"), day.isoformat())


def _next_episodes(rows: list[Row]) -> dict[int, Row]:
    """Each episode row's next episode for the same child, where both dates can be read."""
    by_child: dict[str, list[tuple[dt.date, Row]]] = {}
    for row in rows:
        with suppress(FieldError, AssertionError):
            day = row.date("DECOM")
            assert day is not None
            by_child.setdefault(row.raw("CHILD"), []).append((day, row))
    following = {}
    for episodes in by_child.values():
        episodes.sort(key=lambda pair: pair[0])
        for (_, this), (_, after) in itertools.pairwise(episodes):
            following[id(this)] = after
    return following


def _header_facts(children: _Child) -> Facts:
    def facts(row: Row, previous: State | None) -> Built:
        child_id = row.text("CHILD")
        assert child_id is not None
        born = row.date("DOB")
        assert born is not None
        row.code("SEX", SEX_903)
        upn_cell = row.raw("UPN").upper()
        if len(upn_cell) == 3 and upn_cell.startswith("UN"):
            return Built([])
        upn = row.upn("UPN")
        if upn is None:
            return Built([])
        # The Header says this child is this pupil: a link, so education's records join the
        # council's. Its role names the UPN, so a corrected UPN retracts the old link.
        return Built(
            [
                Draft(
                    f"upn.{upn}",
                    "identity.linked",
                    midnight(born),
                    children.person(child_id),
                    {"other": {"ids": {"upn": upn}}},
                )
            ]
        )

    return facts


def _uasc_facts(children: _Child) -> Facts:
    def facts(row: Row, previous: State | None) -> Built:
        child_id = row.text("CHILD")
        assert child_id is not None
        ceased = row.date("DUC", required=False)
        if ceased is None:
            return Built([])
        return Built(
            [
                Draft(
                    "ceased",
                    "care.uasc_status_changed",
                    midnight(ceased),
                    children.person(child_id),
                    {"uasc": False},
                )
            ]
        )

    return facts


def _episode_facts(children: _Child, after: Row | None) -> Facts:
    def facts(row: Row, previous: State | None) -> Built:
        child_id = row.text("CHILD")
        began = row.date("DECOM")
        assert child_id is not None and began is not None
        reason = row.code("RNE", RNE)
        legal_status = row.code("LS", LS)
        place = row.raw("PLACE").upper()
        placement_type = row.code("PLACE", PLACE)
        provider = row.code("PLACE_PROVIDER", PROVIDER, required=False)
        district = row.postcode_district("PL_POST")
        urn = row.raw("URN").upper()
        ceased = row.date("DEC", required=False)
        ending = row.code("REC", REC, required=ceased is not None)
        if ceased is not None and ceased < began:
            raise FieldError("DEC", "is before DECOM")
        if ceased is None and ending is not None:
            raise FieldError("REC", "is given but DEC is empty")
        if len(urn) > 100:
            raise FieldError("URN", "is longer than 100 characters")
        # A placement's reference: the home's URN, or for placements without one the code and
        # district, which the episodes of one placement share (RNE L repeats them).
        placement_ref = urn if urn not in _NO_URN else f"{place}:{district or '-'}"
        person = children.person(child_id)
        drafts = []
        if reason == "S":
            drafts.append(
                Draft(
                    "period_started",
                    "care.period_started",
                    midnight(began),
                    person,
                    {"legal_status": legal_status, "uasc": children.uasc_on(child_id, began)},
                )
            )
        if reason in PLACEMENT_CHANGES:
            placement: dict[str, Any] = {
                "placement_ref": placement_ref,
                "placement_type": placement_type,
            }
            if provider:
                placement["provider"] = provider
            if district:
                placement["postcode_district"] = district
            drafts.append(
                Draft(
                    "placement_started",
                    "care.placement_started",
                    midnight(began),
                    person,
                    placement,
                )
            )
        if ceased is not None:
            ends_period = ending != "X1"
            moves = after is not None and after.raw("RNE").upper() in PLACEMENT_CHANGES
            if ends_period or moves:
                drafts.append(
                    Draft(
                        "placement_ended",
                        "care.placement_ended",
                        midnight(ceased),
                        person,
                        {"placement_ref": placement_ref},
                    )
                )
            if ends_period:
                drafts.append(
                    Draft(
                        "period_ended",
                        "care.period_ended",
                        midnight(ceased),
                        person,
                        {"reason": ending},
                    )
                )
        return Built(drafts)

    return facts


SSDA903 = Format(
    agency="local_authority",
    kind="ssda903",
    title="SSDA903 looked-after children return",
    summary="The DfE's SSDA903 return as the council exports it: a folder of CSV tables"
    " Header, Episodes and UASC, with the DfE's column names. Each episode becomes care"
    " periods and placements; the Header's UPN links the child to education's records; the"
    " UASC table sets `uasc` on care periods and its DUC becomes `care.uasc_status_changed`.",
    system=SYSTEM,
    columns=(),
    example="ssda903",
    read=read,
    tables=TABLES,
    notes=(
        "Dates are DD/MM/YYYY as in the DfE specification (YYYY-MM-DD is accepted too). A date"
        " is stamped at its London midnight.",
        "An episode is identified by CHILD and DECOM: a corrected DECOM is a different episode,"
        " so import with --snapshot (a whole-history extract) for the old one to be retracted.",
        "One year's return is not the whole record: use --snapshot only with an extract of"
        " every year, or episodes of earlier years would be retracted.",
        "PLACE codes before 2015 (F1-F6, H1-H4, Q1-Q2) are refused: map them to the current"
        " codes first.",
    ),
)
