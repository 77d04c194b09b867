"""Disclosure control for public figures.

Primary: a count from 1 to ``threshold - 1`` is shown as ``<threshold``; zero is shown.
Secondary: where a total is published with its parts (``total = missing + absent``), one
hidden cell could be worked out from the others, so a second cell is hidden too - the
smallest non-zero part, else the total - until every such group hides none or at least
two. A figure derived from hidden ones (a percentage) is hidden with them. Money is not a
count and is never suppressed. Cells withheld for another reason (``withhold``: the
differencing guard, ``projections._differencing``) take part in the secondary rule like
small ones.

A primary cell shows the threshold (``<5``); every other hidden cell shows ``c``, the mark
the Department for Education uses for a suppressed figure, so a reader never takes it for a
small number. Each cell says why it is hidden (``REASONS``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from projections.statistics import Figures, Statistic

SMALL, SECONDARY, DERIVED, DIFFERENCING = "small", "secondary", "derived", "differencing"
NO_RECORDS = "no_records"
REASONS = {
    SMALL: "a count from 1 to the threshold less one",
    SECONDARY: "hidden so that a small count cannot be worked out from a total",
    DERIVED: "worked out from a hidden figure",
    DIFFERENCING: "hidden so that a small count cannot be worked out by setting this answer"
    " against one given before, for a period inside or around this one",
    NO_RECORDS: "no records held for the period (records_held says why)",
}
"""A hidden cell's ``reason``, and what it means."""

MARK = "c"
"""What a cell hidden for any reason but its own small size shows (DfE: confidential)."""

NOT_HELD = "x"
"""What a cell shows when no records are held for it (DfE: not available)."""


@dataclass(frozen=True)
class Cell:
    value: int | float | None
    display: str
    suppressed: bool
    reason: str | None = None
    label: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "value": self.value,
            "display": self.display,
            "suppressed": self.suppressed,
            "reason": self.reason,
            "label": self.label,
        }


def suppression(
    statistic: Statistic,
    figures: Figures,
    threshold: int,
    withhold: Collection[str] = (),
) -> dict[str, str]:
    """The figures to hide, each with its reason (``small``, ``differencing``,
    ``secondary``, ``derived``)."""
    counts = statistic.counts
    hide = {name: SMALL for name in counts if 0 < int(figures[name] or 0) < threshold}
    for name in withhold:
        if name in counts:
            hide.setdefault(name, DIFFERENCING)
    changed = True
    while changed:
        changed = False
        for total, parts in statistic.totals:
            group = (total, *parts)
            if sum(name in hide for name in group) != 1:
                continue
            shown = [n for n in parts if n not in hide and figures[n]]
            shown.sort(key=lambda n: (figures[n] or 0, n))
            if not shown and total not in hide and figures[total]:
                shown = [total]
            if shown:
                hide[shown[0]] = SECONDARY
                changed = True
    for name, inputs in statistic.derived:
        if hide.keys() & set(inputs):
            hide[name] = DERIVED
    return hide


def hidden(statistic: Statistic, figures: Figures, threshold: int) -> set[str]:
    """The figures to suppress."""
    return set(suppression(statistic, figures, threshold))


def cells(
    statistic: Statistic,
    figures: Figures,
    *,
    threshold: int,
    suppress: bool,
    withhold: Collection[str] = (),
) -> dict[str, Cell]:
    hide = suppression(statistic, figures, threshold, withhold) if suppress else {}
    result = {}
    for name in statistic.figures:
        value, label = figures[name], statistic.label(name)
        if reason := hide.get(name):
            display = f"<{threshold}" if reason == SMALL else MARK
            result[name] = Cell(None, display, True, reason, label)
        else:
            result[name] = Cell(value, _display(statistic, name, value), False, None, label)
    return result


def not_held(statistic: Statistic) -> dict[str, Cell]:
    """The cells of an answer for which no records are held: no number at all."""
    return {
        name: Cell(None, NOT_HELD, False, NO_RECORDS, statistic.label(name))
        for name in statistic.figures
    }


def _display(statistic: Statistic, name: str, value: int | float | None) -> str:
    if value is None:
        return "-"
    if name in statistic.money:
        return f"£{value:,.2f}"
    if any(name == d for d, _ in statistic.derived):
        return f"{value:.1f}%"
    return f"{int(value):,}"
