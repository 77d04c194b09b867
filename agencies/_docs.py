"""The export formats as a document a council's data team can work from.

``docs/agency-formats.md`` is this module's output (a test keeps the two the same), so the
columns and codes documented are the ones the adapters read.
"""

from __future__ import annotations

from agencies._format import Column, Format
from agencies._registry import formats

_AGENCIES = {
    "police": "Police",
    "local_authority": "Local authority (children's social care)",
    "health": "Health",
    "education": "Education",
}

_INTRO = """\
# Agency export formats

What each agency adapter reads. Import a file with `hub import AGENCY KIND FILE [--snapshot]`
while the hub is running; `hub import --formats` prints this document. An example of every
format is in the adapter's package, under `agencies/<agency>/examples/`.

Rules for every CSV format:

- UTF-8 (in a spreadsheet, save as "CSV UTF-8"), a header line of column names, one record per
  line. Column names are not case-sensitive; their order does not matter; columns not listed
  are ignored. A row with more cells than the header is refused.
- Codes are not case-sensitive. Y/N columns also accept yes/no, true/false and 1/0.
- Columns ending `_at` take a date and time (`2017-03-04T23:10:00+00:00`, `2017-03-04 23:10`,
  `04/03/2017 23:10`) or a date alone (`04/03/2017`, `2017-03-04`), which means its midnight.
  A time without an offset is Europe/London local time.
- Identifiers: NHS numbers must pass the Modulus 11 check; UPNs the DfE check letter.
- Each row is one record, named by its reference column(s). Import the export again whenever it
  changes: a new record is published; an unchanged one publishes nothing; a changed one becomes
  `record.corrected` (or, where its time or child changed, a `record.retracted` of the old fact
  and a new one). With `--snapshot` the file is taken to be the agency's whole current record,
  and a record missing from it is retracted.
- A row that breaks a rule is refused and reported with its file, line and column; the rest of
  the file is imported. A refused row changes nothing that was published before.
"""


def render() -> str:
    parts = [_INTRO]
    by_agency: dict[str, list[Format]] = {}
    for fmt in formats().values():
        by_agency.setdefault(fmt.agency, []).append(fmt)
    for agency, title in _AGENCIES.items():
        parts.append(f"## {title}\n")
        for fmt in by_agency.get(agency, []):
            parts.append(_format(fmt))
    return "\n".join(parts)


def _format(fmt: Format) -> str:
    lines = [
        f"### {fmt.title}: `hub import {fmt.agency} {fmt.kind} FILE`\n",
        fmt.summary + "\n",
        f"Example: `agencies/{fmt.agency}/examples/{fmt.example}`\n",
    ]
    tables = fmt.tables or (("", fmt.columns),)
    for name, columns in tables:
        if name:
            lines.append(f"Table {name} (a CSV file named anyhow, known by its columns):\n")
        lines.append(_columns(columns))
    for column in (c for _, columns in tables for c in columns):
        if column.codes and column.table:
            lines.append(_codes(column))
    if fmt.notes:
        lines.extend(f"- {note}" for note in fmt.notes)
        lines.append("")
    return "\n".join(lines)


def _columns(columns: tuple[Column, ...]) -> str:
    rows = ["| column | required | meaning |", "|---|---|---|"]
    rows.extend(f"| `{c.name}` | {'yes' if c.required else ''} | {c.meaning} |" for c in columns)
    return "\n".join(rows) + "\n"


def _codes(column: Column) -> str:
    assert column.codes is not None
    rows = [f"`{column.name}` codes:\n", "| code | becomes |", "|---|---|"]
    rows.extend(f"| `{code}` | `{value}` |" for code, value in column.codes.items())
    return "\n".join(rows) + "\n"
