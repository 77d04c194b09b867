"""Children published with names, NHS numbers, UPNs, council and police references, dates of
birth and free text through the real path (``hub publish`` to a running ``hub serve``, its own
nats-server), then answered, packed, imported beside: no file under ``HUB_DATA_DIR`` (the
store and its WAL, the projection, the import ledger, JetStream's files, the web's and the
health report's) holds any of those values in clear or in a common encoding, while the hub is
running and after it stops. And the data protection officer can still read them back."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from contracts.examples import example_event
from tests.e2e.conftest import HubCommand
from tests.integration.test_at_rest import CHILD, FREE_TEXT, NAMES, NEEDLES, NHS, OTHER

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _event(event_type: str, **changes: Any) -> dict[str, Any]:
    body = example_event(event_type, occurred_at="2019-03-10T14:00:00+00:00", **changes)
    body["source"]["system"] = FREE_TEXT[6]
    return body


def _bodies() -> list[dict[str, Any]]:
    ended = _event("care.period_ended", child=CHILD, reason=FREE_TEXT[1])
    retracted = _event("record.retracted", target_event_id=ended["event_id"], reason=FREE_TEXT[5])
    retracted["source"]["agency"] = "local_authority"
    refused = {**_event("missing.found", child=CHILD), "payload": {"episode_ref": "EP-9"}}
    return [
        _event("care.period_started", child=CHILD, legal_status=FREE_TEXT[0]),
        _event("care.placement_started", child=CHILD, provider=FREE_TEXT[2], placement_ref="P9"),
        _event("allocation.opened", child=CHILD, worker_role=FREE_TEXT[3]),
        _event("missing.reported", child=CHILD, episode_ref="EP-9"),
        _event("police.crime_linked", child=CHILD, episode_ref="EP-9", offence_group=FREE_TEXT[4]),
        _event("identity.linked", child=CHILD, other=OTHER),
        ended,
        retracted,
        refused,  # not a valid missing.found: rejected, and kept sealed
    ]


def _in_clear(data: Path) -> dict[str, list[str]]:
    found = {}
    for path in sorted(p for p in data.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        hits = [value for value, forms in NEEDLES.items() if any(f in blob for f in forms)]
        if hits:
            found[str(path.relative_to(data))] = hits
    return found


def test_nothing_identifying_is_on_disk_through_the_real_path(
    hub_command: HubCommand, tmp_path: Path
) -> None:
    data = tmp_path / "hub"
    hub_command.env["HUB_ROLE"] = "internal"
    hub_command.serve(tmp_path / "serve.log")
    _wait_for((data / "nats.url").exists)
    by_agency: dict[str, list[bytes]] = {}
    for body in _bodies():
        by_agency.setdefault(body["source"]["agency"], []).append(orjson.dumps(body))
    for agency, lines in by_agency.items():
        jsonl = tmp_path / f"{agency}.jsonl"
        jsonl.write_bytes(b"\n".join(lines) + b"\n")
        published = hub_command.run("publish", "--agency", agency, str(jsonl))
        assert published.returncode == 0, published.stderr
    # An agency's export through the adapters too, so the import ledger is on disk.
    imported = hub_command.run(
        "import",
        "police",
        "missing-incidents",
        str(ROOT / "agencies/police/examples/missing-incidents.csv"),
    )
    assert imported.returncode in (0, 1), imported.stderr

    def settled() -> bool:
        status: Any = hub_command.json("status")
        return status["rejected"] == 1 and status.get("projected") == status["position"] > 8

    _wait_for(settled)
    assert hub_command.run("foi", "missing-occasions", "--period", "2017/18").returncode == 0
    assert hub_command.run("forum", "--month", "2018-03", "--threshold", "1").returncode == 0
    assert (data / "imports.sqlite").exists()

    assert _in_clear(data) == {}  # while it runs: the WAL, the open streams

    # What the hub holds can still be read by the one who may: subject access, by NHS number.
    access = hub_command.run("subject-access", "--child", NHS, "--format", "json")
    assert access.returncode == 0, access.stderr
    assert NAMES[0] in access.stdout and FREE_TEXT[2] in access.stdout

    hub_command.stop()
    assert _in_clear(data) == {}
    # The search is not blind: the files the agencies published from hold every value.
    published = {
        v for f, values in _in_clear(tmp_path).items() if f.endswith(".jsonl") for v in values
    }
    assert published == set(NEEDLES)
