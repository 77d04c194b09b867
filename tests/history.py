"""Hand-built event histories: events recorded through the hub's real intake into a real
store at chosen recorded times, then projected and asked, as ``hub foi`` does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

import contracts
from contracts.examples import example_event, nhs_number
from hub.bootstrap import build_feed, build_store
from hub.config import Settings
from hub.domain.intake import Inbound
from hub.service.ingest import IngestService
from hub.service.queries import forum_key
from projections import ProjectionStore, answer, catch_up, parse_as_of, parse_period
from projections._forum import forum


def child(n: int, *, nhs: bool = True, la: bool = True, police: bool = False) -> dict[str, Any]:
    """Child ``n``'s identifiers as an agency would send them."""
    ids: dict[str, str] = {}
    if nhs:
        ids["nhs_number"] = nhs_number(n)
    if la:
        ids["la_child_id"] = f"LA-{n}"
    if police:
        ids["police_person_id"] = f"P-{n}"
    return {"ids": ids}


class History:
    def __init__(self, settings: Settings, start: str = "2010-01-01T00:00:00+00:00") -> None:
        self.settings = settings
        self.now = dt.datetime.fromisoformat(start)
        self.store = build_store(settings)
        self.feed = build_feed(settings)
        self.ingest = IngestService(self.store, settings.stream, clock=lambda: self.now)
        self.projection = ProjectionStore(settings.data_dir / "projection.sqlite")
        self._seq = 0

    def at(self, when: str) -> History:
        """Record what follows at hub time ``when``."""
        self.now = dt.datetime.fromisoformat(when)
        return self

    def record(self, *bodies: dict[str, Any]) -> list[dict[str, Any]]:
        batch = []
        for body in bodies:
            self._seq += 1
            subject = contracts.subject_for(body["source"]["agency"], body["event_type"])
            batch.append(Inbound(subject, orjson.dumps(body), self._seq))
        outcome = self.ingest.record(batch)
        assert not outcome.rejections, [r.reason for r in outcome.rejections]
        return list(bodies)

    def event(self, event_type: str, occurred_at: str, **changes: Any) -> dict[str, Any]:
        """Record one event (``changes`` as for ``example_event``); return its body."""
        (body,) = self.record(example_event(event_type, occurred_at=occurred_at, **changes))
        return body

    def episode(
        self,
        ref: str,
        last_seen: str,
        who: dict[str, Any],
        *,
        classification: str = "missing",
        found: str | None = None,
        **changes: Any,
    ) -> dict[str, Any]:
        """A police missing.reported (and missing.found if ``found``); return the report."""
        report = self.event(
            "missing.reported",
            last_seen,
            child=who,
            episode_ref=ref,
            last_seen_at=last_seen,
            classification=classification,
            **changes,
        )
        if found:
            self.event("missing.found", found, child=who, episode_ref=ref, found_at=found)
        return report

    def correct(self, target: dict[str, Any], **changes: Any) -> dict[str, Any]:
        replacement = {**target["payload"], **changes}
        return self.event(
            "record.corrected",
            target["occurred_at"],
            agency=target["source"]["agency"],
            target_event_id=target["event_id"],
            replacement=replacement,
        )

    def retract(self, target: dict[str, Any]) -> dict[str, Any]:
        return self.event(
            "record.retracted",
            target["occurred_at"],
            agency=target["source"]["agency"],
            target_event_id=target["event_id"],
            reason="recorded in error",
        )

    def ask(
        self,
        statistic: str,
        period: str,
        as_of: str | None = None,
        *,
        suppress: bool = False,
    ) -> dict[str, Any]:
        catch_up(self.feed, self.projection)
        return answer(
            self.projection,
            statistic,
            parse_period(period),
            as_of=parse_as_of(as_of) if as_of else None,
            suppress=suppress,
        )

    def forum(self, month: str, **options: Any) -> dict[str, Any]:
        """The forum pack for ``month``, children under the hub's keyed pseudonyms."""
        catch_up(self.feed, self.projection)
        return forum(self.projection, parse_period(month), key=self.key, **options)

    def key(self, root: bytes) -> str:
        return forum_key(self.store)(root)

    def figures(self, statistic: str, period: str, as_of: str | None = None) -> dict[str, Any]:
        """Raw figures (no suppression), plus ``orphans`` for episode statistics."""
        result = self.ask(statistic, period, as_of)
        figures = {name: cell["value"] for name, cell in result["figures"].items()}
        if result["orphans"] is not None:
            figures["orphans"] = result["orphans"]
        return figures


def small_city(history: History) -> None:
    """Child 1 repeatedly missing from a children's home, two others; CSE and health."""
    one = {**child(1), "date_of_birth": "2003-06-01"}
    history.event("care.period_started", "2016-01-01T00:00:00+00:00", child=one)
    history.event(
        "care.placement_started",
        "2016-01-01T00:00:00+00:00",
        child=one,
        placement_ref="SC482913",
        placement_type="childrens_home",
    )
    for i, day in enumerate(("2017-03-02", "2018-01-20", "2018-02-11", "2018-03-05", "2018-03-19")):
        history.episode(
            f"A{i}",
            f"{day}T21:00:00+00:00",
            one,
            found=f"{day}T23:30:00+00:00",
            risk="high" if i == 4 else "medium",
            missing_from={"kind": "placement", "placement_ref": "SC482913"},
        )
    history.event("health.concern_raised", "2018-03-06T10:00:00+00:00", child=one, concern="cse")
    for n, day in ((2, "2018-03-07"), (3, "2018-02-14")):
        history.episode(f"B{n}", f"{day}T18:00:00+00:00", child(n), found=f"{day}T20:00:00+00:00")
    history.event("cse.case_opened", "2018-03-08T10:00:00+00:00", child=one, case_ref="CSE-9")
