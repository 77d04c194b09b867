"""A synthetic English city's agency exports, 2010 to 2021, for the demo, tests and benchmarks.

Public face::

    exports = generate(folder, seed=2010, scale=1.0)   # writes the files; returns what to import
    PUBLISHED                                           # the seeds' figures the history contains

Leicester-like volumes at ``scale=1``: about 1,100 children reported missing a year with a long
tail of repeat missers, some 600 looked after at a time, three children's homes that are hot
spots, UASC arrivals, return interviews, CSE cases with a growing online share, children's-home
alerts. ``scale`` multiplies every volume (and the calibrated figures with it: they match the
seeds only at 1). Seeded: the same seed and scale write the same files.
"""

from __future__ import annotations

from pathlib import Path

from agencies.city._exports import Export, write
from agencies.city._history import build
from agencies.city._published import CSE_CASES, CSE_ONLINE, FY_2010, MISSING_CHILDREN_2010

PUBLISHED = {
    "missing-children": (f"{FY_2010[0]}..{FY_2010[1]}", MISSING_CHILDREN_2010),
    "cse-cases": {str(year): {"total": n} for year, n in CSE_CASES.items()},
    "cse-online": {str(year): {"online_element": n} for year, n in CSE_ONLINE.items()},
}


def generate(folder: Path, *, seed: int = 2010, scale: float = 1.0) -> list[Export]:
    """Write the city's exports under ``folder``; return them in the order to import them."""
    if not 0 < scale <= 200:
        raise ValueError("scale must be above 0 and at most 200")
    return write(build(seed, scale), folder)


__all__ = ["PUBLISHED", "Export", "generate"]
