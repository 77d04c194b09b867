"""A child's care episodes, as every return imported so far shows them, and the facts they make.

A one-year return holds every episode open at some time in its year, so a child in care since
before the year has no RNE ``S`` row in it: the child is looked after from the earliest
episode's DECOM that the returns show. Successive returns overlap (an episode open on 31
March is in both years' returns), so a child's episodes are kept across imports (the
ledger's state for the child) and merged: an episode is named by its DECOM; the return of the
later year wins where two disagree, and an episode that a return of its own year or a later
one should hold but does not is gone (the council corrected it).

From the merged episodes: a care period starts at an episode with RNE ``S`` or with no
episode before it in the same period; a placement starts with a period and at RNE P, T, B or
U; at DEC, unless REC is X1, the placement and the period end; with X1 the placement ends only
if the next episode changes placement. An unreadable RNE is read from the placements around
it; a DEC without a REC ends care unless the next episode begins that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import astuple, dataclass, replace
from typing import Any

from agencies._fields import FieldError, Row, midnight
from agencies._format import Draft, Notice
from agencies.local_authority.ssda903 import _codes as codes
from agencies.local_authority.ssda903._tables import year_bounds

NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class Episode:
    decom: dt.date
    n: int  # 0, or 1, 2... for a later episode beginning the same day
    rne: str | None
    ls: str | None
    place: str | None
    placement_type: str
    provider: str | None
    district: str | None
    urn: str | None
    dec: dt.date | None
    rec: str | None
    year: int  # the return it was read from (2018 for 2017/18)

    @property
    def name(self) -> str:
        return self.decom.isoformat() + (f"#{self.n}" if self.n else "")

    @property
    def placement_ref(self) -> str:
        """The home's URN; for placements without one the code and district, which the
        episodes of one placement share (RNE L repeats them)."""
        return self.urn or f"{self.place or '-'}:{self.district or '-'}"

    def state(self) -> list[Any]:
        return [
            value.isoformat() if isinstance(value, dt.date) else value for value in astuple(self)
        ]

    @classmethod
    def from_state(cls, values: list[Any]) -> Episode:
        decom, n, rne, ls, place, kind, provider, district, urn, dec, rec, year = values
        ended = dt.date.fromisoformat(dec) if dec else None
        start = dt.date.fromisoformat(decom)
        return cls(start, n, rne, ls, place, kind, provider, district, urn, ended, rec, year)

    def overlaps(self, year: int) -> bool:
        first, last = year_bounds(year)
        return self.decom <= last and (self.dec is None or self.dec >= first)


Notes = list[Notice]


def parse(row: Row, year: int, n: int, now: dt.datetime, notes: Notes) -> Episode:
    """One Episodes row. Raises FieldError only where no valid fact could be made of it; a
    bad optional value is dropped with a notice."""

    def note(column: str, rule: str, reason: str) -> None:
        notes.append(Notice(row.file, row.line, column, rule, reason))

    decom = row.date("DECOM")
    assert decom is not None
    if midnight(decom) > now:
        raise FieldError("DECOM", "is in the future")
    dec = row.date("DEC", required=False)
    if dec is not None and dec < decom:
        raise FieldError("DEC", "is before DECOM")
    if dec is not None and midnight(dec) > now:
        note("DEC", "date", "is in the future: the episode is read as open")
        dec = None
    rne = _code(row, "RNE", codes.RNE, note, "the reason is read from the episodes around it")
    ls = _code(row, "LS", codes.LS, note, f"the legal status is {NOT_RECORDED!r}")
    place = row.raw("PLACE").upper() or None
    if place in codes.PLACE:
        kind = codes.PLACE[place]
    elif place in codes.OLD_PLACE:
        kind, meaning = codes.OLD_PLACE[place]
        note(
            "PLACE",
            "older DfE code",
            f"a code of returns before 2015/16, {meaning}: read as {kind}",
        )
    else:
        kind = "other"
        reason = "is empty" if place is None else "is not a DfE placement code"
        note("PLACE", "DfE rule 103/PLACE", f"{reason}: the placement type is 'other'")
        place = None
    provider = _code(row, "PLACE_PROVIDER", codes.PROVIDER, note, "the provider is not kept")
    district = _optional(row, "PL_POST", row.postcode_district, note)
    urn = row.raw("URN").upper()
    if len(urn) > 100:
        note("URN", "URN", "is longer than 100 characters: not kept")
        urn = ""
    rec = row.raw("REC").upper() or None
    if dec is None and rec is not None:
        note("REC", "DfE rule 148", "is given but DEC is empty (the episode is open): REC dropped")
        rec = None
    elif dec is not None and rec is None:
        note(
            "REC",
            "DfE rule 148",
            "is empty but DEC is given: read as X1 if the next episode"
            " begins that day, else as the end of care",
        )
    elif rec is not None and rec not in codes.REC:
        if rec in codes.OLD_REC:
            if year > codes.OLD_REC_LAST_YEAR:
                note(
                    "REC",
                    "older DfE code",
                    f"{codes.OLD_REC[rec]}, a code of returns up to 2018/19: kept as given",
                )
        else:
            note(
                "REC",
                "DfE rule 149/REC",
                f"is not a DfE reason code: the reason is {NOT_RECORDED!r}",
            )
            rec = NOT_RECORDED
    return Episode(
        decom,
        n,
        rne,
        ls,
        place,
        kind,
        provider,
        district,
        None if urn in codes.NO_URN else urn,
        dec,
        rec,
        year,
    )


def _code(
    row: Row, column: str, known: dict[str, str], note: Callable[[str, str, str], None], then: str
) -> str | None:
    value = row.raw(column).upper()
    if value in known:
        return value
    note(
        column, f"DfE {column} code", f"{'is empty' if not value else 'is not a DfE code'}: {then}"
    )
    return None


def _optional(
    row: Row, column: str, parse: Callable[[str], str | None], note: Callable[[str, str, str], None]
) -> str | None:
    try:
        return parse(column)
    except FieldError as error:
        note(column, column, f"{error.reason}: not kept")
        return None


def number(read: list[Episode]) -> list[Episode]:
    """Name the episodes of one child that begin on the same day: the one that lasts beyond
    the day is ``n`` 0 in every return that shows it; those that end that day (a placement of
    hours) are 1, 2... in the order given. A return shows each the same way, whatever its
    year, since an episode ending on its first day ends within that return's year."""
    named: list[Episode] = []
    by_day: dict[dt.date, list[Episode]] = {}
    for episode in read:
        by_day.setdefault(episode.decom, []).append(episode)
    for day in by_day.values():
        short = [e for e in day if e.dec == e.decom]
        lasting = [e for e in day if e.dec != e.decom]
        named += [replace(e, n=i) for i, e in enumerate(short, start=1)]
        named += [replace(e, n=0 if i == 0 else len(short) + i) for i, e in enumerate(lasting)]
    return named


