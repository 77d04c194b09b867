"""The read side through ``hub.service.reading`` on a real SQLite store and projection: roles,
the audit of every read, the register of published figures and its reproduction."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import orjson
import pytest

import projections
from hub.bootstrap import build_read_side, build_reading
from hub.config import Settings
from hub.domain.people import User
from hub.errors import InputError, NotFound
from hub.service.audit import AuditLog
from hub.service.reading import Reading
from tests.history import History, child

FOI = User("fiona", "foi_officer")
ANALYST = User("ann", "analyst")
FORUM = User("fred", "forum")
AUDITOR = User("aud", "auditor")
POLICE = User("pc", "agency:police")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "hub", writer="thread")


@pytest.fixture
def history(settings: Settings) -> History:
    history = History(settings).at("2019-05-01T09:00:00+01:00")
    for n in range(1, 13):
        history.episode(f"E{n}", f"2018-0{1 + n % 3}-1{n % 9}T10:00:00+00:00", child(n))
    return history


@pytest.fixture
def reading(settings: Settings, history: History) -> Reading:
    return build_reading(settings, catch_up=True)


def test_an_answer_is_audited_with_its_user_and_digest(reading: Reading) -> None:
    result = reading.foi(FOI, "missing-occasions", "2018")
    entries = reading.audit_log.entries()
    assert [(e.user, e.role, e.action, e.outcome) for e in entries] == [
        ("fiona", "foi_officer", "foi", "ok")
    ]
    assert entries[0].digest == result["provenance"]["digest"]
    assert entries[0].what == {
        "statistic": "missing-occasions",
        "period": "2018",
        "suppression": "on",
    }


def test_a_role_is_refused_what_it_may_not_read_and_the_refusal_is_audited(
    reading: Reading,
) -> None:
    with pytest.raises(projections.NotAllowed):
        reading.foi(FOI, "missing-occasions", "2018", suppress=False)
    with pytest.raises(projections.NotAllowed):
        reading.forum(FOI, "2018-03")
    with pytest.raises(projections.NotAllowed):
        reading.audit(ANALYST)
    with pytest.raises(projections.NotAllowed):
        reading.rejects(ANALYST)
    with pytest.raises(projections.NotAllowed):
        reading.publish(ANALYST, "FOI-1", "missing-occasions", "2018", None)
    outcomes = [(e.user, e.action, e.outcome) for e in reading.audit_log.entries()]
    assert outcomes == [
        ("fiona", "foi", "refused"),
        ("fiona", "forum", "refused"),
        ("ann", "audit", "refused"),
        ("ann", "agency.rejects", "refused"),
        ("ann", "published.add", "refused"),
    ]


def test_the_partnership_roles_read_the_forum_and_trends(reading: Reading) -> None:
    pack = reading.forum(FORUM, "2018-03", threshold=1)
    assert pack["month"] == "2018-03" and pack["repeat_missing"]
    assert reading.trends(FORUM, "2018-01", "2018-03")["months"] == [
        "2018-01",
        "2018-02",
        "2018-03",
    ]
    raw = reading.foi(ANALYST, "missing-occasions", "2018", suppress=False)
    assert raw["figures"]["all.total"]["value"] == 12
    with pytest.raises(projections.BadArgument, match="YYYY-MM"):
        reading.forum(FORUM, "2017/18")


def test_an_agency_sees_its_own_contribution(reading: Reading) -> None:
    status = reading.agency_status(POLICE)
    assert status["agency"] == "police" and status["facts"] == 12
    assert status["by_type"][0]["type"] == "missing.reported"
    assert status["rejected"] == 0
    assert reading.agency_status(User("hv", "agency:health"))["facts"] == 0


def test_a_published_answer_reproduces_after_later_records(
    reading: Reading, history: History
) -> None:
    row = reading.publish(FOI, "FOI-2019-0042", "missing-occasions", "2018", None)
    assert row["answer"]["suppression"]["applied"] is True
    with pytest.raises(InputError, match="already been published"):
        reading.publish(FOI, "foi-2019-0042 ", "missing-occasions", "2018", None)

    history.at("2019-06-01T09:00:00+01:00")
    for n in range(20, 23):  # three more episodes in 2018, recorded later
        history.episode(f"L{n}", "2018-06-01T10:00:00+00:00", child(n))

    result = reading.reproduce(FOI, "FOI-2019-0042")
    assert result["matches"] is True
    assert result["digest_reproduced"] == row["digest"]
    assert result["digest_now"] != row["digest"]
    changes = {c["figure"]: c for c in result["changes"]}
    assert changes["all.total"]["difference"] == 3
    assert changes["all.missing"]["published"] == "12"
    assert changes["all.missing"]["now"] == "15"
    assert [p["reference"] for p in reading.published(AUDITOR)] == ["FOI-2019-0042"]
    with pytest.raises(NotFound):
        reading.reproduce(FOI, "FOI-none")


def test_a_tampered_audit_row_in_the_database_is_detected(
    reading: Reading, settings: Settings
) -> None:
    for period in ("2016", "2017", "2018"):
        reading.foi(FOI, "missing-occasions", period)
    assert reading.audit(AUDITOR)["chain"]["intact"] is True
    db = sqlite3.connect(settings.sqlite_path)
    (state,) = db.execute("SELECT state FROM hub_audit WHERE originator_version = 2").fetchone()
    changed = orjson.loads(state)
    changed["what"]["period"] = "2015"  # someone hides what was asked
    with db:
        db.execute(
            "UPDATE hub_audit SET state = ? WHERE originator_version = 2",
            (orjson.dumps(changed),),
        )
    chain = reading.audit(AUDITOR)["chain"]
    assert chain["intact"] is False
    assert chain["problems"] == ["entry 2 has been changed since it was written"]


def _append(settings: Settings, who: str) -> None:
    log = AuditLog(build_read_side(settings).audit)
    for i in range(15):
        log.record(User(who, "analyst"), "foi", {"i": i})


def test_processes_appending_at_once_make_one_chain(settings: Settings) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append, args=(settings, f"p{n}")) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    log = AuditLog(build_read_side(settings).audit)
    assert [e.seq for e in log.entries()] == list(range(1, 46))
    assert log.verify() == []


def test_a_public_answer_that_would_difference_into_a_small_count_is_withheld(
    reading: Reading,
) -> None:
    # Ten of the twelve episodes fall on or before 13 March 2018; the other two after it.
    published = reading.publish(FOI, "FOI-2019-0001", "missing-occasions", "2018", None)
    assert published["answer"]["figures"]["all.total"]["display"] == "12"

    nested = reading.foi(FOI, "missing-occasions", "2018-01-01..2018-03-13")
    total = nested["figures"]["all.total"]
    assert (total["display"], total["value"], total["reason"]) == ("c", None, "differencing")

    # The partnership's own analysts see raw figures: nothing public is given away.
    raw = reading.foi(ANALYST, "missing-occasions", "2018-01-01..2018-03-13", suppress=False)
    assert raw["figures"]["all.total"]["value"] == 10

    # The published answer still reproduces exactly: it is checked against what had been
    # given before it was published, as it was then.
    assert reading.reproduce(FOI, "FOI-2019-0001")["matches"] is True


def test_several_periods_in_one_answer_are_each_remembered(reading: Reading) -> None:
    result = reading.foi(FOI, "missing-occasions", "2017..2018", by="year")
    assert [a["period"]["label"] for a in result["answers"]] == ["2017", "2018"]
    assert {g.start.year for g in reading.given.of("missing-occasions")} == {2017, 2018}


def test_the_live_answer_shown_beside_a_reproduction_is_remembered_as_given(
    reading: Reading, history: History
) -> None:
    reading.publish(FOI, "FOI-2019-0007", "missing-occasions", "2018", None)  # 12
    history.at("2019-06-01T09:00:00+01:00")
    for n in range(30, 33):  # three more in June 2018: the live figure for 2018 is 15
        history.episode(f"J{n}", "2018-06-01T10:00:00+00:00", child(n))
    assert reading.reproduce(FOI, "FOI-2019-0007")["live"]["figures"]["all.total"]["value"] == 15
    # January to May holds 12: the published 12 gives nothing away, the live 15 would give 3.
    spring = reading.foi(FOI, "missing-occasions", "2018-01-01..2018-05-31")
    assert spring["figures"]["all.total"]["reason"] == "differencing"
