"""The register of published figures, and the memory of public answers given.

An FOI officer publishes an answer against the request's reference: the register freezes the
answer as given, its digest and its as-of time, who and when. To reproduce it, the hub answers
again as of that time: the same records and arguments give the same digest, so "matches" means
the published figure is exactly what the records said then. The answer as the records stand
now is set beside it, and each figure that later records changed is listed with by how much.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import projections
from hub.domain.people import User
from hub.domain.register import AnswerGiven, FigurePublished, given_id, publication_id
from hub.errors import InputError, NotFound, StoreConflict
from hub.service.ports import Streams

Answer = dict[str, Any]
Recompute = Callable[[str, str, str | None, dt.datetime | None], Answer]
"""(statistic, period, as_of or None for now, checked against the public answers given before
this time or None for all) -> a disclosure-controlled answer."""


@dataclass(frozen=True)
class Publication:
    reference: str
    statistic: str
    period: str
    as_of: str
    digest: str
    answer: Answer
    by: str
    role: str
    at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "statistic": self.statistic,
            "period": self.period,
            "as_of": self.as_of,
            "digest": self.digest,
            "published_by": self.by,
            "role": self.role,
            "published_at": self.at.isoformat(),
            "answer": self.answer,
        }


class Register:
    def __init__(
        self,
        streams: Streams[Any],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._streams = streams
        self._clock = clock

    def add(self, reference: str, answer: Answer, by: User) -> Publication:
        reference = reference.strip()
        if not reference or len(reference) > 64 or not reference.isprintable():
            raise InputError(
                "a request reference is 1 to 64 printable characters, e.g. FOI-2018-0412"
            )
        if "answers" in answer:
            raise InputError("publish one period's answer at a time")
        if not answer["suppression"]["applied"]:
            raise InputError("only a disclosure-controlled answer can be published")
        event = FigurePublished(
            originator_id=publication_id(reference),
            originator_version=1,
            timestamp=self._clock(),
            reference=reference,
            statistic=answer["statistic"],
            period=answer["period"]["label"],
            as_of=answer["as_of"],
            digest=answer["provenance"]["digest"],
            answer=answer,
            by=by.name,
            role=by.role,
        )
        try:
            self._streams.append([event])
        except StoreConflict:
            raise InputError(f"{reference!r} has already been published") from None
        return _publication(event)

    def get(self, reference: str) -> Publication:
        event = self._streams.last(publication_id(reference))
        if event is None:
            raise NotFound(f"nothing has been published as {reference.strip()!r}")
        return _publication(event)

    def list(self) -> list[Publication]:
        return [_publication(e) for e in self._streams.all()]

    def reproduce(self, reference: str, recompute: Recompute) -> dict[str, Any]:
        published = self.get(reference)
        # Checked against what had been given when it was published, as it was then.
        again = recompute(published.statistic, published.period, published.as_of, published.at)
        now = recompute(published.statistic, published.period, None, None)
        return {
            "reference": published.reference,
            "publication": published.as_dict(),
            "matches": again["provenance"]["digest"] == published.digest
            and _shown(again) == _shown(published.answer),
            "digest_published": published.digest,
            "digest_reproduced": again["provenance"]["digest"],
            "digest_now": now["provenance"]["digest"],
            "changes": list(_changes(published.answer, now)),
            "reproduced": again,
            "live": now,
        }


class GivenAnswers:
    """Every public answer given, with its raw counts (aggregates, never a child's details),
    for the differencing check of later answers (``projections.differencing``)."""

    def __init__(
        self,
        streams: Streams[Any],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._streams = streams
        self._clock = clock

    def remember(self, given: projections.GivenAnswer, digest: str) -> None:
        data = given.as_dict()
        event = AnswerGiven(
            originator_id=given_id(data["statistic"], data["start"], data["end"], digest),
            originator_version=1,
            timestamp=self._clock(),
            statistic=data["statistic"],
            start=data["start"],
            end=data["end"],
            figures=data["figures"],
        )
        with contextlib.suppress(StoreConflict):  # the same answer given before: kept once
            self._streams.append([event])

    def of(
        self, statistic: str, before: dt.datetime | None = None
    ) -> list[projections.GivenAnswer]:
        """The answers given for ``statistic`` (before ``before``, when given)."""
        return [
            projections.GivenAnswer.from_dict(
                {"statistic": e.statistic, "start": e.start, "end": e.end, "figures": e.figures}
            )
            for e in self._streams.all()
            if e.statistic == statistic and (before is None or e.timestamp < before)
        ]


def _publication(event: FigurePublished) -> Publication:
    return Publication(
        reference=event.reference,
        statistic=event.statistic,
        period=event.period,
        as_of=event.as_of,
        digest=event.digest,
        answer=event.answer,
        by=event.by,
        role=event.role,
        at=event.timestamp,
    )


def _shown(answer: Answer) -> dict[str, Any]:
    return {name: cell["display"] for name, cell in answer["figures"].items()}


def _changes(published: Answer, now: Answer) -> Iterator[dict[str, Any]]:
    """Each figure whose shown value differs now; the difference where both are numbers."""
    for name, then in published["figures"].items():
        cell = now["figures"].get(name)
        if cell is None or cell["display"] == then["display"]:
            continue
        difference = None
        if isinstance(then["value"], int | float) and isinstance(cell["value"], int | float):
            difference = round(cell["value"] - then["value"], 2)
        yield {
            "figure": name,
            "label": cell.get("label", name),
            "published": then["display"],
            "now": cell["display"],
            "difference": difference,
        }


__all__ = ["GivenAnswers", "Publication", "Recompute", "Register"]
