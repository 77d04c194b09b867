"""``hub import``: read an agency export, publish what is new since the last import of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path

from agencies._format import Refusal
from agencies._ledger import Ledger
from agencies._plan import Counts, Planner
from agencies._registry import lookup
from agencies.publisher import publish


@dataclass(frozen=True)
class ImportReport:
    """What one import did. Counts are of records (rows), then of events sent."""

    source: str
    file: str
    snapshot: bool
    counts: Counts
    refusals: tuple[Refusal, ...]
    withheld: str | None = None

    def summary(self) -> str:
        c = self.counts
        lines = [
            f"{self.source} from {self.file}: {c.published} published, {c.progressed} progressed,"
            f" {c.corrected} corrected, {c.unchanged} unchanged, {c.retracted} retracted,"
            f" {c.refused} refused",
            f"events sent: {c.events} ({c.corrections} corrections, {c.retractions} retractions)",
        ]
        if self.withheld:
            lines.append(f"snapshot: {self.withheld}")
        return "\n".join(lines)


async def import_file(
    url: str,
    ledger_path: Path,
    agency: str,
    kind: str,
    path: Path,
    *,
    snapshot: bool = False,
    now: dt.datetime | None = None,
) -> ImportReport:
    """Publish the facts in ``path`` that the ledger says were not yet sent as they stand.

    The ledger is saved only once NATS has acknowledged every event, so a failure part way
    leaves it as it was and the same import can simply be run again.
    """
    fmt = lookup(agency, kind)
    now = now or dt.datetime.now(dt.UTC)
    ledger = Ledger(ledger_path)
    try:
        with ledger.source(fmt.source) as source:
            planner = Planner(fmt, source, now)
            for item in fmt.items(path):
                planner.add(item)
            if snapshot:
                planner.retract_missing()
            if planner.messages:
                await publish(url, ((m.subject, m.event_id, m.body) for m in planner.messages))
            report = ImportReport(
                fmt.source,
                path.name,
                snapshot,
                planner.counts,
                tuple(planner.refusals),
                planner.withheld,
            )
            summary = asdict(planner.counts) | {"withheld": planner.withheld}
            source.note(path.name, now.isoformat(), snapshot, summary)
    finally:
        ledger.close()
    return report
