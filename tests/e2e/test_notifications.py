"""Notifications end to end: ``hub serve`` as an operator runs it (its own nats-server with the
agencies' keys, the writer, the projector and the notifier), agencies publishing and reading
with their own credentials, as ``../shared/spec/notifications.md`` says they do."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import nats
import orjson

from contracts import notifications as n
from contracts.examples import example_event, nhs_number
from tests.e2e.conftest import HubCommand, serving_url
from tests.support import connect, eventually, login, publish

NOTICES = "SAFEGUARDING_NOTICES"


def _at(hours_ago: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)).isoformat()


class City:
    """Children as the agencies hold them: child ``k`` is ``LA-k`` at the council and ``P-k``
    at the police, and both recorded the NHS number, so the hub knows them as one child."""

    @staticmethod
    def council(k: int) -> dict[str, Any]:
        return {"ids": {"la_child_id": f"LA-{k}", "nhs_number": nhs_number(k)}}

    @staticmethod
    def police(k: int) -> dict[str, Any]:
        return {"ids": {"police_person_id": f"P-{k}", "nhs_number": nhs_number(k)}}

    def looked_after(self, k: int, hours_ago: float = 24 * 5) -> dict[str, Any]:
        return example_event(
            "care.period_started", occurred_at=_at(hours_ago), child=self.council(k)
        )

    def reported(
        self, k: int, ref: str, hours_ago: float, risk: str = "medium", **changes: Any
    ) -> dict[str, Any]:
        return example_event(
            "missing.reported",
            occurred_at=_at(hours_ago),
            child=self.police(k),
            episode_ref=ref,
            last_seen_at=_at(hours_ago),
            risk=risk,
            **changes,
        )

    def found(self, k: int, ref: str, hours_ago: float) -> dict[str, Any]:
        return example_event(
            "missing.found",
            occurred_at=_at(hours_ago),
            child=self.police(k),
            episode_ref=ref,
            found_at=_at(hours_ago),
        )


async def _read(url: str, agency: str, wait: float = 3.0) -> list[dict[str, Any]]:
    """Everything on ``agency``'s notices consumer now, read with its own credentials, until
    nothing more arrives for ``wait`` seconds."""
    client = await connect(url, agency)
    try:
        pull = await client.jetstream().pull_subscribe_bind(f"notices_{agency}", stream=NOTICES)
        received: list[dict[str, Any]] = []
        while True:
            try:
                batch = await pull.fetch(100, timeout=wait)
            except TimeoutError:  # nats-py raises either kind
                return received
            for message in batch:
                received.append(orjson.loads(message.data))
                await message.ack()
    finally:
        await client.close()


async def _until(url: str, agency: str, want: int, timeout: float = 60) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        got += await _read(url, agency, wait=1.0)
    return got


async def _stored_on(url: str, subjects: str) -> Counter[str]:
    """How many messages the notices stream holds on each subject matching ``subjects``
    (asked as the hub: an agency cannot see the stream)."""
    client = await connect(url)
    try:
        info = await client.jetstream().stream_info(NOTICES, subjects_filter=subjects)
        return Counter(info.state.subjects or {})
    finally:
        await client.close()


def _kinds(received: list[dict[str, Any]]) -> Counter[str]:
    return Counter(body["kind"] for body in received)


async def test_each_kind_reaches_only_its_agency_naming_the_child_in_its_own_terms(
    hub_command: HubCommand, tmp_path: Path
) -> None:
    server = hub_command.serve(tmp_path / "serve.log")
    url = serving_url(hub_command, server)
    city = City()
    cse = example_event(  # 20 days before EP-3's last_seen_at
        "cse.concern_raised", occurred_at=_at(24 * 20 + 6), child=city.police(1), agency="police"
    )
    ed = example_event(
        "health.concern_raised",
        occurred_at=_at(1),
        child={"ids": {"nhs_number": nhs_number(1)}},
        setting="emergency_department",
    )
    first = city.reported(1, "EP-1", hours_ago=24 * 30)  # too old to be news: nothing
    second = city.reported(1, "EP-2", hours_ago=24 * 3, risk="high")
    third = city.reported(1, "EP-3", hours_ago=6, risk="low")  # the 3rd in 90 days; CSE
    found = city.found(1, "EP-3", hours_ago=2)
    stranger = city.reported(2, "EP-9", hours_ago=5, risk="low")  # not looked after
    await publish(url, city.looked_after(1, hours_ago=24 * 60), cse)
    await asyncio.sleep(1.5)  # the council's record first, as it was
    await publish(url, first, second, third, found, stranger, ed)

    council = await _until(url, "local_authority", 6)
    council += await _read(url, "local_authority", wait=3)
    assert _kinds(council) == {
        n.LOOKED_AFTER_CHILD_REPORTED: 2,  # EP-2 and EP-3 (EP-1 is a month old)
        n.LOOKED_AFTER_CHILD_FOUND: 1,
        n.RISK_REVIEW_ADVISED: 1,  # EP-3: graded low with a CSE concern 20 days before
        n.REPEAT_THRESHOLD_REACHED: 1,  # EP-3 is the 3rd episode in 90 days
        n.ATTENDANCE_OF_CHILD_KNOWN_TO_CARE: 1,
    }
    for body in council:
        assert body["agency"] == "local_authority"
        assert body["child"]["ids"] == {"la_child_id": "LA-1", "nhs_number": nhs_number(1)}
        assert set(body) == {
            "notification_id", "kind", "agency", "child", "cause", "detail", "raised_at"
        }  # fmt: skip
        assert dt.datetime.fromisoformat(body["raised_at"]).utcoffset() is not None
    by_kind = {body["kind"]: body for body in council}
    reported = [b for b in council if b["kind"] == n.LOOKED_AFTER_CHILD_REPORTED]
    assert {b["cause"]["event_id"] for b in reported} == {second["event_id"], third["event_id"]}
    found_notice = by_kind[n.LOOKED_AFTER_CHILD_FOUND]
    assert found_notice["cause"] == {
        "event_id": found["event_id"],
        "event_type": "missing.found",
        "agency": "police",
        "occurred_at": found_notice["cause"]["occurred_at"],
    }
    found_at = dt.datetime.fromisoformat(found_notice["detail"]["found_at"])
    due = dt.datetime.fromisoformat(found_notice["detail"]["return_interview_due_by"])
    assert due - found_at == dt.timedelta(hours=72)
    assert found_notice["notification_id"] == str(
        n.notification_id(found["event_id"], n.LOOKED_AFTER_CHILD_FOUND, "local_authority")
    )
    review = by_kind[n.RISK_REVIEW_ADVISED]["detail"]
    assert review["risk"] == "low" and review["cse_concern_days_ago"] == 20
    assert by_kind[n.REPEAT_THRESHOLD_REACHED]["detail"] == {
        "episodes_in_window": 3,
        "window_days": 90,
        "threshold": 3,
    }
    assert by_kind[n.ATTENDANCE_OF_CHILD_KNOWN_TO_CARE]["detail"]["looked_after"] is True

    police = await _read(url, "police")
    assert _kinds(police) == {n.RISK_REVIEW_ADVISED: 1, n.REPEAT_THRESHOLD_REACHED: 1}
    for body in police:
        assert body["child"]["ids"] == {"police_person_id": "P-1", "nhs_number": nhs_number(1)}
    assert await _read(url, "health", wait=1) == []
    assert await _read(url, "education", wait=1) == []

    # Nobody reads another agency's notifications: the server refuses police's subscription.
    refused: list[Exception] = []

    async def error(e: Exception) -> None:
        refused.append(e)

    client = await nats.connect(url, error_cb=error, **login(url, "police"))
    try:
        await client.subscribe(n.notify_subject("local_authority", ">"))
        await client.flush()
        await eventually(lambda: refused, timeout=5)
        assert "permissions violation" in str(refused[0]).lower()
    finally:
        await client.close()

    # The operator's list: what was sent, without the child's identifiers.
    listed = hub_command.json("notifications", "--agency", "local_authority")
    assert isinstance(listed, list) and len(listed) == len(council)
    text = orjson.dumps(listed).decode()
    assert "LA-1" not in text and nhs_number(1) not in text


async def test_overdue_is_raised_by_the_clock_and_a_retraction_withdraws(
    hub_command: HubCommand, tmp_path: Path
) -> None:
    server = hub_command.serve(tmp_path / "serve.log")
    url = serving_url(hub_command, server)
    city = City()
    await publish(url, city.looked_after(1), city.looked_after(2), city.looked_after(3))
    await asyncio.sleep(1.5)
    late = city.reported(1, "EP-1", hours_ago=90)
    interviewed = city.reported(2, "EP-2", hours_ago=90)
    retracted = city.reported(3, "EP-3", hours_ago=4)
    completed = example_event(
        "return_interview.completed", occurred_at=_at(75), child=city.council(2), episode_ref="EP-2"
    )
    started = time.monotonic()
    await publish(
        url,
        late,
        city.found(1, "EP-1", hours_ago=80),  # due 8 hours ago, no interview: overdue
        interviewed,
        city.found(2, "EP-2", hours_ago=80),
        completed,  # 5 hours after found: on time, nothing overdue
        retracted,
    )
    council = await _until(url, "local_authority", 6, timeout=75)
    overdue = [b for b in council if b["kind"] == n.RETURN_INTERVIEW_OVERDUE]
    assert time.monotonic() - started < 60 + 5  # within a minute of falling due
    assert len(overdue) == 1 and overdue[0]["detail"]["episode_ref"] == "EP-1"
    assert overdue[0]["child"]["ids"]["la_child_id"] == "LA-1"
    raised = {b["cause"]["event_id"]: b for b in council if b["kind"] != n.RETURN_INTERVIEW_OVERDUE}
    assert retracted["event_id"] in raised

    await publish(
        url,
        example_event(
            "record.retracted",
            agency="police",
            target_event_id=retracted["event_id"],
            reason="entered twice",
        ),
    )
    [withdrawn] = await _until(url, "local_authority", 1)
    assert withdrawn["kind"] == n.WITHDRAWN
    assert withdrawn["withdraws"] == raised[retracted["event_id"]]["notification_id"]
    assert withdrawn["child"]["ids"]["la_child_id"] == "LA-3"
    assert await _read(url, "local_authority", wait=20) == []  # EP-2 never overdue


async def test_a_hub_killed_after_the_fact_is_stored_sends_the_notification_once(
    tmp_path: Path,
) -> None:
    """SIGKILL between the fact's commit and the notification's publish: the fact is stored and
    projected by a hub that is not notifying, then that hub is killed; the next one sends it,
    once, and a third, killed after sending, sends nothing again."""
    data = tmp_path / "hub"
    city = City()
    report = city.reported(1, "EP-1", hours_ago=2)

    quiet = HubCommand(data, HUB_NOTIFY="false")
    try:
        server = quiet.serve(tmp_path / "quiet.log")
        url = serving_url(quiet, server)
        await publish(url, city.looked_after(1))
        await asyncio.sleep(1.5)
        await publish(url, report)

        def projected() -> bool:
            status = quiet.run("status", "--format", "json")
            held = orjson.loads(status.stdout) if status.returncode == 0 else {}
            return held.get("stored") == 2 and (held.get("projected") or 0) >= 2

        await eventually(projected, timeout=30, every=0.5)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        (data / "nats.url").unlink(missing_ok=True)  # a killed hub leaves it behind
    finally:
        quiet.stop()

    for run in ("first", "second"):
        command = HubCommand(data)
        try:
            server = command.serve(tmp_path / f"{run}.log")
            url = await asyncio.to_thread(serving_url, command, server)
            if run == "first":
                [body] = await _until(url, "local_authority", 1)
                assert body["cause"]["event_id"] == report["event_id"]
            else:
                assert await _read(url, "local_authority", wait=8) == []
            held = await _stored_on(url, n.notify_subject("local_authority", ">"))
            assert sum(held.values()) == 1, held
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=10)
            (data / "nats.url").unlink(missing_ok=True)  # a killed hub leaves it behind
        finally:
            command.stop()
    assert uuid.UUID(body["notification_id"]) == n.notification_id(
        report["event_id"], n.LOOKED_AFTER_CHILD_REPORTED, "local_authority"
    )


async def test_overdue_falls_due_while_serving_and_after_a_restart(
    hub_command: HubCommand, tmp_path: Path
) -> None:
    """A deadline that passes while ``hub serve`` runs is raised within a minute of passing; one
    that passes while no hub runs, within a minute of the next start."""
    city = City()
    window = 72 * 3600
    soon, later = 20.0, 55.0  # seconds from now until each falls due
    server = hub_command.serve(tmp_path / "serve.log")
    url = serving_url(hub_command, server)
    await publish(url, city.looked_after(1), city.looked_after(2))
    await asyncio.sleep(1.5)
    due_soon = time.monotonic() + soon
    due_later = time.monotonic() + later
    await publish(
        url,
        city.reported(1, "EP-1", hours_ago=80),
        city.found(1, "EP-1", hours_ago=(window - soon) / 3600),
        city.reported(2, "EP-2", hours_ago=80),
        city.found(2, "EP-2", hours_ago=(window - later) / 3600),
    )
    council = await _until(url, "local_authority", 5, timeout=soon + 65)
    arrived = time.monotonic()
    assert _kinds(council)[n.RETURN_INTERVIEW_OVERDUE] == 1, _kinds(council)
    [overdue] = [b for b in council if b["kind"] == n.RETURN_INTERVIEW_OVERDUE]
    assert overdue["detail"]["episode_ref"] == "EP-1"
    assert due_soon <= arrived <= due_soon + 60 + 5  # not before it fell due; within a minute
    hub_command.stop()  # no hub while EP-2's interview falls due
    (Path(hub_command.env["HUB_DATA_DIR"]) / "nats.url").unlink(missing_ok=True)
    await asyncio.sleep(max(0.0, due_later - time.monotonic()) + 5)

    restarted = hub_command.serve(tmp_path / "again.log")
    url = await asyncio.to_thread(serving_url, hub_command, restarted)
    back = time.monotonic()
    [late] = await _until(url, "local_authority", 1, timeout=65)
    assert time.monotonic() - back <= 60 + 5
    assert late["kind"] == n.RETURN_INTERVIEW_OVERDUE and late["detail"]["episode_ref"] == "EP-2"
    assert await _read(url, "local_authority", wait=2) == []  # and nothing again
