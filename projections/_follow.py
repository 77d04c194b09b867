"""Following the hub's facts through its read port (``hub.feed.FactFeed``): polled, because
the library's SQLite recorder cannot be subscribed to (and polling serves PostgreSQL the same).

Each page of facts is applied in one projection transaction together with its log rows, so
the projection's position and its rows never disagree: a crash mid-page leaves the page
unapplied, and the next catch-up applies it again from the same position.
"""

from __future__ import annotations

import logging
import threading
import traceback
from functools import partial
from itertools import takewhile

from hub.feed import FactFeed, StoredFact
from projections._errors import ProjectionError
from projections._projector import Projector
from projections._store import ProjectionStore

log = logging.getLogger("hub.projections")


def catch_up(
    feed: FactFeed, store: ProjectionStore, page: int = 1000, max_pages: int | None = None
) -> int:
    """Apply every fact stored since the projection's position (or at most ``max_pages``
    pages of them); return how many.

    Raises ProjectionError naming the position of a fact the projector could not apply.
    """
    _check_origin(feed, store)
    applied = pages = 0
    while True:
        pages += 1
        with store.writing():
            projector = Projector(store)
            facts, more = _whole_runs(feed, projector.position, page)
            try:
                for fact in facts:
                    projector.apply(fact)
                projector.flush()
            except (KeyError, TypeError, ValueError) as error:
                # A stored fact this projector cannot read: stop here (the page is rolled
                # back) rather than answer without it. Never the fact's content.
                raise ProjectionError(
                    f"the projector could not apply the facts up to position"
                    f" {projector.position} ({type(error).__name__}); answers wait until it"
                    " is fixed"
                ) from error
        applied += len(facts)
        if not more or pages == max_pages:
            return applied


def _whole_runs(feed: FactFeed, after: int, page: int) -> tuple[list[StoredFact], bool]:
    """The next ``page`` facts after ``after``, and then, while the last of them was recorded
    together with the next (the same ``recorded_us``: one batch), the rest of that run: the
    projector derives, and the notifications' rules judge, once per whole run, so a page
    boundary must not split one (a rebuild then gives the same notices as following did).
    Also whether more facts may follow."""
    facts = list(feed.read(after, page))
    if len(facts) < page:
        return facts, False
    while True:
        last = facts[-1]
        following = feed.read(last.position, page)
        run = list(takewhile(partial(_together, last), following))
        facts.extend(run)
        if len(run) < len(following):
            return facts, True  # the run ended inside what was read: more follow
        if len(following) < page:
            return facts, False  # the store's last run


def _together(first: StoredFact, fact: StoredFact) -> bool:
    return fact.recorded_us == first.recorded_us


def _check_origin(feed: FactFeed, store: ProjectionStore) -> None:
    """A projection built from another store (recreated, or a shared path) is rebuilt."""
    head = store.head()[0]
    if not head:
        return
    if feed.origin() != store.meta("origin") or feed.head() < head:
        log.warning("the projection was built from another store: rebuilding it")
        store.reset()


def follow(
    feed: FactFeed,
    store: ProjectionStore,
    stop: threading.Event,
    every: float = 0.5,
    give_up_after: int | None = None,
) -> None:
    """Keep the projection caught up until ``stop`` is set; after ``give_up_after`` failed
    catch-ups in a row, raise the last failure (the caller starts again on new connections)."""
    failures = 0
    while not stop.is_set():
        try:
            if applied := catch_up(feed, store):
                log.info("projection at %d (+%d facts)", store.head()[0], applied)
            failures = 0
        except Exception as error:
            failures += 1
            if give_up_after is not None and failures >= give_up_after:
                raise
            # The store or the projection may be briefly locked or unreachable: try again.
            # A fault in the projector's own code repeats, and is logged each time: its type
            # and frames, never its text, which may quote a fact.
            log.error(
                "projection catch-up failed (%s); retrying\n%s",
                " <- ".join(_causes(error)),
                "".join(traceback.format_tb(error.__traceback__)).rstrip(),
            )
            stop.wait(every * 10)
        stop.wait(every)


def _causes(error: BaseException) -> list[str]:
    """The error's type and its causes' types; a ProjectionError's own text is value-free."""
    names: list[str] = []
    current: BaseException | None = error
    while current is not None and len(names) < 5:
        shown = str(current) if isinstance(current, ProjectionError) else ""
        names.append(f"{type(current).__name__}{': ' + shown if shown else ''}")
        current = current.__cause__ or current.__context__
    return names
