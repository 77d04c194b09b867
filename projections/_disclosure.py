"""Disclosure control for public figures.

Primary: a count from 1 to ``threshold - 1`` is shown as ``<threshold``; zero is shown.
Secondary: where a total is published with its parts (``total = missing + absent``), one
hidden cell could be worked out from the others, so a second cell is hidden too - the
smallest non-zero part, else the total - until every such group hides none or at least
two. A figure derived from hidden ones (a percentage) is hidden with them. Money is not a
count and is never suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass

from projections.statistics import Figures, Statistic


@dataclass(frozen=True)
class Cell:
    value: int | float | None
    display: str
    suppressed: bool

    def as_dict(self) -> dict[str, object]:
        return {"value": self.value, "display": self.display, "suppressed": self.suppressed}


def hidden(statistic: Statistic, figures: Figures, threshold: int) -> set[str]:
    """The figures to suppress."""
    counts = [
        name
        for name in statistic.figures
        if name not in statistic.money and not any(name == d for d, _ in statistic.derived)
    ]
    hide = {name for name in counts if 0 < int(figures[name] or 0) < threshold}
    changed = True
    while changed:
        changed = False
        for total, parts in statistic.totals:
            group = (total, *parts)
            if sum(name in hide for name in group) != 1:
                continue
            shown = [n for n in parts if n not in hide and figures[n]]
            shown.sort(key=lambda n: (figures[n], n))
            if not shown and total not in hide and figures[total]:
                shown = [total]
            if shown:
                hide.add(shown[0])
                changed = True
    for name, inputs in statistic.derived:
        if hide & set(inputs):
            hide.add(name)
    return hide


def cells(
    statistic: Statistic, figures: Figures, *, threshold: int, suppress: bool
) -> dict[str, Cell]:
    hide = hidden(statistic, figures, threshold) if suppress else set()
    result = {}
    for name in statistic.figures:
        value = figures[name]
        if name in hide:
            result[name] = Cell(None, f"<{threshold}", True)
        else:
            result[name] = Cell(value, _display(statistic, name, value), False)
    return result


def _display(statistic: Statistic, name: str, value: int | float | None) -> str:
    if value is None:
        return "-"
    if name in statistic.money:
        return f"£{value:,.2f}"
    if any(name == d for d, _ in statistic.derived):
        return f"{value:.1f}%"
    return f"{int(value):,}"
