"""Projections that follow the event store, and the FOI statistics they answer.

Public face::

    store = ProjectionStore(path)          # the projection database (SQLite, a read model)
    catch_up(app, store)                   # apply what the hub stored since last time
    answer(store, "missing-occasions", parse_period("2017/18"), as_of=...)
    answer(..., given=[GivenAnswer, ...])  # a public answer, guarded from differencing
    answer_with_raw(store, name, period, ...)   # (answer, GivenAnswer to remember of it)
    answers(store, name, parse_periods("2014/15..2017/18", "year"), by="year")  # several
    answers_with_raw(store, name, periods, by=...)  # (answers, [GivenAnswer, ...])
    parse_as_of("2019-05-01" | "01/05/2019" | "2019-05-01T09:00" | "...+01:00")
    render(result, "json" | "csv" | "md")
    STATISTICS                             # name -> Statistic (definition, figures)
    forum(store, parse_period("2018-03"), key=...)   # the monthly forum pack (a dict)
    render_forum(pack, "json" | "md" | "html", trends=...)
    unmatched(store, parse_period("2017/18"), key=...)   # hub reconcile: what did not match
    render_unmatched(data, "json" | "csv" | "md")
    trends(store, "2017-04", "2018-03")     # monthly series with year-on-year change (a dict)
    year_ending("2018-03")                  # ("2017-04", "2018-03")
    render_trends(data, "json" | "md" | "html"); save_trend_chart(data, path)  # .png, .svg
    agency_summary(store, "police")        # an agency's facts held, by type (counts only)
    notices(store, after=(position, seq))  # what the hub should tell the agencies (Notice rows)
    notice_head(store)                     # (position, seq) of the last notice row
    head(store)                            # the position of the last fact applied
    due(store, since_us, until_us)         # return interviews fallen due (Notice rows)
    children_of(store, root); facts_by(store, members, "police")   # for the Notifier

Errors are ``ProjectionError`` (``BadArgument``, ``NotAllowed``), under ``contracts.HubError``
(the whole tree is drawn in ``hub.errors``). Facts come through the hub's read port,
``hub.feed.FactFeed``, and nothing else of the hub.
"""

from __future__ import annotations

from projections._agency import agency_summary
from projections._answer import (
    answer,
    answer_with_raw,
    answers,
    answers_with_raw,
    check_partnership,
    check_role,
    reproduce_command,
)
from projections._differencing import GivenAnswer, differencing
from projections._errors import BadArgument, NotAllowed, ProjectionError
from projections._follow import catch_up, follow
from projections._formats import render
from projections._forum import forum
from projections._forum_formats import render_forum
from projections._notices import (
    Notice,
    children_of,
    due,
    facts_by,
    head,
    notice_head,
    notices,
)
from projections._store import ProjectionStore
from projections._time import BY, Period, parse_as_of, parse_period, parse_periods
from projections._trends import SERIES, trends, year_ending
from projections._trends_formats import render_trends, save_trend_chart
from projections._unmatched import render_unmatched, unmatched
from projections.statistics import STATISTICS, Statistic

__all__ = [
    "BY",
    "SERIES",
    "STATISTICS",
    "BadArgument",
    "GivenAnswer",
    "NotAllowed",
    "Notice",
    "Period",
    "ProjectionError",
    "ProjectionStore",
    "Statistic",
    "agency_summary",
    "answer",
    "answer_with_raw",
    "answers",
    "answers_with_raw",
    "catch_up",
    "check_partnership",
    "check_role",
    "children_of",
    "differencing",
    "due",
    "facts_by",
    "follow",
    "forum",
    "head",
    "notice_head",
    "notices",
    "parse_as_of",
    "parse_period",
    "parse_periods",
    "render",
    "render_forum",
    "render_trends",
    "render_unmatched",
    "reproduce_command",
    "save_trend_chart",
    "trends",
    "unmatched",
    "year_ending",
]
