"""Projections that follow the event store, and the FOI statistics they answer.

Public face::

    store = ProjectionStore(path)          # the projection database (SQLite, a read model)
    catch_up(app, store)                   # apply what the hub stored since last time
    answer(store, "missing-occasions", parse_period("2017/18"), as_of=...)
    render(result, "json" | "csv" | "md")
    STATISTICS                             # name -> Statistic (definition, figures)
    forum(store, parse_period("2018-03"), key=...)   # the monthly forum pack (a dict)
    render_forum(pack, "json" | "md" | "html", trends=...)
    unmatched(store, parse_period("2017/18"), key=...)   # hub reconcile: what did not match
    render_unmatched(data, "json" | "csv" | "md")
    trends(store, "2017-04", "2018-03")     # monthly series with year-on-year change (a dict)
    year_ending("2018-03")                  # ("2017-04", "2018-03")
    render_trends(data, "json" | "md" | "html"); save_trend_chart(data, path)  # .png, .svg

Errors are ``ProjectionError`` (``BadArgument``, ``NotAllowed``), under ``contracts.HubError``
(the whole tree is drawn in ``hub.errors``). Facts come through the hub's read port,
``hub.feed.FactFeed``, and nothing else of the hub.
"""

from __future__ import annotations

from projections._answer import answer, check_partnership, check_role
from projections._errors import BadArgument, NotAllowed, ProjectionError
from projections._follow import catch_up, follow
from projections._formats import render
from projections._forum import forum
from projections._forum_formats import render_forum
from projections._store import ProjectionStore
from projections._time import Period, parse_as_of, parse_period
from projections._trends import SERIES, trends, year_ending
from projections._trends_formats import render_trends, save_trend_chart
from projections._unmatched import render_unmatched, unmatched
from projections.statistics import STATISTICS, Statistic

__all__ = [
    "SERIES",
    "STATISTICS",
    "BadArgument",
    "NotAllowed",
    "Period",
    "ProjectionError",
    "ProjectionStore",
    "Statistic",
    "answer",
    "catch_up",
    "check_partnership",
    "check_role",
    "follow",
    "forum",
    "parse_as_of",
    "parse_period",
    "render",
    "render_forum",
    "render_trends",
    "render_unmatched",
    "save_trend_chart",
    "trends",
    "unmatched",
    "year_ending",
]
