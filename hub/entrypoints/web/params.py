"""What the web takes in its paths and queries, beyond what the services check themselves."""

from __future__ import annotations

import datetime as dt
import re

import projections
from hub.entrypoints.web.views import LONDON

REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""A request reference as the register's pages can address it (``FOI-2018-0412``): no
slash or space, which a path could not carry."""


def reference(text: str) -> str:
    text = text.strip()
    if not REFERENCE.fullmatch(text):
        raise projections.BadArgument(
            f"reference {text[:70]!r}: letters, digits and . _ - only, up to 64 characters,"
            " e.g. FOI-2018-0412"
        )
    return text


def since(text: str | None) -> dt.datetime | None:
    """``since``: a date (from the start of that day, London time) or a timestamp (London
    time when it has no offset)."""
    if not text:
        return None
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=LONDON)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise projections.BadArgument(
            f"since {text[:40]!r} is not a date or a timestamp (2019-05-01, or"
            " 2019-05-01T09:00:00+01:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)


def suppression(text: str) -> bool:
    """``suppression=on|off``: whether disclosure control is applied."""
    if text not in ("on", "off"):
        raise projections.BadArgument("suppression is on (the default) or off")
    return text == "on"
