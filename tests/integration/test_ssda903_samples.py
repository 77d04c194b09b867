"""The SSDA903 returns the field's own tools made (../shared/data/ssda903-external: the
community 903 validator's fake data, a synthesizer's output, LIIA's samples, the validator's
XML), imported as a council would: through the adapter's planner into the hub's real intake,
store and projection. The expected figures are read from each sample's own tables here, by
the DfE's reading of a one-year return, not by the adapter's code."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import orjson
import pytest
from defusedxml import ElementTree

import agencies
from agencies._ledger import Ledger, SourceLedger
from agencies._plan import Planner
from agencies.local_authority.ssda903 import _dfe
from hub.config import Settings
from tests.history import History
from tests.integration.test_agency_imports import identifiers_in, readable

SAMPLES = Path(__file__).parents[3] / "shared" / "data" / "ssda903-external"
YEAR = (dt.date(2017, 4, 1), dt.date(2018, 3, 31))
NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="no ../shared/data here")


def _table(folder: Path, name: str) -> list[dict[str, str]]:
    path = folder / f"{name}.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig") as file:
        return list(csv.DictReader(file))


def _date(text: str) -> dt.date | None:
    return dt.datetime.strptime(text, "%d/%m/%Y").date() if text else None


def expected_uasc(folder: Path) -> int:
    """Children in the UASC table looked after at some moment of 2017/18 before their DUC:
    looked after from each episode's DECOM to its DEC (or still)."""
    duc = {r["CHILD"]: _date(r["DUC"]) for r in _table(folder, "uasc")}
    first, last = YEAR
    counted = set()
    for e in _table(folder, "episodes"):
        if e["CHILD"] not in duc:
            continue
        ends = [d for d in (_date(e["DEC"]), duc[e["CHILD"]]) if d and d <= NOW.date()]
        start = max(_date(e["DECOM"]) or first, first)
        if start <= last and all(start < end for end in ends):
            counted.add(e["CHILD"])
    return len(counted)


def expected_missing(folder: Path) -> dict[str, int]:
    first, last = YEAR
    rows = [r for r in _table(folder, "missing") if first <= _date(r["MIS_START"]) <= last]  # type: ignore[operator]
    return {
        "missing": sum(r["MISSING"] == "M" for r in rows),
        "away": sum(r["MISSING"] == "A" for r in rows),
        "total": len(rows),
        "children": len({r["CHILD"] for r in rows}),
    }


def imported(tmp_path: Path, path: Path) -> tuple[History, Planner]:
    """The return planned as ``hub import`` plans it, its messages recorded by the hub."""
    fmt = agencies.lookup("local_authority", "ssda903")
    planner = Planner(fmt, SourceLedger({}, {}), NOW)
    for item in fmt.items(path, planner.context):
        planner.add(item)
    planner.finish()
    history = History(Settings(data_dir=tmp_path / "hub", writer="thread"))
    history.at("2026-11-21T00:00:00+00:00")
    bodies = [orjson.loads(m.body) for m in planner.messages]
    for start in range(0, len(bodies), 1000):
        history.record(*bodies[start : start + 1000])
    return history, planner


@pytest.mark.parametrize("sample", ["csc-validator-be-903", "csc-data-synthesizer", "liia-tools"])
def test_a_sample_return_imports_and_its_figures_are_its_own_tables(
    tmp_path: Path, sample: str
) -> None:
    folder = SAMPLES / sample
    history, planner = imported(tmp_path, folder)
    counts = planner.counts
    assert counts.rows > 0 and counts.refused <= 0.05 * counts.rows, planner.refusals[:5]
    if sample == "liia-tools":  # 2019/20, no UASC or Missing table; dirty on purpose
        # Both children are looked after in 2019/20 (a bad LS, RNE and PL_POST only dropped),
        # none UASC, and the council records no missing period.
        looked_after = {
            orjson.loads(m.body)["child"]["ids"]["la_child_id"]
            for m in planner.messages
            if b'"care.period_started"' in m.body
        }
        assert looked_after == {e["CHILD"] for e in _table(folder, "SSDA903_2020_episodes")}
        assert history.figures("uasc-looked-after", "2019/20")["total"] == 0
        # No Missing table in this return: "no records held", never a zero taken for one.
        missing = history.ask("looked-after-missing", "2019/20")
        assert missing["records_held"]["held"] is False
        assert "care.missing_recorded" in missing["records_held"]["reason"]
        return
    assert history.figures("uasc-looked-after", "2017/18")["total"] == expected_uasc(folder)
    assert history.figures("looked-after-missing", "2017/18") == expected_missing(folder)


