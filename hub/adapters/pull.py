"""FastStream's batch pull loop, fixed so a fetch window never loses the messages it fetched.

Why this exists: FastStream 0.7.8's ``BatchPullStreamSubscriber._consume_pull`` fills a batch
with repeated ``fetch`` calls inside one window. It catches only ``nats.errors.TimeoutError``,
but nats-py 2.16's ``PullSubscription.fetch`` also raises a plain ``asyncio.TimeoutError``
(``_fetch_n`` does ``raise asyncio.TimeoutError`` when the window's remaining deadline has run
out before its lingering pull request). That escapes the loop, ends the consume task, and the
messages already fetched in the window go unhandled: they come back only after ``ack_wait``.
FastStream's task supervisor then logs the traceback at ERROR and starts the loop again. On a
closed connection or an unavailable JetStream the loop also throws away the messages already
fetched, and retries at once with no pause (a busy loop while the connection stays closed).

``ReliableBatchPullStreamSubscriber`` is the same loop with three differences: every timeout
(the builtin ``TimeoutError``, which in Python 3.11 is ``asyncio.TimeoutError`` and a base of
``nats.errors.TimeoutError``) just ends the window; after a closed connection or an unavailable
service the messages already fetched are still handed on, then the loop waits ``retry_pause``
seconds before fetching again. Handing them on is safe: they are not acknowledged yet, the handler
stores then acks them, and any whose ack fails is redelivered and stored once as a duplicate.

FastStream 0.7.8 has no hook to choose the subscriber class (``NatsRegistrator.subscriber``
calls the module-level ``create_subscriber``, which names its classes directly), so
``use_reliable_pull`` switches the class of the object ``router.subscriber(...)`` returned. That
is sound here: the subclass adds no slots, so the object's layout is unchanged, and it is still
an instance of ``BatchPullStreamSubscriber``. It must happen before the broker starts, since the
consume task (and the supervisor that restarts it) holds the bound ``_consume_pull``.

Drafted upstream report (ag2ai/faststream):

    NATS batch pull subscriber loses fetched messages on a plain asyncio.TimeoutError.
    ``BatchPullStreamSubscriber._consume_pull`` (0.7.8) catches ``nats.errors.TimeoutError``,
    but nats-py 2.16's ``PullSubscription.fetch`` can raise a bare ``asyncio.TimeoutError``
    (``_fetch_n``: ``raise asyncio.TimeoutError`` when the remaining deadline is <= 0), so
    the exception escapes, the messages already fetched in that window are dropped unacked
    (redelivered only after ``ack_wait``), and the supervisor logs an ERROR traceback and
    restarts the task. Catching the builtin ``TimeoutError`` (the base of both) fixes it.
    Separately, on ``ConnectionClosedError``/``ServiceUnavailableError`` the loop clears the
    messages already fetched and retries immediately, busy-looping while the connection is
    closed; handing them to ``consume`` and pausing briefly before the next fetch would avoid
    both.
"""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING, ClassVar, cast

import anyio
from faststream.nats.subscriber.usecases.stream_pull_subscriber import BatchPullStreamSubscriber
from nats.errors import ConnectionClosedError
from nats.js.errors import NotFoundError, ServiceUnavailableError
from typing_extensions import override

if TYPE_CHECKING:
    from nats.aio.msg import Msg


class ReliableBatchPullStreamSubscriber(BatchPullStreamSubscriber):
    """``BatchPullStreamSubscriber`` whose fetch window keeps what it fetched; see the module."""

    __slots__ = ()

    retry_pause: ClassVar[float] = 0.5
    """Seconds to wait after a closed connection or unavailable JetStream before fetching again."""

    @override
    async def _consume_pull(self) -> None:
        """FastStream 0.7.8's loop, but no timeout or lost connection drops a fetched message."""
        assert self.subscription, "You should call `create_subscription` at first."

        batch_size = self.pull_sub.batch_size
        timeout = self.pull_sub.timeout

        while self.running:  # pragma: no branch
            deadline = monotonic() + timeout if timeout is not None else None
            messages: list[Msg] = []
            remaining = None if deadline is None else deadline - monotonic()
            unavailable = False

            # nats-py may return a partial batch before timeout; keep fetching.
            while (
                len(messages) < batch_size and (remaining is None or remaining > 0) and self.running
            ):
                try:
                    messages += await self.subscription.fetch(
                        batch=batch_size - len(messages),
                        timeout=remaining,
                    )
                except TimeoutError:  # the builtin: asyncio's and nats-py's alike
                    break
                except (ConnectionClosedError, ServiceUnavailableError, NotFoundError):
                    # Those already fetched are handed on below, not dropped. NotFoundError:
                    # the consumer was deleted; the hub's keeper re-creates it.
                    unavailable = True
                    break

                remaining = None if deadline is None else deadline - monotonic()

            if messages and self.running:
                await self.consume(messages)
            if unavailable and self.running:
                await anyio.sleep(self.retry_pause)


def use_reliable_pull(subscriber: object) -> ReliableBatchPullStreamSubscriber:
    """Make the batch pull subscriber ``router.subscriber(...)`` returned use the fixed loop.

    Call it before the broker starts; returns the same object, so it can wrap the call:
    ``subscriber = use_reliable_pull(router.subscriber(...))``, then decorate with ``@subscriber``.
    """
    if isinstance(subscriber, ReliableBatchPullStreamSubscriber):
        return subscriber
    if type(subscriber) is not BatchPullStreamSubscriber:
        raise TypeError(
            "use_reliable_pull needs a batch pull subscriber "
            "(stream=..., pull_sub=PullSub(..., batch=True)), "
            f"not {type(subscriber).__name__}"
        )
    assert isinstance(subscriber, BatchPullStreamSubscriber)  # for the type checker
    if subscriber.running or subscriber.tasks:
        raise RuntimeError("use_reliable_pull must be called before the broker starts")
    subscriber.__class__ = ReliableBatchPullStreamSubscriber
    return cast("ReliableBatchPullStreamSubscriber", subscriber)
