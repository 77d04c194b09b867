"""Charts put agency text (placement references) into the HTML pages: it must stay text. Each
chart carries its period, when it was produced and the protective marking in the image."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from projections import BadArgument, save_trend_chart
from projections._charts import HALF, bars_figure, save, svg, trend_figure
from projections._html import _css_string
from projections._marking import MARKING, produced

STAMP = "Produced 3 April 2018 at 09:30 (London time) from the records at store position 7"


def _texts(drawn: str) -> list[str]:
    """The lines of text an SVG chart shows, in order."""
    return [re.sub(r"<.*?>", "", t) for t in re.findall(r"<text\b.*?</text>", drawn, flags=re.S)]


def _trends() -> dict[str, Any]:
    return {
        "months": ["2018-01", "2018-02", "2018-03"],
        "position": 7,
        "series": {"episodes": [1, 2, 3], "ri_within_72h_percent": [None, 50.0, 100.0]},
        "previous_year": {"episodes": [0, 0, 1], "ri_within_72h_percent": [None, None, 20.0]},
        "titles": {"episodes": "Episodes", "ri_within_72h_percent": "Return interviews"},
        "units": {"episodes": "count", "ri_within_72h_percent": "percent"},
    }


def test_labels_are_escaped_and_never_read_as_maths_or_markup() -> None:
    drawn = svg(bars_figure("where", ["<script>x</script> & $5$"], [3], [1], stamp=STAMP))
    assert drawn.startswith("<svg") and "<script>" not in drawn
    assert "&lt;script&gt;x&lt;/script&gt; &amp; $5$" in drawn
    assert "<metadata>" not in drawn  # nothing about the software that drew it


def test_the_same_figures_draw_the_same_svg() -> None:
    assert svg(bars_figure("risk", ["low", "high"], [2, 1], stamp=STAMP)) == svg(
        bars_figure("risk", ["low", "high"], [2, 1], stamp=STAMP)
    )


def test_charts_are_saved_as_png_or_svg_only(tmp_path: Path) -> None:
    figure = bars_figure("risk", ["low"], [2], stamp=STAMP)
    save(figure, tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(BadArgument, match=r"\.png or \.svg"):
        save(figure, tmp_path / "c.pdf")


def test_a_chart_carries_its_title_the_marking_and_when_it_was_produced() -> None:
    title = "Episodes by where they went missing from, March 2018"
    texts = _texts(svg(bars_figure(title, ["district: LE1"], [3], [1], stamp=STAMP)))
    at = texts.index(title)
    assert texts[at + 1 : at + 3] == [MARKING, STAMP]  # each on one line at the full width
    named = _texts(
        svg(bars_figure(title, ["a"], [3], [1], stamp=STAMP, names=("March 2018", "Feb")))
    )
    assert named[-2:] == ["March 2018", "Feb"]  # the legend names the months


def test_a_narrow_chart_wraps_its_marking_after_a_dash_and_keeps_every_word() -> None:
    title = "Episodes by highest risk grade, December 2021"
    texts = _texts(svg(bars_figure(title, ["low", "high"], [5, 1], stamp=STAMP, width=HALF)))
    at = texts.index("Episodes by highest risk grade,")
    assert texts[at + 1] == "December 2021"  # the year kept with its month
    foot = texts[at + 2 :]
    assert foot[:2] == ["OFFICIAL-SENSITIVE — multi-agency missing children forum —",
                        "not for onward sharing"]  # fmt: skip
    assert " ".join(foot) == f"{MARKING} {STAMP}"


def test_the_trend_chart_is_titled_with_its_months_and_stamped(tmp_path: Path) -> None:
    texts = _texts(svg(trend_figure(_trends(), stamp=STAMP)))
    at = texts.index("Missing children trends: January 2018 to March 2018")
    assert texts[at + 1 : at + 3] == [MARKING, STAMP]
    when = dt.datetime(2018, 4, 3, 8, 30, tzinfo=dt.UTC)
    save_trend_chart(_trends(), tmp_path / "t.svg", prepared=when)  # hub trends --chart
    drawn = (tmp_path / "t.svg").read_text(encoding="utf-8")
    assert MARKING in drawn and produced(when, 7) in drawn
    assert "Produced 3 April 2018 at 09:30 (London time)" in produced(when, 7)  # BST


def test_the_printed_margins_text_cannot_leave_its_css_string() -> None:
    quoted = str(_css_string('a "b" </style> \\ — c'))
    assert quoted[0] == quoted[-1] == '"' and '"' not in quoted[1:-1]
    assert "<" not in quoted
    assert quoted == '"a \\22 b\\22  \\3c \\2f style\\3e  \\5c  \\2014  c"'
