"""The forum pack and the trends as one self-contained HTML page each: tables, charts drawn
inline as SVG, the definitions and thresholds used, the date and the data position. No
scripts, fonts or images are fetched: a chair can open it offline, or print it."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from projections import _charts
from projections._forum import DEFINITIONS
from projections._time import LONDON


@functools.cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=PackageLoader("projections", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(words=_words, day=_day, month=_month, figure=_figure, signed=_signed)
    return environment


def forum_html(
    pack: dict[str, Any], trends: dict[str, Any] | None, *, prepared: dt.datetime
) -> str:
    """The pack; ``trends`` (the twelve months to the pack's month) adds the trend chart."""
    missing_from = pack["missing_from"][:12]
    charts = {
        "missing_from": _inline(
            _charts.svg(
                _charts.bars_figure(
                    "Episodes by where from (top 12)",
                    [f"{_words(r['kind'])}: {r['place']}" for r in missing_from],
                    [r["episodes"] for r in missing_from],
                    [r["previous_episodes"] for r in missing_from],
                )
            )
        ),
        "risk": _inline(
            _charts.svg(
                _charts.bars_figure(
                    "Episodes by highest risk grade",
                    [_words(k) for k in pack["risk"]],
                    list(pack["risk"].values()),
                )
            )
        ),
    }
    if trends:
        charts["trends"] = _inline(_charts.svg(_charts.trend_figure(trends)))
    statuses = [row["status"] for row in pack["repeat_missing"]]
    return str(
        _environment()
        .get_template("forum.html")
        .render(
            pack=pack,
            trends=trends,
            charts=charts,
            month_name=_month(pack["month"]),
            new=statuses.count("new"),
            continuing=statuses.count("continuing"),
            definitions=DEFINITIONS,
            prepared=_prepared(prepared),
            position=pack["position"],
        )
    )


def trends_html(data: dict[str, Any], *, prepared: dt.datetime) -> str:
    return str(
        _environment()
        .get_template("trends.html")
        .render(
            data=data,
            names=list(data["series"]),
            first=_month(data["months"][0]),
            last=_month(data["months"][-1]),
            chart=_inline(_charts.svg(_charts.trend_figure(data))),
            prepared=_prepared(prepared),
            position=data["position"],
        )
    )


def _inline(svg: str) -> Any:
    """An SVG drawn by matplotlib, put into the page as it is: matplotlib escapes every text
    it draws (and reads none as markup or maths: ``text.parse_math`` is off)."""
    from markupsafe import Markup

    return Markup(svg)  # noqa: S704


def _prepared(moment: dt.datetime) -> str:
    return f"{moment.astimezone(LONDON):%-d %B %Y at %H:%M}"


def _words(value: Any) -> str:
    text = "" if value is None else str(value).replace("_", " ")
    return text.replace("childrens", "children's")


def _day(iso: str) -> str:
    return f"{dt.date.fromisoformat(iso):%-d %B %Y}"


def _month(label: str) -> str:
    return f"{dt.date.fromisoformat(label + '-01'):%B %Y}"


def _figure(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def _signed(value: float | None) -> str:
    if value is None:
        return ""
    if value == 0:
        return "±0"
    text = _figure(abs(value))
    return f"+{text}" if value > 0 else f"−{text}"
