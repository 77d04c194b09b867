"""The projector derives records once per batch the hub recorded together, not once per fact:
the answers must be those of a projection derived fact by fact, now and as of any time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contracts.examples import example_event
from projections import STATISTICS, ProjectionStore, answer, catch_up, parse_as_of, parse_period
from projections._forum import forum
from tests.history import History, child

COUNCIL, POLICE_ONLY = child(1), child(1, nhs=False, la=False, police=True)


def _episode(ref: str, when: str, who: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return example_event(
        "missing.reported", occurred_at=when, child=who, episode_ref=ref, last_seen_at=when,
        **changes,
    )  # fmt: skip


def _correction(target: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return example_event(
        "record.corrected",
        occurred_at=target["occurred_at"],
        agency=target["source"]["agency"],
        target_event_id=target["event_id"],
        replacement={**target["payload"], **changes},
    )


def test_answers_are_those_of_a_projection_derived_fact_by_fact(
    history: History, tmp_path: Path
) -> None:
    e3 = _episode("E3", "2017-07-01T22:00:00+00:00", child(3), risk="medium")
    link = example_event(
        "identity.linked", occurred_at="2018-05-31T12:00:00+00:00", child=COUNCIL,
        other=POLICE_ONLY,
    )  # fmt: skip
    history.at("2018-01-01T00:00:00+00:00").record(
        example_event("care.period_started", occurred_at="2017-01-01T09:00:00+00:00",
                      child=COUNCIL),
        example_event("allocation.opened", occurred_at="2017-02-01T09:00:00+00:00",
                      child=child(2)),
        _episode("E1", "2017-05-01T10:00:00+00:00", POLICE_ONLY),
        _episode("E2", "2017-06-01T10:00:00+00:00", child(2)),
        _episode("E4", "2017-06-20T10:00:00+00:00", POLICE_ONLY),
        example_event("missing.found", occurred_at="2017-06-02T10:00:00+00:00", child=child(2),
                      episode_ref="E2", found_at="2017-06-02T10:00:00+00:00"),
    )  # fmt: skip
    history.at("2018-06-01T00:00:00+00:00").record(
        e3,
        _correction(e3, risk="high"),  # the same batch as its target
        link,
        example_event("care.period_ended", occurred_at="2017-06-10T09:00:00+00:00",
                      child=COUNCIL),
        example_event("cse.case_opened", occurred_at="2017-08-01T09:00:00+00:00",
                      child=child(3)),
    )  # fmt: skip
    history.at("2019-01-01T00:00:00+00:00").record(
        example_event("record.retracted", occurred_at=link["occurred_at"],
                      agency="local_authority", target_event_id=link["event_id"]),
        example_event("allocation.closed", occurred_at="2017-06-10T09:00:00+00:00",
                      child=child(2)),
    )  # fmt: skip

    by_batch = history.projection
    catch_up(history.feed, by_batch)
    by_fact = ProjectionStore(tmp_path / "by-fact.sqlite")
    catch_up(history.feed, by_fact, page=1)  # each page is derived at its end: one fact
    asked = 0
    for as_of in (None, "2018-03-01T00:00:00Z", "2018-07-01T00:00:00Z", "2019-02-01T00:00:00Z"):
        when = parse_as_of(as_of) if as_of else None
        for name in STATISTICS:
            for period in ("2017/18", "2017", "2017-06"):
                one, other = (
                    answer(p, name, parse_period(period), as_of=when, suppress=False)
                    for p in (by_batch, by_fact)
                )
                assert one["figures"] == other["figures"], (name, period, as_of)
                assert one["orphans"] == other["orphans"], (name, period, as_of)
                asked += 1
    assert asked == 4 * 3 * len(STATISTICS)
    # The link changed the figures over time, so the comparison saw more than one state.
    states = [
        answer(by_batch, "missing-children", parse_period("2017/18"),
               as_of=parse_as_of(t), suppress=False)["figures"]
        for t in ("2018-03-01T00:00:00Z", "2018-07-01T00:00:00Z", "2019-02-01T00:00:00Z")
    ]  # fmt: skip
    assert [s["total"]["value"] for s in states] == [2, 3, 3]
    # E1 was the council's looked-after child's, while linked.
    assert [s["looked_after"]["value"] for s in states] == [0, 1, 0]
    pack = forum(by_batch, parse_period("2017-06"), key=history.key)
    assert pack == forum(by_fact, parse_period("2017-06"), key=history.key)
