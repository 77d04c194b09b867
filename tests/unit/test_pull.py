"""The fixed batch pull loop keeps every fetched message; FastStream 0.7.8's own loop does not.

No server: the subscriber is the real one a ``NatsRouter`` builds (never connected), reading
from a scripted stand-in for nats-py's ``PullSubscription``; ``consume`` is replaced by a
recorder, so what is asserted is exactly what the loop hands on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import nats.errors
import pytest
from faststream import AckPolicy
from faststream._internal.endpoint.subscriber.supervisor import TaskCallbackSupervisor
from faststream.nats import JStream, NatsBroker, NatsRouter, PullSub
from faststream.nats.subscriber.usecases.stream_pull_subscriber import BatchPullStreamSubscriber

from hub.adapters.pull import ReliableBatchPullStreamSubscriber, use_reliable_pull

Step = list[str] | BaseException | Callable[[], BaseException]


class ScriptedSubscription:
    """``fetch`` plays one step per call: a list is returned, an exception raised. After the
    script, one idle window (nats-py's own timeout), then the loop is stopped."""

    def __init__(self, subscriber: BatchPullStreamSubscriber, *steps: Step) -> None:
        self.subscriber = subscriber
        self.steps = [*steps, nats.errors.TimeoutError()]
        self.calls: list[float] = []

    async def fetch(self, batch: int = 1, timeout: float | None = 5) -> list[str]:
        self.calls.append(time.monotonic())
        await asyncio.sleep(0)
        if not self.steps:
            self.subscriber.running = False  # as the broker's stop does
            raise nats.errors.TimeoutError
        step = self.steps.pop(0)
        if isinstance(step, list):
            return step
        raise step() if callable(step) else step


def _subscriber(reliable: bool) -> BatchPullStreamSubscriber:
    router = NatsRouter()
    subscriber = router.subscriber(
        "safeguarding.v1.>",
        stream=JStream("SAFEGUARDING"),
        durable="hub",
        pull_sub=PullSub(10, timeout=5.0, batch=True),
        ack_policy=AckPolicy.MANUAL,
    )

    @subscriber
    async def handler(message: Any) -> None:
        return

    broker = NatsBroker(logger=logging.getLogger("test.pull"))
    broker.include_router(router)
    broker._setup_logger()  # as connecting would: the task supervisor logs through it
    assert isinstance(subscriber, BatchPullStreamSubscriber)
    return use_reliable_pull(subscriber) if reliable else subscriber


def _run(
    subscriber: BatchPullStreamSubscriber, *steps: Step
) -> tuple[ScriptedSubscription, list[list[str]]]:
    consumed: list[list[str]] = []

    async def consume(messages: list[str]) -> None:
        consumed.append(list(messages))

    subscription = ScriptedSubscription(subscriber, *steps)
    subscriber.subscription = subscription  # type: ignore[assignment]
    subscriber.consume = consume  # type: ignore[assignment,method-assign]
    subscriber.running = True
    return subscription, consumed


def test_use_reliable_pull_switches_the_class_of_the_same_object() -> None:
    subscriber = _subscriber(reliable=False)
    same = use_reliable_pull(subscriber)
    assert same is subscriber
    assert type(subscriber) is ReliableBatchPullStreamSubscriber
    assert isinstance(subscriber, BatchPullStreamSubscriber)
    assert use_reliable_pull(subscriber) is subscriber  # twice is harmless


def test_use_reliable_pull_refuses_other_subscribers_and_a_started_one() -> None:
    router = NatsRouter()
    one_by_one = router.subscriber("a.>", stream="S", durable="d", pull_sub=PullSub(10))
    with pytest.raises(TypeError, match="batch pull subscriber"):
        use_reliable_pull(one_by_one)
    started = _subscriber(reliable=False)
    started.running = True
    with pytest.raises(RuntimeError, match="before the broker starts"):
        use_reliable_pull(started)


async def test_a_plain_asyncio_timeout_keeps_the_fetched_messages() -> None:
    subscriber = _subscriber(reliable=True)
    subscription, consumed = _run(
        subscriber,
        ["m1", "m2"],
        TimeoutError(),  # = asyncio.TimeoutError, as nats-py's _fetch_n raises it
        ["m3"],
        nats.errors.TimeoutError(),
        ["m4"],
    )
    await subscriber._consume_pull()  # returns only once the script stops it
    assert consumed == [["m1", "m2"], ["m3"], ["m4"]]
    assert len(subscription.calls) == 7


@pytest.mark.parametrize(
    "error",
    [nats.errors.ConnectionClosedError, nats.js.errors.ServiceUnavailableError],
)
async def test_a_lost_connection_hands_on_the_fetched_messages_then_pauses(
    error: Callable[[], BaseException], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ReliableBatchPullStreamSubscriber, "retry_pause", 0.2)
    subscriber = _subscriber(reliable=True)
    subscription, consumed = _run(subscriber, ["m1", "m2"], error, error, ["m3"])
    await subscriber._consume_pull()
    assert consumed == [["m1", "m2"], ["m3"]]
    _, failed, failed_again, after, _, _ = subscription.calls
    assert failed_again - failed >= 0.2 and after - failed_again >= 0.2  # no busy loop


async def test_stock_loop_dies_on_a_plain_asyncio_timeout_and_drops_the_batch() -> None:
    """The bug: FastStream 0.7.8 catches only nats.errors.TimeoutError."""
    assert asyncio.TimeoutError is TimeoutError  # Python 3.11+
    subscriber = _subscriber(reliable=False)
    _, consumed = _run(subscriber, ["m1", "m2"], TimeoutError())
    with pytest.raises(asyncio.TimeoutError) as raised:
        await subscriber._consume_pull()
    assert type(raised.value) is asyncio.TimeoutError
    assert consumed == []  # m1 and m2 wait unacked for ack_wait


async def test_stock_loop_drops_the_batch_on_a_lost_connection_and_retries_at_once() -> None:
    subscriber = _subscriber(reliable=False)
    subscription, consumed = _run(
        subscriber, ["m1", "m2"], nats.errors.ConnectionClosedError(), ["m3"]
    )
    await subscriber._consume_pull()
    assert consumed == [["m3"]]  # m1 and m2 were cleared
    assert subscription.calls[2] - subscription.calls[1] < 0.1


async def test_stock_task_is_restarted_by_the_supervisor_after_an_error_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What FastStream's TasksMixin does when the loop dies: logs the traceback at ERROR (once
    per distinct exception an hour), restarts the loop at once, and keeps the dead task."""
    TaskCallbackSupervisor._TaskCallbackSupervisor__cache.clear()  # type: ignore[attr-defined]
    subscriber = _subscriber(reliable=False)
    _, consumed = _run(subscriber, ["m1"], TimeoutError(), ["m2"], TimeoutError(), ["m3"])
    with caplog.at_level(logging.INFO, logger="test.pull"):
        subscriber.add_task(subscriber._consume_pull)
        for _ in range(200):
            await asyncio.sleep(0.01)
            if all(task.done() for task in subscriber.tasks):
                break
    assert consumed == [["m3"]]  # m1 and m2 died with their tasks, unacked
    assert len(subscriber.tasks) == 3  # two dead and restarted, one ended by the script
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage().splitlines()[0] for r in errors] == [
        f"{subscriber.tasks[0].get_name()} raised an exception, retrying..."
    ]
    assert errors[0].exc_info is not None and type(errors[0].exc_info[1]) is asyncio.TimeoutError