def test_the_validators_xml_return_imports_and_its_figures_are_its_own(tmp_path: Path) -> None:
    path = SAMPLES / "csc-validator-be-903" / "fake_903.xml"
    history, planner = imported(tmp_path, path)
    assert planner.counts.rows > 500 and planner.counts.refused == 0
    # The expected figures read from the XML itself: each CHILD's HEADER (UASC, DUC,
    # AMISSING) and EPISODEs, as for the CSV tables above.
    root = ElementTree.parse(path).getroot()
    first, last = YEAR
    uasc, missing = set(), []
    for node in root.iter("CHILD"):
        header = node.find("HEADER")
        assert header is not None
        child_id = header.findtext("CHILDID")
        for period in header.findall("AMISSING"):
            day = _date(period.findtext("MIS_START") or "")
            if day and first <= day <= last:
                missing.append((child_id, period.findtext("MISSING")))
        if header.findtext("UASC") != "1":
            continue
        duc = _date(header.findtext("DUC") or "")
        for episode in node.findall("EPISODE"):
            start = max(_date(episode.findtext("DECOM") or "") or first, first)
            ends = [d for d in (_date(episode.findtext("DEC") or ""), duc) if d and d <= NOW.date()]
            if start <= last and all(start < end for end in ends):
                uasc.add(child_id)
    assert history.figures("uasc-looked-after", "2017/18")["total"] == len(uasc) > 0
    assert history.figures("looked-after-missing", "2017/18") == {
        "missing": sum(kind == "M" for _, kind in missing),
        "away": sum(kind == "A" for _, kind in missing),
        "total": len(missing),
        "children": len({child for child, _ in missing}),
    }


def test_the_dfe_rules_are_reported_by_code_and_line() -> None:
    pytest.importorskip("lac_validator")
    folder = SAMPLES / "csc-data-synthesizer"
    fmt = agencies.lookup("local_authority", "ssda903")
    planner = Planner(fmt, SourceLedger({}, {}), NOW)
    for item in fmt.items(folder, planner.context):
        planner.add(item)
    planner.finish()
    assert planner.context.rules is not None and " run, " in planner.context.rules
    dfe = [n for n in planner.notices if n.rule.startswith("DfE rule ")]
    # Rule 148 (DEC and REC both given or both blank): the 318 open episodes with a REC.
    rec_on_open = [n for n in dfe if n.rule == "DfE rule 148" and "both be coded" in n.reason]
    assert len({n.line for n in rec_on_open}) >= 318
    assert all(n.line and n.line >= 2 for n in dfe if n.file.endswith(".csv"))


def test_the_ledger_keeps_no_childs_identifier_from_a_return(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each sample imported in turn into one ledger as ``hub import`` does it (the plan and its
    sealed outbox committed, then the outbox cleared as if acknowledged): neither while the
    outbox is pending nor after does the ledger's file hold a child's id, UPN or birth date;
    the last return imported again plans nothing."""
    # The DfE's rules (minutes on these returns) only add notices, which the ledger never keeps.
    monkeypatch.setattr(_dfe, "check", lambda found, la_code: ([], "not run: a test"))
    fmt = agencies.lookup("local_authority", "ssda903")
    path = tmp_path / "imports.sqlite"
    ledger = Ledger(path)
    found: set[str] = set()

    def planned(sample: Path) -> Planner:
        with ledger.lock(), ledger.source(fmt.source) as source_ledger:
            planner = Planner(fmt, source_ledger, NOW)
            for item in fmt.items(sample, planner.context):
                planner.add(item)
            planner.finish()
            source_ledger.outbox = list(planner.messages)
        return planner

    try:
        samples = [SAMPLES / name for name in ("csc-validator-be-903", "csc-data-synthesizer")]
        for sample in [*samples, SAMPLES / "liia-tools"]:
            planner = planned(sample)
            assert ledger.pending(fmt.source) == planner.messages
            found |= identifiers_in(planner.messages)
            assert readable(path, identifiers_in(planner.messages)) == [], "sealed while pending"
            ledger.sent(fmt.source)
        assert len(found) > 1000
        assert readable(path, found) == []
        assert planned(SAMPLES / "liia-tools").messages == []
    finally:
        ledger.close()
