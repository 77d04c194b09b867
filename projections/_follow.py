"""Following the event store: polled, because the library's SQLite recorder cannot be
subscribed to (and polling serves PostgreSQL the same way).

Each page of facts is applied in one projection transaction together with its log rows, so
the projection's position and its rows never disagree: a crash mid-page leaves the page
unapplied, and the next catch-up applies it again from the same position.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

import orjson
from eventsourcing.persistence import Notification

from hub.domain.events import FactRecorded
from hub.service.application import HubApplication
from projections._errors import ProjectionError
from projections._projector import Projector, Stored
from projections._store import ProjectionStore
from projections._time import to_us

log = logging.getLogger("hub.projections")


def catch_up(
    app: HubApplication, store: ProjectionStore, page: int = 1000, max_pages: int | None = None
) -> int:
    """Apply every fact stored since the projection's position (or at most ``max_pages``
    pages of them); return how many.

    Raises ProjectionError naming the position of a fact the projector could not apply.
    """
    _check_origin(app, store)
    applied = pages = 0
    while True:
        pages += 1
        with store.writing():
            projector = Projector(store)
            notifications = app.recorder.select_notifications(
                projector.position, page, inclusive_of_start=False
            )
            try:
                for notification in notifications:
                    projector.apply(_stored(app, notification))
                projector.flush()
            except (KeyError, TypeError, ValueError) as error:
                # A stored fact this projector cannot read: stop here (the page is rolled
                # back) rather than answer without it. Never the fact's content.
                raise ProjectionError(
                    f"the projector could not apply the facts up to position"
                    f" {projector.position} ({type(error).__name__}); answers wait until it"
                    " is fixed"
                ) from error
        applied += len(notifications)
        if len(notifications) < page or pages == max_pages:
            return applied


def _check_origin(app: HubApplication, store: ProjectionStore) -> None:
    """A projection built from another store (recreated, or a shared path) is rebuilt."""
    head = store.head()[0]
    if not head:
        return
    first = app.recorder.select_notifications(None, 1)
    latest = app.recorder.max_notification_id() or 0
    origin = str(first[0].originator_id) if first else None
    if origin != store.meta("origin") or latest < head:
        log.warning("the projection was built from another store: rebuilding it")
        store.reset()


_FACT_TOPIC = f"{FactRecorded.__module__}:{FactRecorded.__qualname__}"


def _stored(app: HubApplication, notification: Notification) -> Stored:
    """The fact's fields. The hub stores facts as plain orjson (no cipher, no compression),
    so they are read straight from the row; the library's mapper would first rebuild the
    whole event object, which costs several times more than applying it."""
    mapper = app.mapper
    if notification.topic == _FACT_TOPIC and mapper.cipher is None and mapper.compressor is None:
        state = orjson.loads(notification.state)
        recorded_us = to_us(dt.datetime.fromisoformat(state["timestamp"]["_data_"]))
    else:
        event = mapper.to_domain_event(notification)
        assert isinstance(event, FactRecorded), "the hub's log holds facts only"
        state = event.__dict__
        recorded_us = to_us(event.timestamp)
    return Stored(
        notification.id,
        recorded_us,
        state["agency"],
        state["event_type"],
        state["event_id"],
        state["body"],
        state["child_id"],
        state["joined_child_ids"],
        state["other_child_id"],
        state.get("other_joined_child_ids", ()),
    )


def follow(
    app: HubApplication, store: ProjectionStore, stop: threading.Event, every: float = 0.5
) -> None:
    """Keep the projection caught up until ``stop`` is set."""
    while not stop.is_set():
        try:
            if applied := catch_up(app, store):
                log.info("projection at %d (+%d facts)", store.head()[0], applied)
        except Exception:
            # The store or the projection may be briefly locked or unreachable: try again.
            # A fault in the projector's own code repeats, and is logged each time.
            log.exception("projection catch-up failed; retrying")
            stop.wait(every * 10)
        stop.wait(every)
