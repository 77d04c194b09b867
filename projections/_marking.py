"""What the forum pack and the trends carry wherever they go: the protective marking, and when
and from what they were produced. Defined once: the HTML pages print it at the top of the page,
in the margins of every printed page, and every chart drawn for them carries it in the image."""

from __future__ import annotations

import datetime as dt

from projections._time import LONDON

MARKING = "OFFICIAL-SENSITIVE — multi-agency missing children forum — not for onward sharing"


def prepared(moment: dt.datetime) -> str:
    """``3 April 2018 at 09:30``: London time."""
    return f"{moment.astimezone(LONDON):%-d %B %Y at %H:%M}"


def produced(moment: dt.datetime, position: int) -> str:
    """The as-of line under a chart."""
    return (
        f"Produced {prepared(moment)} (London time) from the records as they stood at store"
        f" position {position}"
    )


def month_name(label: str) -> str:
    """``2018-03`` as ``March 2018``."""
    return f"{dt.date.fromisoformat(label + '-01'):%B %Y}"
