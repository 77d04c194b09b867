"""The forum pack and the trends as HTML pages: self-contained, free of identifiers, and
rendered by a real browser (headless Chromium), whose screenshot is checked for the charts,
and printed by it to PDF, whose pages are read back (poppler's ``pdftotext``)."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image

from projections import render_forum, render_trends, trends
from projections._marking import MARKING
from tests.history import History, child, small_city

PREPARED = dt.datetime(2018, 4, 3, 8, 30, tzinfo=dt.UTC)
CHART_ONLY = (0x9A, 0xA5, 0xB1)  # the charts' "a year before" / "last month" grey


def _tool(*names: str, package: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail(f"{names[0]} must be installed in CI (.ci/run installs Debian's {package})")
    pytest.skip(f"no {names[0]} on this machine (Debian package: {package})")


def _chromium_flags(tmp_path: Path) -> list[str]:
    return [
        _tool("chromium", "chromium-browser", package="chromium"), "--headless", "--no-sandbox",
        "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium'}", "--hide-scrollbars",
    ]  # fmt: skip


def _browse(page: Path, tmp_path: Path) -> tuple[str, Image.Image]:
    """The DOM after Chromium rendered ``page``, and a full-width screenshot of it."""
    flags = _chromium_flags(tmp_path)
    dom = subprocess.run(
        [*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0 and "<html" in dom.stdout, dom.stderr[-2000:]
    shot = page.with_suffix(".png")
    done = subprocess.run(
        [*flags, "--window-size=1280,2400", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    return dom.stdout, Image.open(shot).convert("RGB")


def _printed(page: Path, tmp_path: Path) -> list[list[str]]:
    """``page`` printed by Chromium to PDF as a user would (the page's own ``@page`` size,
    margins and margin boxes; no browser header or footer): each printed page's lines."""
    pdftotext = _tool("pdftotext", package="poppler-utils")
    pdf = page.with_suffix(".pdf")
    done = subprocess.run(
        [*_chromium_flags(tmp_path), "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
         page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and pdf.exists(), done.stderr[-2000:]
    text = subprocess.run(
        [pdftotext, "-layout", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    pages = text.split("\f")[:-1]  # each page ends with a form feed
    return [[line.strip() for line in one.splitlines() if line.strip()] for one in pages]


def _pixels(image: Image.Image, colour: tuple[int, int, int]) -> int:
    return sum(n for n, rgb in image.getcolors(maxcolors=1 << 22) or [] if rgb == colour)


def _charts_drawn(html: str, page: Path, tmp_path: Path) -> tuple[str, Image.Image]:
    """Render the page, and the same page without its charts: the charts' own grey must be
    on the first and nowhere on the second."""
    dom, shot = _browse(page, tmp_path)
    bare = page.with_name("bare.html")
    bare.write_text(re.sub(r"<svg.*?</svg>", "", html, flags=re.S), encoding="utf-8")
    _, without = _browse(bare, tmp_path)
    assert _pixels(without, CHART_ONLY) == 0
    assert _pixels(shot, CHART_ONLY) > 100
    return dom, shot


def _no_identifiers(html: str) -> None:
    assert "LA-1" not in html and "LA-2" not in html and "2003-06-01" not in html
    assert child(1)["ids"]["nhs_number"] not in html


def _self_contained(html: str) -> None:
    # Nothing to fetch (``url(#id)`` names a part of the page itself).
    assert not re.search(r"<script|<link|<img|<iframe|\bsrc=|@import|url\((?!#)", html)
    # The only addresses are SVG's XML namespaces: names, never fetched.
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }


def test_the_forum_pack_is_one_page_a_browser_renders(history: History, tmp_path: Path) -> None:
    small_city(history)
    pack = history.forum("2018-03")
    year = trends(history.projection, "2017-04", "2018-03")
    html = render_forum(pack, "html", trends=year, prepared=PREPARED)
    _self_contained(html)
    _no_identifiers(html)
    [row] = pack["repeat_missing"]
    assert row["child"] in html and row["age_band"] == "14-15"
    assert "Prepared 3 April 2018 at 09:30" in html  # London time (BST)
    assert f"store position {pack['position']}" in html
    assert "3</strong> episodes; window: <strong>90</strong> days" in html
    assert "Age band" in html and "Hours missing in the window" in html  # the definitions

    page = tmp_path / "forum.html"
    page.write_text(html, encoding="utf-8")
    dom, shot = _charts_drawn(html, page, tmp_path)
    assert len(re.findall(r"<tr>", dom.split('id="repeat"')[1].split("</table>")[0])) == 2
    assert "Missing children forum pack: March 2018" in dom and dom.count("<svg") == 3
    assert shot.width == 1280


def _busy_month(history: History, children: int) -> None:
    """``children`` more children, each missing three times in March 2018 from home in one of
    a spread of districts: a repeat list that runs over printed pages."""
    for n in range(10, 10 + children):
        for i, day in enumerate(("2018-03-03", "2018-03-12", "2018-03-24")):
            history.episode(
                f"M{n}-{i}",
                f"{day}T19:00:00+00:00",
                child(n),
                found=f"{day}T22:00:00+00:00",
                missing_from={"kind": "home", "postcode_district": f"LE{n % 15 + 1}"},
            )


def test_the_printed_pack_marks_and_numbers_every_page_and_keeps_headings_with_charts(
    history: History, tmp_path: Path
) -> None:
    small_city(history)
    _busy_month(history, 60)
    pack = history.forum("2018-03")
    year = trends(history.projection, "2017-04", "2018-03")
    html = render_forum(pack, "html", trends=year, prepared=PREPARED)
    listed = len(pack["repeat_missing"])
    assert listed > 40
    for chart in re.findall(r"<svg.*?</svg>", html, flags=re.S):  # a chart cut out of the pack
        assert "OFFICIAL-SENSITIVE" in chart and "not for onward sharing" in chart
        assert "Produced 3 April 2018 at 09:30" in chart and "March 2018" in chart
    page = tmp_path / "forum.html"
    page.write_text(html, encoding="utf-8")
    printed = _printed(page, tmp_path)

    # A4 portrait holds at least 30 of these one-line rows a page; the headline shares the
    # list's first page; where from (chart and table), where found and risk, the twelve
    # months' chart, and the definitions each fit on a page.
    assert len(printed) <= math.ceil(listed / 30) + 4, [p[1:3] for p in printed]
    headings = [re.sub(r"<.*?>", "", h) for h in re.findall(r"<h2>(.*?)</h2>", html)]
    pages_listing = 0
    for number, lines in enumerate(printed, start=1):
        assert MARKING in lines[0], (number, lines[0])  # the top of the page
        assert MARKING in lines[-1] and f"Page {number} of {len(printed)}" in lines[-1], number
        body = lines[1:-1]
        assert body[-1] not in headings, f"page {number} ends with its heading {body[-1]!r}"
        if any(re.match(r"C-[0-9A-Z]{10}\b", line) for line in body):
            pages_listing += 1
            header = [line for line in body if line.startswith("Child") and "Status" in line]
            assert header, f"page {number}: the repeat list continues without its header row"
    assert pages_listing >= 2  # the list did run over a page break
    text = ["\n".join(lines) for lines in printed]
    for heading, chart_title in (
        ("Where children went missing from", "Episodes by where they went missing from"),
        ("The twelve months to March 2018", "Missing children trends: April 2017 to March 2018"),
    ):
        where = next(n for n, lines in enumerate(printed) if heading in lines)  # not the definition
        assert chart_title in text[where], f"{heading!r} is not on the page of its chart"
        chart = text[where][text[where].index(chart_title) :]
        assert "Produced 3 April 2018 at 09:30" in chart  # the chart was not split


def test_the_trends_page_shows_each_month_and_its_change(history: History, tmp_path: Path) -> None:
    small_city(history)
    history.forum("2018-03")  # catch up
    data = trends(history.projection, "2018-01", "2018-03")
    assert data["series"]["episodes"] == [1, 2, 3] and data["change"]["episodes"] == [1, 2, 2]
    html = render_trends(data, "html", prepared=PREPARED)
    _self_contained(html)
    _no_identifiers(html)
    page = tmp_path / "trends.html"
    page.write_text(html, encoding="utf-8")
    dom, _ = _charts_drawn(html, page, tmp_path)
    table = dom.split('id="trends"')[1].split("</table>")[0]
    assert len(re.findall(r"<tr>", table)) == 1 + 3  # the heading and three months
    assert "March 2018" in table and "+2" in table


def test_markdown_and_json_carry_the_same_figures(history: History) -> None:
    small_city(history)
    history.forum("2018-03")
    data: dict[str, Any] = trends(history.projection, "2018-03", "2018-03")
    md = render_trends(data, "md")
    parsed = orjson.loads(render_trends(data, "json"))
    assert parsed == data  # JSON round-trips the figures exactly
    row = next(line for line in md.splitlines() if line.startswith("| 2018-03 |"))
    cells = [c.strip() for c in row.strip("|").split("|")][1:]
    for cell, name in zip(cells, parsed["series"], strict=True):
        value, change = parsed["series"][name][0], parsed["change"][name][0]
        shown = "–" if value is None else f"{value:.1f}" if isinstance(value, float) else value
        assert cell.split(" ")[0] == str(shown), name
        assert change is None or f"({change:+})" in cell, name
    assert cells[:2] == ["3 (+2)", "2 (+1)"]  # episodes; children (child 1 twice)
