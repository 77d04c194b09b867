"""What the partnership has said in public: figures published against a request, and every
public answer given (which a new answer is checked against, so that two answers cannot be
differenced into a small count)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEvent

_PUBLISHED = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/published/")
_GIVEN = uuid5(NAMESPACE_URL, "https://safeguarding-hub.invalid/given/")


def publication_id(reference: str) -> UUID:
    """One publication per request reference: the store refuses a second."""
    return uuid5(_PUBLISHED, reference.strip().casefold())


def given_id(statistic: str, start: str, end: str, digest: str) -> UUID:
    """The same answer given twice is remembered once."""
    return uuid5(_GIVEN, f"{statistic}/{start}/{end}/{digest}")


@dataclass(frozen=True)
class FigurePublished(DomainEvent):
    """An FOI answer, frozen as it was given against a request reference."""

    reference: str
    statistic: str
    period: str
    as_of: str
    digest: str
    answer: dict[str, Any]
    by: str
    role: str


@dataclass(frozen=True)
class AnswerGiven(DomainEvent):
    """A disclosure-controlled answer given to someone outside the partnership: its raw counts,
    kept so that later answers can be checked against it."""

    statistic: str
    start: str
    end: str
    figures: dict[str, Any]


__all__ = ["AnswerGiven", "FigurePublished", "given_id", "publication_id"]
