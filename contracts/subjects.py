"""NATS subjects of the v1 contract: ``safeguarding.v1.<agency>.<event_type>``."""

from __future__ import annotations

from typing import NamedTuple

ROOT = "safeguarding.v1"
ALL = f"{ROOT}.>"
REJECTED_PREFIX = f"{ROOT}.rejected."


class Subject(NamedTuple):
    agency: str
    event_type: str


def subject_for(agency: str, event_type: str) -> str:
    """The subject an agency publishes a type of event on."""
    return f"{ROOT}.{agency}.{event_type}"


def rejected_subject(agency: str) -> str:
    """Where the hub tells an agency about the messages it refused."""
    return f"{REJECTED_PREFIX}{agency or 'unknown'}"


def parse_subject(subject: str) -> Subject | None:
    """Split a contract subject; None when it is not ``safeguarding.v1.<agency>.<type>``."""
    parts = subject.split(".", 3)
    if len(parts) != 4 or f"{parts[0]}.{parts[1]}" != ROOT or not parts[2] or not parts[3]:
        return None
    return Subject(parts[2], parts[3])


def is_rejection(subject: str) -> bool:
    """A reject notice of the hub's, not an agency event: notices have their own stream now,
    but a stream an older hub created on ``safeguarding.v1.>`` still holds its old ones."""
    return subject.startswith(REJECTED_PREFIX)
