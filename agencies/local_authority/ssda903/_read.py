"""Reading one SSDA903 return into records: a child's Header row, UASC row, episodes (one
record per child: see ``_episodes``) and Missing periods.

Only what cannot become a valid fact is refused (a row without CHILD, an unreadable DECOM or
MIS_START, a Missing row with no M or A). A bad optional value is dropped and reported as a
notice naming the file, line, column and rule, and the row is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from agencies._fields import FieldError, Row, midnight
from agencies._format import Built, Draft, Item, Notice, ReadContext, Refusal, State, child, keyed
from agencies._format import refusal as refused
from agencies.local_authority.ssda903 import _codes as codes
from agencies.local_authority.ssda903 import _episodes as episodes
from agencies.local_authority.ssda903._tables import Return

_UNDATED = dt.date(1970, 1, 1)
_REFS = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/ssda903/missing/")


class Children:
    """What the Header and UASC tables say about each child (a child's first row counts)."""

    def __init__(self, found: Return, notes: list[Notice]) -> None:
        self.details: dict[str, dict[str, Any]] = {}
        self.uasc: dict[str, dt.date | None] = {}
        self.uasc_given = "UASC" in found.tables
        self.header_rows = _firsts(found.rows("Header"), notes, "Header")
        for child_id, row in self.header_rows.items():
            self.details[child_id] = _details(row, notes)
        self.uasc_rows = _firsts(found.rows("UASC"), notes, "UASC")
        for child_id, row in self.uasc_rows.items():
            try:
                self.uasc[child_id] = row.date("DUC", required=False)
            except FieldError:
                notes.append(
                    Notice(
                        row.file,
                        row.line,
                        "DUC",
                        "DfE rule 104",
                        "is not a date: the child is read as UASC with no end date",
                    )
                )
                self.uasc[child_id] = None

    def person(self, child_id: str) -> dict[str, Any]:
        return child(la_child_id=child_id, **self.details.get(child_id, {}))

    def uasc_state(self, child_id: str, year: int, known: list[Any] | None) -> list[Any] | None:
        """``[uasc, until, year]`` as the latest return that had a UASC table says."""
        if not self.uasc_given or (known is not None and known[2] > year):
            return known
        if child_id not in self.uasc:
            return [False, None, year]
        until = self.uasc[child_id]
        return [True, until.isoformat() if until else None, year]


def _firsts(rows: list[Row], notes: list[Notice], table: str) -> dict[str, Row]:
    firsts: dict[str, Row] = {}
    for row in rows:
        child_id = row.raw("CHILD")
        if not child_id:
            continue
        if child_id in firsts:
            notes.append(
                Notice(
                    row.file,
                    row.line,
                    "CHILD",
                    f"DfE: one {table} row a child",
                    f"repeats the child of line {firsts[child_id].line}, which is the row read",
                )
            )
        else:
            firsts[child_id] = row
    return firsts


def _details(row: Row, notes: list[Notice]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for column, name, read in (
        ("DOB", "date_of_birth", lambda: row.date("DOB", required=False)),
        ("SEX", "sex", lambda: row.code("SEX", codes.SEX, required=False)),
    ):
        try:
            found[name] = read()
        except FieldError as error:
            notes.append(
                Notice(row.file, row.line, column, f"DfE {column}", f"{error.reason}: not kept")
            )
    return {k: v for k, v in found.items() if v is not None}


def items(found: Return, context: ReadContext) -> Iterator[Item | Refusal]:
    notes = context.notices
    year = found.year or 0  # None only when no DECOM can be read: every episode is refused
    children = Children(found, notes)
    for table in ("Header", "UASC", "Missing"):
        if table not in found.tables:
            context.partial.add(table.lower())
    for row in found.rows("Header"):
        child_id = row.raw("CHILD")
        if not child_id:
            yield refused(row, FieldError("CHILD", "is empty; it is required"))
        elif children.header_rows[child_id] is row:
            yield Item(keyed("header", child_id), row, _header(row, children, year))
    for child_id, row in children.uasc_rows.items():
        yield Item(keyed("uasc", child_id), row, _uasc(child_id, children, context.now, year))
    yield from _children(found, year, children, context)
    starts: dict[tuple[str, str], int] = {}
    for row in found.rows("Missing"):
        key = (row.raw("CHILD"), row.raw("MIS_START"))
        if key[0] and key in starts:  # one record a child and day: the first is read
            notes.append(
                Notice(
                    row.file,
                    row.line,
                    "MIS_START",
                    "DfE rule 574",
                    f"begins the day line {starts[key]}'s period does: not read",
                )
            )
            continue
        starts.setdefault(key, row.line)
        yield _missing(row, children, context.now, year)
    notes.extend(_unsent(found))
    notes.extend(_absent(found, year, context))


def _absent(found: Return, year: int, context: ReadContext) -> Iterator[Notice]:
    """Children whose episode was open at the end of the year before, whom this return does
    not show: said (as a count), not acted on, since their care history stands as it was."""
    shown = {row.raw("CHILD") for row in found.rows("Episodes")}
    absent = 0
    for key, state in context.states.items():
        kind, _, child_id = key.partition("\x1f")
        if kind == "episodes" and child_id not in shown and year - 1 in state.get("years", []):
            known = [episodes.Episode.from_state(e) for e in state["episodes"]]
            absent += any(e.dec is None and e.year == year - 1 for e in known)
    if absent and found.rows("Episodes"):
        yield Notice(
            found.rows("Episodes")[0].file,
            None,
            "CHILD",
            "DfE: every episode open during the year",
            f"{absent} children with an episode open at the end of"
            " the year before are not in this return: their care is read as going on;"
            " if it ended, the return should show it",
        )


def _unsent(found: Return) -> Iterator[Notice]:
    """What the episodes say that contract v1 has no event for: said, not silently dropped."""
    rows = found.rows("Episodes")
    if not rows:
        return
    file = rows[0].file
    legal = sum(1 for row in rows if row.raw("RNE").upper() == "L")
    if legal:
        yield Notice(
            file,
            None,
            "RNE",
            "contract v1",
            f"{legal} changes of legal status only"
            " (RNE L): the legal status at each period's start is sent; v1 has no event"
            " for a change within a period",
        )
    reasons: dict[str, int] = {}
    for row in rows:
        if code := row.raw("REASON_PLACE_CHANGE").upper():
            code = code if code in codes.REASON_PLACE_CHANGE else "not a DfE code"  # no text
            reasons[code] = reasons.get(code, 0) + 1
    if reasons:
        counts = ", ".join(f"{code} {n}" for code, n in sorted(reasons.items()))
        yield Notice(
            file,
            None,
            "REASON_PLACE_CHANGE",
            "contract v1",
            f"reasons for placement"
            f" changes ({counts}): v1's care.placement_ended has no reason field, so"
            " they are not sent",
        )


def _header(row: Row, children: Children, year: int) -> Callable[[State | None], Built]:
    def build(previous: State | None) -> Built:
        child_id = row.raw("CHILD")
        upn_cell = row.raw("UPN").upper()
        upn: str | None = None
        notes: tuple[Notice, ...] = ()
        if upn_cell and upn_cell not in codes.NO_UPN:
            try:
                upn = row.upn("UPN")
            except FieldError as error:
                notes = (
                    Notice(
                        row.file, row.line, "UPN", "DfE rule 168/UPN", f"{error.reason}: not linked"
                    ),
                )
        born = children.details.get(child_id, {}).get("date_of_birth")
        fresh = {"upn": upn, "born": born.isoformat() if born else None, "year": year}
        # A UPN, once a return gave it, stays until a return of the same or a later year gives
        # another: an earlier year's UN1 (under school age) does not undo it.
        state = latest(previous, fresh if upn else None, year)
        if state is None:
            return Built([], None, notes)
        # The Header says this child is this pupil: a link, so education's records join the
        # council's. Its role names the UPN, so a corrected UPN retracts the old link. A link
        # holds for all history; its time is a stamp (the birth, or a fixed one without it).
        at = midnight(dt.date.fromisoformat(state["born"]) if state["born"] else _UNDATED)
        link = {"other": {"ids": {"upn": state["upn"]}}}
        person = children.person(child_id)
        return Built(
            [Draft(f"upn.{state['upn']}", "identity.linked", at, person, link)], state, notes
        )

    return build


def latest(previous: State | None, fresh: State | None, year: int) -> State | None:
    """What a record of several returns says: the return of the latest year that said
    anything wins (this one, on a tie: a resubmission corrects its year)."""
    if previous is not None and (fresh is None or previous.get("year", 0) > year):
        return previous
    return fresh


def _uasc(
    child_id: str, children: Children, now: dt.datetime, year: int
) -> Callable[[State | None], Built]:
    def build(previous: State | None) -> Built:
        ceased = children.uasc.get(child_id)
        state = latest(
            previous, {"duc": ceased.isoformat() if ceased else None, "year": year}, year
        )
        assert state is not None
        # A DUC still to come is the expected 18th birthday: the child is UASC until then.
        if state["duc"] is None or midnight(dt.date.fromisoformat(state["duc"])) > now:
            return Built([], state)
        at = midnight(dt.date.fromisoformat(state["duc"]))
        person = children.person(child_id)
        drafts = [Draft("ceased", "care.uasc_status_changed", at, person, {"uasc": False})]
        return Built(drafts, state)

    return build


def _children(
    found: Return, year: int, children: Children, context: ReadContext
) -> Iterator[Item | Refusal]:
    """One record per child: the child's episodes, merged with what earlier returns showed."""
    rows: dict[str, list[Row]] = {}
    for row in found.rows("Episodes"):
        rows.setdefault(row.raw("CHILD"), []).append(row)
    for child_id, child_rows in rows.items():
        read: list[episodes.Episode] = []
        notes: list[Notice] = []
        seen: dict[tuple[str, ...], int] = {}
        for row in sorted(child_rows, key=lambda r: r.line):
            if not child_id:
                yield refused(row, FieldError("CHILD", "is empty; it is required"))
                continue
            cells = tuple(row.raw(c) for c in ("DECOM", "DEC", "RNE", "LS", "PLACE", "URN", "REC"))
            if cells in seen:
                notes.append(
                    Notice(
                        row.file,
                        row.line,
                        None,
                        "DfE: one row an episode",
                        f"repeats line {seen[cells]}: read once",
                    )
                )
                continue
            seen[cells] = row.line
            try:
                read.append(episodes.parse(row, year, 0, context.now, notes))
            except FieldError as error:
                yield refused(row, error)
        read = episodes.number(read)
        if read:
            first = min(child_rows, key=lambda r: r.line)
            yield Item(
                keyed("episodes", child_id), first, _child(child_id, read, year, children, notes)
            )


def _child(
    child_id: str,
    read: list[episodes.Episode],
    year: int,
    children: Children,
    notes: list[Notice],
) -> Callable[[State | None], Built]:
    def build(previous: State | None) -> Built:
        known = [episodes.Episode.from_state(e) for e in (previous or {}).get("episodes", [])]
        years = (previous or {}).get("years", [])
        merged = episodes.merge(known, read, year, years)
        uasc = children.uasc_state(child_id, year, (previous or {}).get("uasc"))

        def uasc_on(day: dt.date) -> bool:
            if not uasc or not uasc[0]:
                return False
            return uasc[1] is None or day < dt.date.fromisoformat(uasc[1])

        drafts = episodes.facts(merged, children.person(child_id), uasc_on)
        state: State = {
            "episodes": [e.state() for e in merged],
            "years": sorted({*years, year}),
        }
        if uasc is not None:
            state["uasc"] = uasc
        return Built(drafts, state, tuple(notes))

    return build


def _missing(row: Row, children: Children, now: dt.datetime, year: int) -> Item | Refusal:
    """A Missing row: the council's own record of a looked-after child's period away from
    placement, as ``care.missing_recorded``."""
    child_id = row.raw("CHILD")
    try:
        if not child_id:
            raise FieldError("CHILD", "is empty; it is required")
        started = row.date("MIS_START")
        assert started is not None
        if midnight(started) > now:
            raise FieldError("MIS_START", "is in the future")
        row.code("MISSING", codes.MISSING)
    except FieldError as error:
        return refused(row, error)

    def build(previous: State | None) -> Built:
        kind = row.code("MISSING", codes.MISSING)
        notes: list[Notice] = []
        ended: dt.date | None = None
        try:
            ended = row.date("MIS_END", required=False)
        except FieldError as error:
            notes.append(
                Notice(
                    row.file,
                    row.line,
                    "MIS_END",
                    "DfE rule 1005",
                    f"{error.reason}: the period is read as open",
                )
            )
        if ended is not None and ended < started:
            notes.append(
                Notice(
                    row.file,
                    row.line,
                    "MIS_END",
                    "DfE rule 567",
                    "is before MIS_START: the period is read as open",
                )
            )
            ended = None
        ref = str(uuid5(_REFS, keyed(child_id, started.isoformat())))
        payload: dict[str, Any] = {
            "episode_ref": ref,
            "kind": kind,
            "started_on": started.isoformat(),
        }
        if ended is not None:
            payload["ended_on"] = ended.isoformat()
        # A period open at one year's end is in the next year's return too, ended there.
        state = latest(previous, {"payload": payload, "year": year}, year)
        assert state is not None
        person = children.person(child_id)
        draft = Draft(
            "recorded", "care.missing_recorded", midnight(started), person, state["payload"]
        )
        return Built([draft], state, tuple(notes))

    return Item(keyed("missing", child_id, started.isoformat()), row, build)
