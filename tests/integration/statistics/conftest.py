from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import Settings
from tests.history import History


@pytest.fixture
def history(tmp_path: Path) -> History:
    """An empty SQLite store and projection; the hub's clock after every event below."""
    return History(Settings(data_dir=tmp_path / "hub", writer="thread")).at(
        "2020-01-01T00:00:00+00:00"
    )
