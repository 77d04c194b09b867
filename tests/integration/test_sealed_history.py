"""Sealed facts give the figures clear facts gave, and shredding changes none of them.

The same seeded city history (benchmarks/foi.py's generator) is stored twice: as the hub
stored facts before sealing (the body as sent), and sealed (the derivation view, the original
sealed under each child's key). Every FOI statistic, the forum pack and the trends must come
out the same, with the same provenance digests; then, with every child's key shredded, the
originals are gone while a projection rebuilt from zero still gives the same answers.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from hub.domain import privacy
from hub.domain.events import FactRecorded
from projections import (
    STATISTICS,
    ProjectionStore,
    answer,
    catch_up,
    forum,
    parse_period,
    trends,
)
from tests.fakes import MemoryKeyring, MemoryStore

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from foi import City, facts

PERIODS = ("2011/12", "2012", "2012-06")
MONTHS = ("2011-11", "2012-03", "2012-10")


def _history() -> list[FactRecorded]:
    return list(facts(City(150, seed=7, children=90), 2010, 3))


def _store(history: list[FactRecorded], keyring: MemoryKeyring | None) -> MemoryStore:
    store = MemoryStore()
    if keyring is None:
        store.facts.append(history)
        return store
    store.keyring = keyring
    digests = privacy.Digests(b"s" * 32)
    keyring.prepare(privacy.owners_of(history))
    store.facts.append([privacy.seal_fact(fact, keyring, digests) for fact in history])
    return store


def _project(store: MemoryStore, path: Path) -> ProjectionStore:
    projection = ProjectionStore(path)
    catch_up(store.feed(), projection)
    return projection


def _key(root: bytes) -> str:
    return "C-" + root.hex()[:10]


def _everything(projection: ProjectionStore) -> dict[str, Any]:
    answers = {
        (name, period): answer(projection, name, parse_period(period), suppress=False)
        for name in STATISTICS
        for period in PERIODS
    }
    packs = {month: forum(projection, parse_period(month), key=_key) for month in MONTHS}
    return {
        "answers": answers,
        "digests": {k: a["provenance"]["digest"] for k, a in answers.items()},
        "forum": packs,
        "trends": trends(projection, "2011-04", "2012-12"),
    }


@pytest.fixture(scope="module")
def clear_answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("clear") / "projection.sqlite"
    return _everything(_project(_store(_history(), None), path))


def test_sealed_facts_give_the_same_figures_digests_forum_and_trends(
    clear_answers: dict[str, Any], tmp_path: Path
) -> None:
    history = _history()
    keyring = MemoryKeyring()
    sealed = _store(history, keyring)
    stored = list(sealed.facts.all())
    assert all(fact.sealed and fact.body_digest for fact in stored)
    assert all("ids" not in (fact.body.get("child") or {}) for fact in stored)
    got = _everything(_project(sealed, tmp_path / "projection.sqlite"))
    assert got["digests"] == clear_answers["digests"]
    assert got["answers"] == clear_answers["answers"]
    assert got["forum"] == clear_answers["forum"]
    assert any(pack["repeat_missing"] for pack in got["forum"].values())  # ages were banded
    assert got["trends"] == clear_answers["trends"]
    # The originals are all still there, sealed.
    assert [privacy.original_body(f, keyring) for f in stored] == [f.body for f in history]


def test_after_shredding_the_originals_are_gone_and_a_rebuild_answers_the_same(
    clear_answers: dict[str, Any], tmp_path: Path
) -> None:
    history = _history()
    keyring = MemoryKeyring()
    sealed = _store(history, keyring)
    children = {fact.child_id for fact in history if fact.child_id}
    assert keyring.shred(children) == len(children)
    stored = list(sealed.facts.all())
    assert all(privacy.original_body(f, keyring) is None for f in stored if f.child_id)
    rebuilt = _everything(_project(sealed, tmp_path / "rebuilt.sqlite"))
    assert rebuilt["digests"] == clear_answers["digests"]
    assert rebuilt["answers"] == clear_answers["answers"]
    assert rebuilt["forum"] == clear_answers["forum"]
    assert rebuilt["trends"] == clear_answers["trends"]


def test_legacy_clear_facts_still_read(tmp_path: Path) -> None:
    history = _history()[:50]
    keyring = MemoryKeyring()
    assert [privacy.original_body(f, keyring) for f in history] == [f.body for f in history]
