"""Fixtures of the fault-injection suite, and its figures: a table at the end of the run (in
``pytest -q`` output too) and, with ``HUB_FAULT_REPORT=FILE``, one JSON line per case."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.faults.harness import Figures, Hub, NatsServer, case_seed
from tests.support import postgres_schema

# Read at import: the suite's autouse fixture hides every HUB_* variable while a test runs.
REPORT = os.environ.get("HUB_FAULT_REPORT")
FIGURES: list[Figures] = []
_OUTCOME = pytest.StashKey[str]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[Any]:
    report = yield
    if report.when == "call" or (report.when == "setup" and not report.passed):
        item.stash[_OUTCOME] = report.outcome
    return report


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    """This case's figures; kept, whatever the outcome, for the summary and the report."""
    name = request.node.name
    record = Figures(case=name, seed=case_seed(name))
    print(f"{name}: seed {record.seed}")
    yield record
    record.result = request.node.stash.get(_OUTCOME, "?")
    FIGURES.append(record)
    if REPORT:
        with Path(REPORT).open("ab") as report:
            report.write(record.json() + b"\n")


@pytest.fixture
def nats_control(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server this test owns: it may kill it and start it again on the same port."""
    server = NatsServer(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema (skipped without a server; a failure in CI). Ask for it before
    ``make_hub``, so the hubs are stopped before the schema is dropped."""
    yield from postgres_schema()


@pytest.fixture
def make_hub(tmp_path: Path, nats_control: NatsServer) -> Iterator[Callable[..., Hub]]:
    """``make_hub(**env)``: a Hub on this test's NATS; whatever still runs is stopped after."""
    hubs: list[Hub] = []

    def make(**env: str) -> Hub:
        hub = Hub(tmp_path, nats_control.url, **env)
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.command.stop()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, list):
        return "/".join(_cell(v) for v in value) or "-"
    return str(value)


_COLUMNS = (
    ("case", "case"),
    ("result", "result"),
    ("seed", "seed"),
    ("valid", "valid"),
    ("inv", "invalid"),
    ("dup", "duplicates"),
    ("fault s", "fault_s"),
    ("recover s", "recover_s"),
    ("stop s", "stop_s"),
    ("stored@fault", "stored_at_fault"),
    ("case s", "case_s"),
)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    rows = [[_cell(getattr(f, attr)) for _, attr in _COLUMNS] for f in FIGURES]
    header = [title for title, _ in _COLUMNS]
    widths = [max(len(c) for c in column) for column in zip(header, *rows, strict=True)]
    write = terminalreporter.write_line
    terminalreporter.section("fault injection figures")
    for row in (header, *rows):
        write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    for record in FIGURES:
        write(f"{record.case}:")
        write(f"  during: {_short(record.status_during)}")
        write(f"  after:  {_short(record.status_after)}")
        if record.notes:
            write(f"  notes:  {_short(record.notes)}")
    if REPORT:
        write(f"(one JSON line per case appended to {REPORT})")


def _short(value: Any, limit: int = 600) -> str:
    text = orjson.dumps(value).decode() if value is not None else "-"
    return text if len(text) <= limit else text[: limit - 3] + "..."
