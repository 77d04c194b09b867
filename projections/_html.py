"""The forum pack and the trends as one self-contained HTML page each: tables, charts drawn
inline as SVG, the definitions and thresholds used, the date and the data position. No
scripts, fonts or images are fetched: a chair can open it offline, or print it. Printed (A4
portrait), every page carries the protective marking at its top and bottom and its number;
each heading stays with its chart, and long tables repeat their header row on each page."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from projections import _charts, _marking
from projections._forum import DEFINITIONS
from projections._marking import month_name


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
    environment.filters.update(
        words=_words,
        day=_day,
        moment=_moment,
        month=month_name,
        figure=_figure,
        signed=_signed,
        css=_css_string,
    )
    environment.globals.update(marking=_marking.MARKING)
    return environment


def forum_html(
    pack: dict[str, Any], trends: dict[str, Any] | None, *, prepared: dt.datetime
) -> str:
    """The pack; ``trends`` (the twelve months to the pack's month) adds the trend chart."""
    month = month_name(pack["month"])
    stamp = _marking.produced(prepared, pack["position"])
    missing_from = pack["missing_from"][:12]
    most = f" (the {len(missing_from)} places with most)" if len(pack["missing_from"]) > 12 else ""
    charts = {
        "missing_from": _inline(
            _charts.svg(
                _charts.bars_figure(
                    f"Episodes by where they went missing from, {month}{most}",
                    [f"{_words(r['kind'])}: {r['place']}" for r in missing_from],
                    [r["episodes"] for r in missing_from],
                    [r["previous_episodes"] for r in missing_from],
                    stamp=stamp,
                    names=(month, _previous(pack["month"])),
                )
            )
        ),
        "risk": _inline(
            _charts.svg(
                _charts.bars_figure(
                    f"Episodes by highest risk grade, {month}",
                    [_words(k) for k in pack["risk"]],
                    list(pack["risk"].values()),
                    stamp=stamp,
                    width=_charts.HALF,
                )
            )
        ),
    }
    if trends:
        charts["trends"] = _inline(
            _charts.svg(
                _charts.trend_figure(trends, stamp=_marking.produced(prepared, trends["position"]))
            )
        )
    statuses = [row["status"] for row in pack["repeat_missing"]]
    return str(
        _environment()
        .get_template("forum.html")
        .render(
            pack=pack,
            trends=trends,
            charts=charts,
            month_name=month,
            previous_month=_previous(pack["month"]),
            top=len(missing_from) if most else 0,
            new=statuses.count("new"),
            continuing=statuses.count("continuing"),
            definitions=DEFINITIONS,
            prepared=_marking.prepared(prepared),
            position=pack["position"],
            running=f"Missing children forum pack: {month}",
        )
    )


def trends_html(data: dict[str, Any], *, prepared: dt.datetime) -> str:
    first, last = month_name(data["months"][0]), month_name(data["months"][-1])
    return str(
        _environment()
        .get_template("trends.html")
        .render(
            data=data,
            names=list(data["series"]),
            first=first,
            last=last,
            chart=_inline(
                _charts.svg(
                    _charts.trend_figure(data, stamp=_marking.produced(prepared, data["position"]))
                )
            ),
            prepared=_marking.prepared(prepared),
            position=data["position"],
            running=f"Missing children trends: {first} to {last}",
        )
    )


def _inline(svg: str) -> Any:
    """An SVG drawn by matplotlib, put into the page as it is: matplotlib escapes every text
    it draws (and reads none as markup or maths: ``text.parse_math`` is off)."""
    from markupsafe import Markup

    return Markup(svg)  # noqa: S704


def _previous(label: str) -> str:
    """The month before ``label`` (``2018-03``), by name: ``February 2018``."""
    first = dt.date.fromisoformat(label + "-01")
    return month_name(f"{first - dt.timedelta(days=1):%Y-%m}")


def _css_string(value: str) -> Any:
    """``value`` as a CSS string, for a printed page's margin boxes: anything but letters,
    digits, spaces and plain punctuation is written as a CSS escape, so no text can end the
    string, the rule or the ``<style>`` element."""
    from markupsafe import Markup

    safe = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in " -:,.()") else f"\\{ord(ch):x} "
        for ch in value
    )
    return Markup(f'"{safe}"')  # noqa: S704


def _words(value: Any) -> str:
    text = "" if value is None else str(value).replace("_", " ")
    return text.replace("childrens", "children's")


def _day(iso: str) -> str:
    return f"{dt.date.fromisoformat(iso):%-d %B %Y}"


def _moment(iso: str) -> str:
    """A London time (``2021-03-31T23:30+01:00``) as ``31 March 2021 23:30``."""
    return f"{dt.datetime.fromisoformat(iso):%-d %B %Y %H:%M}"


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
