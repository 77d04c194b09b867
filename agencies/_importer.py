"""``hub import``: read an agency export, publish what is new since the last import of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path

from agencies._errors import PublishFailed
from agencies._format import Notice, Refusal
from agencies._ledger import Ledger
from agencies._outgoing import Outgoing
from agencies._plan import Counts, Planner
from agencies._registry import lookup
from agencies.publisher import Bus, publish

_RULES_SHOWN = 12


@dataclass(frozen=True)
class ImportReport:
    """What one import did. Counts are of records (rows), then of events sent."""

    source: str
    file: str
    snapshot: bool
    counts: Counts
    refusals: tuple[Refusal, ...]
    notices: tuple[Notice, ...] = ()
    withheld: str | None = None
    # Which DfE validation rules were run on the file (an SSDA903 return), or why none were.
    rules: str | None = None
    # Events an earlier, interrupted import of the source left to send, sent first.
    resent: int = 0

    def summary(self) -> str:
        c = self.counts
        lines = [
            f"{self.source} from {self.file}: {c.published} published, {c.progressed} progressed,"
            f" {c.corrected} corrected, {c.unchanged} unchanged, {c.retracted} retracted,"
            f" {c.refused} refused",
            f"events sent: {c.events} ({c.corrections} corrections, {c.retractions} retractions)",
        ]
        if c.warnings:
            lines.append(
                f"{c.warnings} warnings in {c.rows} rows read (a value dropped or a rule broken;"
                " the rows were kept)"
            )
        if c.empty:
            lines.append(
                f"{c.empty} rows imply no event (e.g. an SSDA903 Header row without a UPN)"
            )
        if self.notices:
            by_rule: dict[str, int] = {}
            for notice in self.notices:
                by_rule[notice.rule] = by_rule.get(notice.rule, 0) + 1
            ranked = sorted(by_rule.items(), key=lambda pair: (-pair[1], pair[0]))
            shown = ", ".join(f"{r} {n}" for r, n in ranked[:_RULES_SHOWN])
            more = len(ranked) - _RULES_SHOWN
            lines.append(f"warnings by rule: {shown}" + (f" and {more} more" if more > 0 else ""))
        if self.rules:
            lines.append(f"DfE rules: {self.rules}")
        if self.resent:
            lines.append(f"first re-sent {self.resent} events an interrupted import had left")
        if self.withheld:
            lines.append(f"snapshot: {self.withheld}")
        return "\n".join(lines)


async def import_file(
    bus: Bus | str,
    ledger_path: Path,
    agency: str,
    kind: str,
    path: Path,
    *,
    snapshot: bool = False,
    now: dt.datetime | None = None,
    la_code: str | None = None,
    year: int | None = None,
) -> ImportReport:
    """Publish the facts in ``path`` that the ledger says were not yet sent as they stand.

    First re-sends what an earlier import of the source committed to send but did not see
    acknowledged. The plan and its messages are committed before publishing, so an import
    that fails part way is completed by the next one (see ``agencies._ledger``).
    """
    fmt = lookup(agency, kind)
    now = now or dt.datetime.now(dt.UTC)
    ledger = Ledger(ledger_path)
    try:
        with ledger.lock():
            resent = ledger.pending(fmt.source)
            if resent:
                await _send(bus, agency, resent)
                ledger.sent(fmt.source)
            with ledger.source(fmt.source) as source_ledger:
                planner = Planner(fmt, source_ledger, now)
                planner.context.la_code = la_code
                planner.context.year = year
                for item in fmt.items(path, planner.context):
                    planner.add(item)
                planner.finish()
                if snapshot:
                    planner.retract_missing()
                source_ledger.outbox = list(planner.messages)
                summary = asdict(planner.counts) | {"withheld": planner.withheld}
                source_ledger.note(path.name, now.isoformat(), snapshot, summary)
            if source_ledger.outbox:
                await _send(bus, agency, source_ledger.outbox)
                ledger.sent(fmt.source)
    finally:
        ledger.close()
    return ImportReport(
        fmt.source,
        path.name,
        snapshot,
        planner.counts,
        tuple(planner.refusals),
        tuple(planner.notices),
        planner.withheld,
        planner.context.rules,
        len(resent),
    )


async def _send(bus: Bus | str, agency: str, messages: list[Outgoing]) -> None:
    try:
        await publish(bus, agency, messages)
    except PublishFailed as error:
        raise PublishFailed(
            f"{error}. The events are kept: the next `hub import` of this kind sends them first"
        ) from None
