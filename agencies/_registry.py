"""Every export format the adapters read, by agency and kind."""

from __future__ import annotations

from functools import cache

from agencies._errors import UnknownFormat
from agencies._format import Format


@cache
def formats() -> dict[tuple[str, str], Format]:
    from agencies import education, health, local_authority, police

    found: dict[tuple[str, str], Format] = {}
    for module in (police, local_authority, health, education):
        for fmt in module.FORMATS:
            found[fmt.agency, fmt.kind] = fmt
    return found


def lookup(agency: str, kind: str) -> Format:
    fmt = formats().get((agency, kind))
    if fmt is None:
        kinds = sorted(k for a, k in formats() if a == agency)
        if not kinds:
            agencies = sorted({a for a, _ in formats()})
            raise UnknownFormat(f"no agency {agency!r}; agencies: {', '.join(agencies)}")
        raise UnknownFormat(f"{agency} has no export kind {kind!r}; kinds: {', '.join(kinds)}")
    return fmt
