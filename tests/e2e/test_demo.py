"""`hub demo`: a synthetic city through the real path (files, adapters, NATS, hub,
projections), ending with the seeds' published figures beside the hub's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import HubCommand


def test_the_demo_finds_every_published_figure(hub_command: HubCommand) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hub", "demo"],
        env=hub_command.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    figures = [line for line in out.splitlines() if line.startswith("  ") and " published " in line]
    assert len(figures) == 9 and all(line.endswith("same") for line in figures), out
    assert "3 rows refused" in out and "rejected" in out
    assert re.search(r"forum, 2021-12: \d+ episodes", out)
    # Sharing back, live: the council told in its own terms (kinds named, never values).
    assert re.search(
        r"the council was told in [\d.]+ s \(missing.looked_after_child_reported, naming the"
        r" child by its own la_child_id and nhs_number\)",
        out,
    ), out
    matched = re.findall(
        r"  20\d\d/\d\d  council +(\d+) .* matched +(\d+)  council only +(\d+)", out
    )
    assert len(matched) == 4 and all(int(m) + int(c) == int(t) > 0 for t, m, c in matched), out
    [page] = re.findall(r"wrote the forum pack: (\S+)", out)
    assert "<svg" in Path(page).read_text(encoding="utf-8")
    again = subprocess.run(
        [sys.executable, "-m", "hub", "demo"],
        env=hub_command.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert again.returncode == 2 and "already holds a hub" in again.stderr
