"""The projection follows the store: on both stores, resumably, once per fact."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from hub.config import Settings
from projections import ProjectionError, ProjectionStore, answer, catch_up, parse_period
from projections import _projector as projector_module
from tests.history import History, child


def a_year(history: History, n: int = 30) -> None:
    """``n`` episodes, some found with interviews, a few corrected or retracted."""
    history.event("care.period_started", "2016-01-01T09:00:00+00:00", child=child(1))
    for i in range(n):
        who = child(i % 7 + 1)
        report = history.episode(
            f"E{i}",
            f"2017-06-{i % 28 + 1:02d}T10:00:00+00:00",
            who,
            found=f"2017-06-{i % 28 + 1:02d}T20:00:00+00:00",
        )
        if i % 5 == 0:
            history.correct(report, classification="absent")
        if i % 11 == 0:
            history.retract(report)


def figures(store: ProjectionStore) -> dict[str, object]:
    result = answer(store, "missing-occasions", parse_period("2017/18"))
    return {"figures": result["figures"], "provenance": result["provenance"]}


def test_the_projection_follows_either_store(settings: Settings) -> None:
    history = History(settings).at("2020-01-01T00:00:00+00:00")
    a_year(history)

    result = history.figures("missing-occasions", "2017/18")

    # 30 episodes, 3 retracted (0, 11, 22); corrected to absent: 0, 5, 10, 15, 20, 25 less 0.
    assert (result["all.total"], result["all.absent"]) == (27, 5)
    assert result["looked_after.total"] == 4  # child 1: episodes 7, 14, 21, 28 (0 retracted)


def test_catching_up_in_small_pages_gives_the_same_answer(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    history = History(sqlite_settings).at("2020-01-01T00:00:00+00:00")
    a_year(history)
    paged = ProjectionStore(tmp_path / "paged.sqlite")

    assert catch_up(history.feed, paged, page=7, max_pages=2) == 14
    catch_up(history.feed, paged, page=7)
    catch_up(history.feed, history.projection)

    assert figures(paged) == figures(history.projection)


def test_a_crash_mid_page_leaves_the_page_to_be_applied_again(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = History(sqlite_settings).at("2020-01-01T00:00:00+00:00")
    a_year(history)
    store = ProjectionStore(tmp_path / "crashed.sqlite")
    real = projector_module._Rederivation.run
    calls = 0

    def crash_on_the_40th_fact(self: object, touched: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 40:
            raise RuntimeError("power cut")
        real(self, touched)  # type: ignore[arg-type]

    monkeypatch.setattr(projector_module._Rederivation, "run", crash_on_the_40th_fact)
    with pytest.raises(RuntimeError, match="power cut"):
        catch_up(history.feed, store, page=25)
    assert store.head()[0] == 25  # the first page committed; the second rolled back whole

    monkeypatch.setattr(projector_module._Rederivation, "run", real)
    catch_up(history.feed, store, page=25)
    catch_up(history.feed, history.projection)
    assert figures(store) == figures(history.projection)


def test_two_processes_catching_up_at_once_apply_each_fact_once(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    history = History(sqlite_settings).at("2020-01-01T00:00:00+00:00")
    a_year(history, 60)
    path = tmp_path / "shared.sqlite"
    stores = [ProjectionStore(path), ProjectionStore(path)]
    errors: list[BaseException] = []

    def run(store: ProjectionStore) -> None:
        try:
            catch_up(history.feed, store, page=5)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    catch_up(history.feed, history.projection)
    assert figures(stores[0]) == figures(history.projection)
    assert stores[0].head() == history.projection.head()


def test_a_projection_of_another_derivation_version_is_rebuilt(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    history = History(sqlite_settings).at("2020-01-01T00:00:00+00:00")
    a_year(history)
    path = tmp_path / "old.sqlite"
    catch_up(history.feed, ProjectionStore(path))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = 'old' WHERE key = 'version'")
        db.execute("DELETE FROM episode")  # what an older version derived differently

    rebuilt = ProjectionStore(path)
    assert rebuilt.head()[0] == 0
    catch_up(history.feed, rebuilt)
    catch_up(history.feed, history.projection)
    assert figures(rebuilt) == figures(history.projection)


def test_a_projection_built_from_another_store_is_rebuilt(tmp_path: Path) -> None:
    first = History(Settings(data_dir=tmp_path / "one", writer="thread")).at(
        "2020-01-01T00:00:00+00:00"
    )
    a_year(first, 40)
    second = History(Settings(data_dir=tmp_path / "two", writer="thread")).at(
        "2020-01-01T00:00:00+00:00"
    )
    a_year(second, 20)
    shared = ProjectionStore(tmp_path / "shared.sqlite")
    catch_up(first.feed, shared)

    catch_up(second.feed, shared)  # e.g. the store was recreated, the projection path kept

    catch_up(second.feed, second.projection)
    assert figures(shared) == figures(second.projection)


def test_a_fact_the_projector_cannot_read_stops_it_with_the_position(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = History(sqlite_settings).at("2020-01-01T00:00:00+00:00")
    a_year(history, 3)
    store = ProjectionStore(tmp_path / "stuck.sqlite")

    def unreadable(value: str) -> int:
        raise ValueError(f"Invalid isoformat string: {value!r}")

    monkeypatch.setattr(projector_module, "instant", unreadable)
    with pytest.raises(ProjectionError, match="position 1 ") as raised:
        catch_up(history.feed, store)
    assert "Invalid" not in str(raised.value)  # the error names the position, not the content
    assert store.head()[0] == 0