def order(episode: Episode) -> tuple[dt.date, int, int]:
    """Episodes in the order they happened: on one day, those that ended that day first."""
    return episode.decom, 0 if episode.dec == episode.decom else 1, episode.n


def merge(known: list[Episode], read: list[Episode], year: int, years: list[int]) -> list[Episode]:
    """The child's episodes after a return of ``year`` that shows ``read`` of them, given
    the years of the returns that showed the child before (``years``).

    An episode open at the end of one year's return must be in the next year's (every
    episode open during a year is), so: one that the next year's return, already imported,
    does not show was corrected away there, and is not added; one known open at the end of
    the year before this return's that this return does not show is gone. An episode this
    return's year showed before and this one does not (a resubmission) is gone too. Where
    two returns show the same episode, the later year's wins.
    """
    merged = {(e.decom, e.n): e for e in known}
    for episode in read:
        old = merged.get((episode.decom, episode.n))
        if old is not None:
            if old.year <= year:
                merged[episode.decom, episode.n] = episode
        elif not (episode.dec is None and year + 1 in years):
            merged[episode.decom, episode.n] = episode
    shown = {(e.decom, e.n) for e in read}
    for key, old in list(merged.items()):
        if key not in shown and (
            (old.year == year and old.overlaps(year)) or (old.dec is None and old.year == year - 1)
        ):
            del merged[key]
    return sorted(merged.values(), key=order)


Person = dict[str, Any]  # the contract's child object
Payload = dict[str, Any]
UascOn = Callable[[dt.date], bool]


def facts(episodes: list[Episode], person: Person, uasc_on: UascOn) -> list[Draft]:
    """The care periods and placements the child's episodes make, in order."""
    ends = [
        _ends_care(e, episodes[i + 1] if i + 1 < len(episodes) else None)
        for i, e in enumerate(episodes)
    ]
    starts = [i == 0 or ends[i - 1] or e.rne == "S" for i, e in enumerate(episodes)]
    moves = [starts[i] or _moves(e, episodes[i - 1]) for i, e in enumerate(episodes)]
    drafts = []
    for i, e in enumerate(episodes):
        at = midnight(e.decom)

        def draft(role: str, event_type: str, when: dt.datetime, payload: Payload) -> Draft:
            return Draft(f"{e.name}.{role}", event_type, when, person, payload)  # noqa: B023

        if starts[i]:
            payload = {"legal_status": e.ls or NOT_RECORDED, "uasc": uasc_on(e.decom)}
            drafts.append(draft("period_started", "care.period_started", at, payload))
        if moves[i]:
            placement: Payload = {
                "placement_ref": e.placement_ref,
                "placement_type": e.placement_type,
            }
            if e.provider:
                placement["provider"] = codes.PROVIDER[e.provider]
            if e.district:
                placement["postcode_district"] = e.district
            drafts.append(draft("placement_started", "care.placement_started", at, placement))
        if e.dec is None:
            continue
        ceased = midnight(e.dec)
        if ends[i] or (i + 1 < len(episodes) and moves[i + 1]):
            ended = {"placement_ref": e.placement_ref}
            drafts.append(draft("placement_ended", "care.placement_ended", ceased, ended))
        if ends[i]:
            reason = {"reason": e.rec or NOT_RECORDED}
            drafts.append(draft("period_ended", "care.period_ended", ceased, reason))
    return drafts


def _ends_care(episode: Episode, following: Episode | None) -> bool:
    if episode.dec is None or episode.rec == "X1":
        return False
    if episode.rec is None:  # DEC without REC: care goes on only if an episode follows at once
        return following is None or following.decom != episode.dec
    return True


def _moves(episode: Episode, before: Episode) -> bool:
    if episode.rne is None:
        return (episode.place, episode.placement_ref) != (before.place, before.placement_ref)
    return episode.rne in codes.PLACEMENT_CHANGES
