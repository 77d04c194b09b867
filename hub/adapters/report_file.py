"""Where ``hub serve`` leaves its health report for ``hub status`` on the same host: a small
JSON file in the data folder, replaced whole each time (never read half-written), readable by
its owner only."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import orjson

from hub.adapters.private_file import write_private
from hub.service.health import Report


class ReportFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, report: Report) -> None:
        write_private(self.path, orjson.dumps(report.to_json()))

    def read(self) -> Report | None:
        """The last report, or None when there is none (or it is not one this hub wrote)."""
        try:
            return Report.from_json(orjson.loads(self.path.read_bytes()))
        except (OSError, ValueError, TypeError):
            return None

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def running(pid: int) -> bool:
    """Whether a process with this id is alive on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's
    return True
