"""The projection database (SQLite): the projector's state, its versioned rows, its log.

It is a read model: it can always be rebuilt from the event store, and is rebuilt when the
derivation version changes. Writes take ``BEGIN IMMEDIATE`` so two processes catching up at
once (``hub serve`` and a ``hub foi``) queue instead of both applying the same facts: the
second sees the first's log position once it has the lock.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from projections import _schema
from projections._facts import Fact

_FACT_COLUMNS = "event_id, position, agency, type, child, occurred_us, payload, alive"
_EPISODE_COLUMNS = (
    "ref, root, last_seen_us, classification, risk, looked_after, found_us, missing_from"
)
_NOTICE_COLUMNS = (
    "position, seq, recorded_us, action, kind, recipient, cause_id, cause_type, cause_agency,"
    " cause_us, root, detail, target_id"
)


class ProjectionStore:
    def __init__(self, path: Path | str, lock_timeout: float = 30.0) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(
            self.path, isolation_level=None, timeout=lock_timeout, check_same_thread=False
        )
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA cache_size=-262144")  # 256 MiB
        self.db.execute("PRAGMA mmap_size=4294967296")
        self.db.execute("PRAGMA temp_store=MEMORY")
        # Each kind's span (first day, last day) as this transaction has it: see extend_span.
        self._spans: dict[str, tuple[int, int] | None] = {}
        with self.writing():
            self._migrate()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master")}
        if "meta" in tables:
            if self.meta("version") == _schema.VERSION:
                return
            self._drop()  # derived differently now: rebuild from zero
        self._create()

    def _drop(self) -> None:
        for table in _schema.TABLES:
            self.db.execute(f"DROP TABLE IF EXISTS {table}")

    def _create(self) -> None:
        for statement in _schema.statements():
            self.db.execute(statement)
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (_schema.VERSION,))

    def reset(self) -> None:
        """Empty the projection, to be rebuilt from the store's first fact."""
        with self.writing():
            self._drop()
            self._create()

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        self._spans = {}  # another process may have widened them since
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:  # also when COMMIT itself failed
                self.db.execute("ROLLBACK")
            raise

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """One snapshot: every query inside sees the same position. Inside another
        ``reading()`` (or ``writing()``) it is that one's snapshot."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN")
        try:
            self.db.execute("SELECT 1 FROM meta LIMIT 1").fetchall()  # takes the snapshot
            yield self.db
        finally:
            self.db.execute("COMMIT")

    # The log: where the projection is, and what it has seen.

    def head(self) -> tuple[int, int, bytes]:
        """(position, facts seen, chain) of the last fact applied; zeros before any."""
        row = self.db.execute(
            "SELECT position, n, chain FROM log ORDER BY position DESC LIMIT 1"
        ).fetchone()
        return (row[0], row[1], row[2]) if row else (0, 0, bytes(32))

    def at_time(self, recorded_us: int) -> tuple[int, int, bytes]:
        """(position, facts, chain) of the last fact recorded at or before ``recorded_us``."""
        row = self.db.execute(
            "SELECT position, n, chain FROM log WHERE recorded_us <= ?"
            " ORDER BY recorded_us DESC, position DESC LIMIT 1",
            (recorded_us,),
        ).fetchone()
        return (row[0], row[1], row[2]) if row else (0, 0, bytes(32))

    def recorded_at(self, position: int) -> int:
        row = self.db.execute("SELECT recorded_us FROM log WHERE position = ?", (position,))
        return int(row.fetchone()[0])

    def log(self, position: int, recorded_us: int, n: int, chain: bytes) -> None:
        self.db.execute("INSERT INTO log VALUES (?, ?, ?, ?)", (position, recorded_us, n, chain))

    # What has been held: event types imported, and the days records of each kind span.

    def note_type(self, event_type: str, position: int) -> None:
        """A fact of ``event_type`` at ``position``: the first one is remembered."""
        self.db.execute("INSERT OR IGNORE INTO imported VALUES (?, ?)", (event_type, position))

    def types_seen(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT type FROM imported")}

    def imported(self, types: Sequence[str], position: int) -> bool:
        """Had a fact of any of ``types`` been applied by ``position``?"""
        row = self.db.execute(
            f"SELECT 1 FROM imported WHERE type IN ({_marks(types)})"  # noqa: S608
            " AND position <= ? LIMIT 1",
            [*types, position],
        ).fetchone()
        return row is not None

    def extend_span(self, kind: str, first: int, last: int, position: int) -> None:
        """Records of ``kind`` held on days ``first`` to ``last`` (YYYYMMDD) as of
        ``position``: widen the kind's span if they fall outside it. Positions only grow
        within a kind, so the latest row at or before P is the span as of P."""
        if kind not in self._spans:
            row = self.db.execute(
                "SELECT first_day, last_day FROM span WHERE kind = ?"
                " ORDER BY position DESC LIMIT 1",
                (kind,),
            ).fetchone()
            self._spans[kind] = (row[0], row[1]) if row else None
        held = self._spans[kind]
        if held is not None:
            if held[0] <= first and last <= held[1]:
                return
            first, last = min(first, held[0]), max(last, held[1])
        self.db.execute(
            "INSERT OR REPLACE INTO span VALUES (?, ?, ?, ?)", (kind, position, first, last)
        )
        self._spans[kind] = (first, last)

    def span(self, kinds: Sequence[str], position: int) -> tuple[int, int] | None:
        """The first and last day (YYYYMMDD) records of any of ``kinds`` held by
        ``position`` were about; None if none were held."""
        spans = []
        for kind in kinds:
            row = self.db.execute(
                "SELECT first_day, last_day FROM span WHERE kind = ? AND position <= ?"
                " ORDER BY position DESC LIMIT 1",
                (kind, position),
            ).fetchone()
            if row:
                spans.append((int(row[0]), int(row[1])))
        if not spans:
            return None
        return min(s[0] for s in spans), max(s[1] for s in spans)

    def _note_span(self, table: str, rows: Sequence[tuple[Any, ...]], position: int) -> None:
        if table not in _schema.SPANS or not rows:
            return
        day, split = _schema.SPANS[table]
        kinds: dict[str, list[int]] = {}
        for row in rows:
            kind = table if split is None else f"{table}.{row[split]}"
            kinds.setdefault(kind, []).append(row[day])
        for kind, days in kinds.items():
            self.extend_span(kind, min(days), max(days), position)

    # Facts.

    def add_fact(self, fact: Fact, group: str | None) -> bool:
        """Store a fact; False if it was already held (the same event_id)."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                fact.event_id,
                fact.position,
                fact.agency,
                fact.type,
                fact.child,
                group,
                fact.occurred_us,
                orjson.dumps(fact.payload),
                int(fact.alive),
            ),
        )
        return cursor.rowcount == 1

    def fact(self, event_id: bytes) -> Fact | None:
        row = self.db.execute(
            f"SELECT {_FACT_COLUMNS} FROM facts WHERE event_id = ?",  # noqa: S608
            (event_id,),
        ).fetchone()
        return _fact(row) if row else None

    def update_fact(self, fact: Fact) -> None:
        self.db.execute(
            "UPDATE facts SET payload = ?, alive = ?, record_key = ? WHERE event_id = ?",
            (orjson.dumps(fact.payload), int(fact.alive), fact.group, fact.event_id),
        )

    def group(self, group: str) -> list[Fact]:
        rows = self.db.execute(
            f"SELECT {_FACT_COLUMNS} FROM facts WHERE record_key = ? AND alive = 1",  # noqa: S608
            (group,),
        )
        return [_fact(row) for row in rows]

    def about(self, children: Sequence[bytes], agency: str, types: Iterable[str]) -> list[Fact]:
        """Living facts of ``types`` from ``agency`` about any of ``children``."""
        types = sorted(types)
        sql = (
            f"SELECT {_FACT_COLUMNS} FROM facts WHERE child IN ({_marks(children)})"  # noqa: S608
            f" AND agency = ? AND type IN ({_marks(types)}) AND alive = 1"
        )
        return [_fact(row) for row in self.db.execute(sql, [*children, agency, *types])]

    def note_known(self, child: bytes, occurred_us: int) -> bool:
        """Note a local-authority fact about ``child``; True if it is the earliest yet."""
        cursor = self.db.execute(
            "INSERT INTO known VALUES (?, ?) ON CONFLICT (child) DO UPDATE"
            " SET first_us = excluded.first_us WHERE excluded.first_us < known.first_us",
            (child, occurred_us),
        )
        return cursor.rowcount == 1

    def recount_known(self, child: bytes) -> None:
        """After a correction or retraction: the earliest living local-authority fact."""
        self.db.execute("DELETE FROM known WHERE child = ?", (child,))
        self.db.execute(
            "INSERT INTO known SELECT child, MIN(occurred_us) FROM facts WHERE child = ?"
            " AND agency = 'local_authority' AND alive = 1 GROUP BY child",
            (child,),
        )

    def note_born(self, event_id: bytes, child: bytes, day: int, position: int) -> None:
        """A date of birth an event stated for its child."""
        self.db.execute(
            "INSERT OR IGNORE INTO born VALUES (?, ?, ?, ?)", (event_id, child, day, position)
        )

    def born(self, children: Sequence[bytes]) -> int | None:
        """The date of birth (day number) stated most recently, in the order the hub recorded
        them, by a living event about any of ``children``: a retracted event's counts nowhere."""
        row = self.db.execute(
            "SELECT b.day FROM born b JOIN facts f ON f.event_id = b.event_id"  # noqa: S608
            f" WHERE b.child IN ({_marks(children)}) AND f.alive = 1"
            " ORDER BY b.position DESC LIMIT 1",
            list(children),
        ).fetchone()
        return row[0] if row else None

    def first_known(self, children: Sequence[bytes]) -> int | None:
        row = self.db.execute(
            f"SELECT MIN(first_us) FROM known WHERE child IN ({_marks(children)})",  # noqa: S608
            list(children),
        ).fetchone()
        return row[0] if row else None

    def set_status(self, children: Sequence[bytes], root: bytes, signature: bytes) -> bool:
        """Record the status the children's episodes are derived with; True if it changed."""
        changed = False
        for child in children:
            cursor = self.db.execute(
                "INSERT INTO status VALUES (?, ?, ?) ON CONFLICT (child) DO UPDATE"
                " SET root = excluded.root, signature = excluded.signature"
                " WHERE status.root != excluded.root OR status.signature != excluded.signature",
                (child, root, signature),
            )
            changed = changed or cursor.rowcount == 1
        return changed

    def episodes_of(self, children: Sequence[bytes]) -> list[str]:
        rows = self.db.execute(
            f"SELECT DISTINCT record_key FROM facts WHERE child IN ({_marks(children)})"  # noqa: S608
            " AND agency = 'police' AND type = 'missing.reported' AND record_key IS NOT NULL",
            list(children),
        )
        return [row[0] for row in rows]

    def police_episodes(self, root: bytes) -> list[tuple[Any, ...]]:
        """The current episode rows of a child (by root), for reconciliation."""
        return self.db.execute(
            "SELECT ref, day, last_seen_us, classification, risk, looked_after FROM episode"
            " WHERE root = ? AND to_pos IS NULL",
            (root,),
        ).fetchall()

    # Identity edges and citations.

    def add_edge(self, event_id: bytes, a: bytes, b: bytes, kind: str, position: int) -> None:
        self.db.execute(
            "INSERT INTO edges VALUES (?, ?, ?, ?, ?, 1)", (event_id, a, b, kind, position)
        )

    def kill_edges(self, event_id: bytes) -> list[tuple[bytes, bytes]]:
        """Retract the edges a fact made; the children at their ends."""
        ends = self.db.execute("SELECT a, b FROM edges WHERE event_id = ?", (event_id,)).fetchall()
        self.db.execute("UPDATE edges SET alive = 0 WHERE event_id = ?", (event_id,))
        return [(a, b) for a, b in ends]

    def edges_of(self, child: bytes) -> list[tuple[bytes, bytes, str, int]]:
        return self.db.execute(
            "SELECT a, b, kind, position FROM edges WHERE a = ? AND alive = 1"
            " UNION ALL SELECT a, b, kind, position FROM edges WHERE b = ? AND alive = 1",
            (child, child),
        ).fetchall()

    def cite(self, alert_refs: Iterable[str], investigation_ref: str) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO cites VALUES (?, ?)",
            [(ref, investigation_ref) for ref in alert_refs],
        )

    def citing(self, alert_ref: str) -> list[str]:
        rows = self.db.execute(
            "SELECT investigation_ref FROM cites WHERE alert_ref = ?", (alert_ref,)
        )
        return [row[0] for row in rows]

    def alert_setting(self, ref: str) -> str | None:
        row = self.db.execute(
            "SELECT setting FROM alert WHERE ref = ? AND to_pos IS NULL", (ref,)
        ).fetchone()
        return row[0] if row else None

    # Notifications: the rules' reads and writes (projections/_notices.py).

    def episode_now(self, ref: str) -> tuple[Any, ...] | None:
        """The episode's current row, as the rules read it (see _notices.Episode)."""
        row: tuple[Any, ...] | None = self.db.execute(
            f"SELECT {_EPISODE_COLUMNS} FROM episode WHERE ref = ? AND to_pos IS NULL",  # noqa: S608
            (ref,),
        ).fetchone()
        return row

    def episode_times(self, root: bytes) -> list[tuple[str, int]]:
        """(ref, last_seen_us) of the child's current episodes (by root)."""
        rows = self.db.execute(
            "SELECT ref, last_seen_us FROM episode WHERE root = ? AND to_pos IS NULL", (root,)
        )
        return [(row[0], row[1]) for row in rows]

    def facts_of(self, children: Sequence[bytes], types: Iterable[str]) -> list[Fact]:
        """Living facts of ``types`` from any agency about any of ``children``."""
        types = sorted(types)
        sql = (
            f"SELECT {_FACT_COLUMNS} FROM facts WHERE child IN ({_marks(children)})"  # noqa: S608
            f" AND type IN ({_marks(types)}) AND alive = 1"
        )
        return [_fact(row) for row in self.db.execute(sql, [*children, *types])]

    def next_seq(self, position: int) -> int:
        row = self.db.execute("SELECT MAX(seq) FROM notice WHERE position = ?", (position,))
        last = row.fetchone()[0]
        return 0 if last is None else int(last) + 1

    def add_notice(self, row: Sequence[Any]) -> None:
        """One notice row, in the column order of the ``notice`` table."""
        self.db.execute(f"INSERT INTO notice VALUES ({_marks(row)})", list(row))  # noqa: S608

    def notice_kinds(self, cause_id: bytes) -> tuple[set[str], set[str]]:
        """(kinds raised with this cause, kinds withdrawn of it: '*' for all)."""
        raised = {
            row[0]
            for row in self.db.execute(
                "SELECT kind FROM notice WHERE cause_id = ? AND action = 'raise'", (cause_id,)
            )
        }
        if not raised:
            return raised, set()
        withdrawn = {
            row[0]
            for row in self.db.execute(
                "SELECT kind FROM notice WHERE target_id = ? AND action = 'withdraw'",
                (cause_id,),
            )
        }
        return raised, withdrawn

    def notice_causes(self, record_key: str) -> list[bytes]:
        """The facts of a record (living or not) that raised a notice, in store order."""
        rows = self.db.execute(
            "SELECT event_id FROM facts WHERE record_key = ? AND EXISTS (SELECT 1 FROM notice"
            " WHERE cause_id = facts.event_id AND action = 'raise') ORDER BY position",
            (record_key,),
        )
        return [row[0] for row in rows]

    def raised_about(self, refs: Sequence[str], kind: str) -> list[tuple[str, bytes]]:
        """(episode_ref, cause_id) of the raises of ``kind`` about any of ``refs``."""
        if not refs:
            return []
        rows = self.db.execute(
            "SELECT DISTINCT episode_ref, cause_id FROM notice"  # noqa: S608
            f" WHERE episode_ref IN ({_marks(refs)}) AND kind = ? AND action = 'raise'",
            [*refs, kind],
        )
        return [(row[0], row[1]) for row in rows]

    def notice_rows(
        self, after: tuple[int, int | None], limit: int, recorded_since_us: int | None = None
    ) -> list[tuple[Any, ...]]:
        """Up to ``limit`` rows strictly after ``after`` = (position, seq) in (position, seq)
        order (seq None: after the whole position), recorded at or after
        ``recorded_since_us`` when given. Index-driven: a recorded time starts the scan at
        the first position recorded since then (notice_recorded), not at ``after``."""
        position, seq = after
        start = position if seq is None else position - 1
        if recorded_since_us is not None:
            row = self.db.execute(
                # Over the index's rows since then (left alone, SQLite walks the primary key
                # from the start, the whole table when nothing was recorded since).
                "SELECT MIN(position) FROM notice INDEXED BY notice_recorded"
                " WHERE recorded_us >= ?",
                (recorded_since_us,),
            ).fetchone()
            if row[0] is None:
                return []
            start = max(start, int(row[0]) - 1)
        sql, args = "WHERE position > ?", [start]
        if seq is not None:
            sql += " AND (position > ? OR seq > ?)"
            args += [position, seq]
        if recorded_since_us is not None:
            sql += " AND recorded_us >= ?"
            args.append(recorded_since_us)
        return self.db.execute(
            f"SELECT {_NOTICE_COLUMNS} FROM notice {sql}"  # noqa: S608
            " ORDER BY position, seq LIMIT ?",
            [*args, limit],
        ).fetchall()

    def notice_head(self) -> tuple[int, int]:
        """(position, seq) of the last notice row; (0, 0) before any."""
        row = self.db.execute(
            "SELECT position, seq FROM notice ORDER BY position DESC, seq DESC LIMIT 1"
        ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def set_deadline(
        self, cause_id: bytes, ref: str, root: bytes, found_us: int, due_us: int, agency: str
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO deadline VALUES (?, ?, ?, ?, ?, ?)",
            (cause_id, ref, root, found_us, due_us, agency),
        )

    def has_deadline(self, cause_id: bytes) -> bool:
        row = self.db.execute("SELECT 1 FROM deadline WHERE cause_id = ?", (cause_id,))
        return row.fetchone() is not None

    def drop_deadline(self, cause_id: bytes) -> None:
        self.db.execute("DELETE FROM deadline WHERE cause_id = ?", (cause_id,))

    def drop_deadlines(self, ref: str) -> None:
        self.db.execute("DELETE FROM deadline WHERE ref = ?", (ref,))

    def deadlines_due(self, since_us: int, until_us: int) -> list[tuple[Any, ...]]:
        """Deadlines with ``since_us < due_us <= until_us``, by due time."""
        return self.db.execute(
            "SELECT cause_id, ref, root, found_us, due_us, cause_agency FROM deadline"
            " WHERE due_us > ? AND due_us <= ? ORDER BY due_us, cause_id",
            (since_us, until_us),
        ).fetchall()

    def living_ids(self, children: Sequence[bytes], agency: str) -> list[bytes]:
        """The event ids of ``agency``'s living facts about any of ``children``."""
        rows = self.db.execute(
            f"SELECT event_id FROM facts WHERE child IN ({_marks(children)})"  # noqa: S608
            " AND agency = ? AND alive = 1 ORDER BY position",
            [*children, agency],
        )
        return [row[0] for row in rows]

    # Versioned rows.

    def replace(
        self, table: str, key: Any, rows: Sequence[tuple[Any, ...]], position: int
    ) -> tuple[bool, list[tuple[Any, ...]]]:
        """Make ``rows`` the current rows of ``key`` as of ``position``.

        Returns whether anything changed, and the rows that were current before.
        """
        column = _schema.KEYS[table]
        current = self.db.execute(
            f"SELECT * FROM {table} WHERE {column} = ? AND to_pos IS NULL",  # noqa: S608
            (key,),
        ).fetchall()
        if len(current) == len(rows) and (
            current[0][:-2] == tuple(rows[0])
            if len(rows) == 1
            else Counter(row[:-2] for row in current) == Counter(tuple(row) for row in rows)
        ):
            return False, current
        if current:
            self.db.execute(
                f"UPDATE {table} SET to_pos = ? WHERE {column} = ? AND to_pos IS NULL",  # noqa: S608
                (position, key),
            )
        if rows:
            marks = ",".join("?" * (len(rows[0]) + 2))
            self.db.executemany(
                f"INSERT INTO {table} VALUES ({marks})",  # noqa: S608
                [(*row, position, None) for row in rows],
            )
            self._note_span(table, rows, position)
        return True, current


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def _fact(row: tuple[Any, ...]) -> Fact:
    return Fact(
        event_id=row[0],
        position=row[1],
        agency=row[2],
        type=row[3],
        child=row[4],
        occurred_us=row[5],
        payload=orjson.loads(row[6]),
        alive=bool(row[7]),
    )
