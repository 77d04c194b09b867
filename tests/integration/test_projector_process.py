"""The projector's process under ``hub serve``: started again when it dies, and a projector
that cannot open its store says why before it exits."""

from __future__ import annotations

import functools
import os
import signal
import time

from hub.bootstrap import build_projector
from hub.config import Settings
from hub.entrypoints.projector import SupervisedProjector
from hub.errors import StoreUnavailable
from hub.feed import FactFeed
from projections import ProjectionStore

_TEXT = "the event store cannot be opened (a text that may quote a setting)"


def _unopenable() -> tuple[FactFeed, ProjectionStore]:
    raise StoreUnavailable(_TEXT)


def _wait(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_killed_projector_is_started_again(sqlite_settings: Settings) -> None:
    projector = SupervisedProjector(
        functools.partial(build_projector, sqlite_settings), 0.1, "INFO"
    )
    try:
        first = projector.current.process.pid
        assert first is not None
        projector.check()
        assert projector.restarts == 0
        os.kill(first, signal.SIGKILL)
        _wait(lambda: not projector.alive)
        projector.check()
        assert projector.restarts == 1 and projector.alive
        assert projector.current.process.pid != first
    finally:
        projector.close()


def test_a_projector_that_cannot_start_exits_and_is_retried_less_often(capfd: object) -> None:
    projector = SupervisedProjector(_unopenable, 0.1, "INFO")
    try:
        _wait(lambda: not projector.alive)
        assert projector.current.process.exitcode == 3
        projector.check()
        assert projector.restarts == 1
        _wait(lambda: not projector.alive)
        projector.check()  # died again at once: the next start waits (2 s, then 4 s, ...)
        assert projector.restarts == 1
        _wait(lambda: (projector.check(), projector.restarts)[1] == 2, timeout=10)
    finally:
        projector.close()
    said = capfd.readouterr().err  # type: ignore[attr-defined]
    assert "the projector stopped on a fault: StoreUnavailable (text withheld)" in said
    assert "cannot be opened" not in said
