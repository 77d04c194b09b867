"""What the SSDA903 adapter reads, table by table and column by column, for the formats
document (``docs/agency-formats.md``), including what it does not read and why."""

from __future__ import annotations

from agencies._format import Column
from agencies.local_authority.ssda903 import _codes as codes
from agencies.local_authority.ssda903._tables import NOT_READ

SUMMARY = (
    "The DfE's SSDA903 return as the council sends it: a folder of its CSV tables, named"
    " anyhow (each is known by its columns, as the DfE's tools and LIIA's do), or the return"
    " as XML. One year's return holds every episode open during the year; import each year's"
    " as it comes, in any order: a child's episodes are kept across returns, so a child in care"
    " since before the year (no RNE S row) is looked after from the earliest DECOM the returns"
    " show. Episodes become care periods and placements; the Header's UPN links the child to"
    " education's records; the UASC table sets `uasc` on care periods and a past DUC becomes"
    " `care.uasc_status_changed`; the Missing table becomes `care.missing_recorded`. The DfE's"
    " validation rules for the return's year are run on every import (with the `dfe` extra)"
    " and each broken rule is reported by its code and line."
)

HEADER = (
    Column("CHILD", "the council's child reference (la_child_id)", required=True),
    Column("SEX", "1 male, 2 female; another value is dropped with a warning", codes=codes.SEX),
    Column("DOB", "date of birth, DD/MM/YYYY (the forum's age band); unreadable: dropped"),
    Column(
        "UPN",
        "Unique Pupil Number: links the child to schools' records. UN1-UN10 (no UPN,"
        " and why) are none; one whose check letter fails is dropped with a warning",
    ),
    Column("ETHNIC, MOTHER, MC_DOB", "not read: the contract has no field for them"),
)
EPISODES = (
    Column("CHILD", "the council's child reference", required=True),
    Column("DECOM", "date the episode began, DD/MM/YYYY; an episode is named by it", required=True),
    Column(
        "RNE",
        "reason for new episode: S started to be looked after; L legal status only;"
        " P, T, B, U a change of placement. Another value: read from the placements around"
        " it. RNE L changes of legal status are kept in the child's episodes and counted in"
        " the summary; contract v1 has no event for them",
        codes=codes.RNE,
    ),
    Column(
        "LS",
        "legal status, sent as the care period's legal_status; empty or unknown: 'not recorded'",
        codes=codes.LS,
    ),
    Column(
        "PLACE",
        "placement type (codes below; older returns' codes are mapped)",
        codes={**codes.PLACE, **{k: v for k, (v, _) in codes.OLD_PLACE.items()}},
        table=True,
    ),
    Column(
        "PLACE_PROVIDER",
        "PR0-PR5, kept as the placement's provider",
        codes=codes.PROVIDER,
        table=True,
    ),
    Column("PL_POST", "placement postcode, full or partial; only its district is kept"),
    Column("URN", "Ofsted URN of the placement (its reference); XXXXXXX when it has none"),
    Column("DEC", "date the episode ceased; empty while open"),
    Column(
        "REC",
        "reason episode ceased (E11-E9, X1 a new episode follows; E43/E44 of"
        " 2017-2019 kept as given); on an open episode dropped (DfE rule 148)",
        codes=codes.REC,
    ),
    Column(
        "REASON_PLACE_CHANGE",
        "why a placement changed (ALLEG, CARPL, ...): counted in the"
        " import summary; contract v1's care.placement_ended has no reason field",
        codes=codes.REASON_PLACE_CHANGE,
    ),
    Column("CIN, HOME_POST", "not read: need (CIN) and the home postcode are not shared"),
)
UASC = (
    Column("CHILD", "the council's child reference", required=True),
    Column(
        "DUC",
        "date the child ceased to be UASC; a date still to come (the expected 18th"
        " birthday) is no event yet",
    ),
    Column("SEX, DOB", "not read: the Header's are"),
)
MISSING = (
    Column("CHILD", "the council's child reference", required=True),
    Column(
        "MISSING",
        "M missing (whereabouts unknown) or A away from placement without authorisation",
        required=True,
        codes=codes.MISSING,
    ),
    Column("MIS_START", "the day the period began", required=True),
    Column("MIS_END", "the day it ended; empty while open"),
    Column("DOB", "not read: the Header's is"),
)
TABLES = (("Header", HEADER), ("Episodes", EPISODES), ("UASC", UASC), ("Missing", MISSING))

NOTES = (
    "Dates are DD/MM/YYYY as the DfE specifies (YYYY-MM-DD is accepted too), stamped at"
    " their London midnight.",
    "The return's year is the financial year of its median DEC, or of its latest DECOM where"
    " that is later; `--year 2017/18` says it. Where two returns show one episode (open on 31"
    " March), the later year's wins; an episode a return of its year, or of the year after"
    " one that showed it open, should show and does not is retracted.",
    "Header and Episodes are needed; UASC and Missing when the council has any (a table not"
    " given is not read as 'no such children', even with --snapshot).",
    "Only what cannot become a valid event is refused (no CHILD, an unreadable DECOM or"
    " MIS_START, a DEC before DECOM, a MISSING that is not M or A). A bad optional value is"
    " dropped with a warning naming the file, line, column and rule; the row is kept.",
    "--snapshot takes the return to be the council's whole record: use it only with an"
    " extract of every year, or children of other years would be retracted.",
    *(f"Table {table} is not read: {why}." for table, why in NOT_READ.items()),
)
