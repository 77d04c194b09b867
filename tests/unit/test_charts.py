"""Charts put agency text (placement references) into the HTML pages: it must stay text."""

from __future__ import annotations

from pathlib import Path

import pytest

from projections import BadArgument
from projections._charts import bars_figure, save, svg


def test_labels_are_escaped_and_never_read_as_maths_or_markup() -> None:
    drawn = svg(bars_figure("where", ["<script>x</script> & $5$"], [3], [1]))
    assert drawn.startswith("<svg") and "<script>" not in drawn
    assert "&lt;script&gt;x&lt;/script&gt; &amp; $5$" in drawn
    assert "<metadata>" not in drawn  # nothing about the software that drew it


def test_the_same_figures_draw_the_same_svg() -> None:
    assert svg(bars_figure("risk", ["low", "high"], [2, 1])) == svg(
        bars_figure("risk", ["low", "high"], [2, 1])
    )


def test_charts_are_saved_as_png_or_svg_only(tmp_path: Path) -> None:
    figure = bars_figure("risk", ["low"], [2])
    save(figure, tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(BadArgument, match=r"\.png or \.svg"):
        save(figure, tmp_path / "c.pdf")
