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

import agencies
from agencies._ledger import SourceLedger
from agencies._plan import Planner
from hub.config import Settings
from tests.history import History

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
    if sample == "liia-tools":  # 2019/20, and no UASC or Missing table
        assert history.figures("missing-occasions", "2019/20")["all.total"] == 0
        return
    assert history.figures("uasc-looked-after", "2017/18")["total"] == expected_uasc(folder)
    assert history.figures("looked-after-missing", "2017/18") == expected_missing(folder)


def test_the_validators_xml_return_imports_as_its_csv_tables_would(tmp_path: Path) -> None:
    history, planner = imported(tmp_path, SAMPLES / "csc-validator-be-903" / "fake_903.xml")
    assert planner.counts.rows > 500 and planner.counts.refused == 0
    # Its six AMISSING periods, all of 2017/18 or later, are the council's records.
    figures = history.figures("looked-after-missing", "2017-04-01..2019-03-31")
    assert figures["total"] == 6


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
