"""The demo's last step, live: sharing back. The city's history is years old, and the hub tells
agencies what happens now, not what happened then (``docs/notifications.md``); so, while
``hub serve`` still runs, the council records a child as looked after, the police report that
child missing now, each with its own key, and the council reads, with its own key, what the
hub told it. What is printed names the identifiers' kinds, never their values.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from typing import Any

import orjson

import contracts
from agencies import Bus
from contracts.examples import nhs_number
from contracts.notifications import LA, POLICE
from hub.errors import HubError

WAIT = 30.0


class NotToldInTime(HubError):
    """The council's notification did not arrive within ``WAIT`` seconds."""


def _event(
    event_type: str, agency: str, at: dt.datetime, ids: dict[str, str], **payload: Any
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "schema_version": 1,
        "source": {"agency": agency, "system": "hub demo, live"},
        "occurred_at": at.isoformat(),
        "child": {"ids": ids},
        "payload": payload,
    }


async def _publish(bus: Bus, agency: str, body: dict[str, Any]) -> None:
    import nats

    client = await nats.connect(bus.url, **bus.options(agency))
    try:
        subject = contracts.subject_for(agency, body["event_type"])
        await client.jetstream().publish(
            subject, orjson.dumps(body), headers={"Nats-Msg-Id": body["event_id"]}
        )
    finally:
        await client.close()


async def shared_back(council: Bus, police: Bus) -> str:
    """One looked-after child reported missing now; the line that says what the council was
    told, and how soon."""
    import nats

    now = dt.datetime.now(dt.UTC)
    nhs = nhs_number(987_654)
    await _publish(
        council,
        LA,
        _event(
            "care.period_started",
            LA,
            now - dt.timedelta(days=40),
            {"la_child_id": "DEMO-LIVE-1", "nhs_number": nhs},
            legal_status="C2",
            uasc=False,
        ),
    )
    await asyncio.sleep(2)  # the council's record is the hub's before the report
    seen = now - dt.timedelta(hours=2)
    report = _event(
        "missing.reported",
        POLICE,
        seen,
        {"police_person_id": "DEMO-P-1", "nhs_number": nhs},
        episode_ref="DEMO-LIVE-EP-1",
        last_seen_at=seen.isoformat(),
        missing_from={"kind": "placement"},
        risk="medium",
        classification="missing",
    )
    reader = await nats.connect(council.url, **council.options(LA))
    try:
        pull = await reader.jetstream().pull_subscribe_bind(
            f"notices_{LA}", stream="SAFEGUARDING_NOTICES"
        )
        sent = time.perf_counter()
        await _publish(police, POLICE, report)
        while time.perf_counter() - sent < WAIT:
            try:
                batch = await pull.fetch(50, timeout=1)
            except TimeoutError:
                continue
            for message in batch:
                await message.ack()
                notice = orjson.loads(message.data)
                if notice.get("cause", {}).get("event_id") == report["event_id"]:
                    took = time.perf_counter() - sent
                    kinds = " and ".join(sorted(notice["child"]["ids"]))
                    return (
                        f"sharing back, live: the police reported a child the council looks"
                        f" after missing; the council was told in {took:.1f} s"
                        f" ({notice['kind']}, naming the child by its own {kinds})"
                    )
    finally:
        await reader.close()
    raise NotToldInTime(f"the council was not told within {WAIT:.0f} s: see serve.log")
