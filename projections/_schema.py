"""The projection database: state the projector works from, and versioned rows it answers from.

Every answering table is *versioned in knowledge time*: a row holds ``from_pos`` (the store
position of the fact that made it true) and ``to_pos`` (the position of the fact that
superseded it, NULL while current). "As the records stood at position P" is then
``from_pos <= P AND (to_pos IS NULL OR to_pos > P)``: an ``--as-of`` answer is a query, not a
replay. Partial indexes on ``to_pos IS NULL`` serve the current answers.
"""

from __future__ import annotations

VERSION = "11"
"""Bump when what the projector derives changes: a different version is rebuilt from zero.
(9: ``born`` holds the month of birth's first day, not the date, so no projection made
earlier keeps an exact date of birth. 10: the notifications' ``notice`` and ``deadline``
tables (docs/notifications.md), and the episode's ``ri_declined_72h`` column. 11: the
notifications' rules as docs/notifications.md now states them (the repeat threshold once per
90-day stretch in any order, a found told once per episode and also when its report comes
later, a correction judged against the payload it replaced), and the notice's
``episode_ref``.)"""
DERIVATION = "8"
"""What the statistics' figures are derived by, in every answer's provenance digest: bump it
when a figure could change. Version 9 changed no figure (only ``born``, which the forum reads
on a month's last day), so answers keep their digests."""

_VERSIONED = {
    "episode": (
        "ref TEXT, root BLOB, day INT, last_seen_us INT, classification TEXT, risk TEXT,"
        " risk_max TEXT, looked_after INT, uasc INT, allocated INT, known INT, found INT,"
        " found_us INT, ri_offered INT, ri_completed INT, ri_72h INT, harmed_physically INT,"
        " sexually_assaulted_or_exploited INT, drugs_sale INT, criminal_activity INT,"
        " missing_from TEXT, placement_ref TEXT, postcode_district TEXT, placement_type TEXT,"
        " ri_declined_72h INT"
    ),
    "orphan": "event_id BLOB, ref TEXT, day INT",
    "alert": "ref TEXT, day INT, setting TEXT, cse INT, sexual_abuse INT, cce INT",
    "investigation": "ref TEXT, day INT, cites_childrens_home INT",
    "cse_case": "ref TEXT, day INT, online_element INT",
    "plan": "ref TEXT, root BLOB, day INT, start_us INT, earlier_plan INT",
    "cost": "event_id BLOB, root BLOB, day INT, service TEXT, pence INT",
    "uasc": "root BLOB, start_us INT, end_us INT",
    # The council's missing records and the police episodes of one child, matched (see
    # _reconcile): side 'council' or 'police', the London day each starts, matched or not.
    "reconcile": "root BLOB, side TEXT, day INT, end_day INT, kind TEXT, risk TEXT,"
    " looked_after INT, matched INT",
}

KEYS = {
    "episode": "ref",
    "orphan": "ref",
    "alert": "ref",
    "investigation": "ref",
    "cse_case": "ref",
    "plan": "root",
    "cost": "root",
    "uasc": "root",
    "reconcile": "root",
}
"""The column a table's rows are replaced by: all rows of one key are one record's version."""

_CURRENT_INDEXES = {
    # One index that covers every episode statistic, so each reads the index alone.
    "episode": [
        "day, classification, looked_after, uasc, root, known, allocated, found, ri_offered,"
        " ri_completed, ri_72h, harmed_physically, sexually_assaulted_or_exploited, drugs_sale,"
        " criminal_activity",
        "root",  # a child's episodes, for matching them with the council's records
        "found_us",  # the month's finds, for the forum's overdue return interviews
    ],
    "orphan": ["day"],
    "alert": ["day, setting, cse, sexual_abuse, cce"],
    "investigation": ["day, cites_childrens_home"],
    "cse_case": ["day, online_element"],
    "plan": ["day, root, earlier_plan"],
    "cost": ["day, root, service, pence"],
    "uasc": ["start_us, end_us, root"],
    "reconcile": ["side, day, matched, kind, looked_after, root"],
}

_STATE = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    # The facts as corrected so far; alive = 0 once retracted. record_key: the record the
    # fact is part of (its group, 'episode:<ref>', 'alert:<ref>', ...), NULL for none.
    "CREATE TABLE IF NOT EXISTS facts (event_id BLOB PRIMARY KEY, position INT, agency TEXT,"
    " type TEXT, child BLOB, record_key TEXT, occurred_us INT, payload BLOB, alive INT)"
    " WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS facts_record ON facts (record_key) WHERE record_key IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS facts_child ON facts (child, agency, type) WHERE child IS NOT NULL",
    # The trends' CSE concerns by time. Partial, so that no other query's plan can choose it.
    "CREATE INDEX IF NOT EXISTS facts_concerns ON facts (occurred_us)"
    " WHERE type = 'cse.concern_raised' AND alive = 1",
    # Who is the same child: joins by a shared identifier (kind 'join', permanent) and
    # identity.linked / identity.unlinked facts (the latest living one per pair decides).
    "CREATE TABLE IF NOT EXISTS edges (event_id BLOB, a BLOB, b BLOB, kind TEXT,"
    " position INT, alive INT)",
    "CREATE INDEX IF NOT EXISTS edges_a ON edges (a)",
    "CREATE INDEX IF NOT EXISTS edges_b ON edges (b)",
    "CREATE INDEX IF NOT EXISTS edges_event ON edges (event_id)",
    # When the department first recorded anything about each hub child.
    "CREATE TABLE IF NOT EXISTS known (child BLOB PRIMARY KEY, first_us INT) WITHOUT ROWID",
    # The status each hub child's episodes were last derived with (root, timeline signature):
    # a fact that leaves it unchanged need not re-derive the child's episodes.
    "CREATE TABLE IF NOT EXISTS status (child BLOB PRIMARY KEY, root BLOB, signature BLOB)"
    " WITHOUT ROWID",
    # The date of birth each event stated for its own child (YYYYMMDD), for the forum's age
    # band: never shown, and no other identifying detail of a child is kept.
    "CREATE TABLE IF NOT EXISTS born (event_id BLOB PRIMARY KEY, child BLOB, day INT,"
    " position INT) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS born_child ON born (child, position)",
    "CREATE TABLE IF NOT EXISTS cites (alert_ref TEXT, investigation_ref TEXT,"
    " PRIMARY KEY (alert_ref, investigation_ref)) WITHOUT ROWID",
    # Each event type the store has held, and the position of its first fact: "were any
    # council missing records ever imported, as of position P?" (no records held, not zeros).
    "CREATE TABLE IF NOT EXISTS imported (type TEXT PRIMARY KEY, position INT) WITHOUT ROWID",
    # The London days the records of each kind (a versioned table, 'reconcile.council',
    # 'care') ever held run over: a row each time the span widens, cumulative, so the span as
    # of position P is the kind's last row at or before P. A period wholly outside it has no
    # records held. Rows superseded or retracted since still count: it says what was held.
    "CREATE TABLE IF NOT EXISTS span (kind TEXT, position INT, first_day INT, last_day INT,"
    " PRIMARY KEY (kind, position)) WITHOUT ROWID",
    # One row per fact in store order: the projector's tracking record, the map from
    # recorded time to position for --as-of, and the hash chain the provenance digest uses.
    "CREATE TABLE IF NOT EXISTS log (position INTEGER PRIMARY KEY, recorded_us INT, n INT,"
    " chain BLOB)",
    "CREATE INDEX IF NOT EXISTS log_recorded ON log (recorded_us)",
    # What the hub should tell the agencies (docs/notifications.md): each run's notices, at
    # the run's last position, in order (seq). action 'raise' or 'withdraw'; detail is JSON;
    # target_id: on a withdraw, the cause whose notifications are withdrawn. episode_ref: on
    # a raise, the episode it is about (for the repeat threshold, the episode whose 90 days
    # reached it), for the rules' own reads; never told. Not versioned: it is appended to,
    # never superseded, and a rebuild derives the same rows again.
    "CREATE TABLE IF NOT EXISTS notice (position INT, seq INT, recorded_us INT, action TEXT,"
    " kind TEXT, recipient TEXT, cause_id BLOB, cause_type TEXT, cause_agency TEXT,"
    " cause_us INT, root BLOB, detail TEXT, target_id BLOB, episode_ref TEXT,"
    " PRIMARY KEY (position, seq)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS notice_cause ON notice (cause_id)",
    "CREATE INDEX IF NOT EXISTS notice_recorded ON notice (recorded_us)",
    "CREATE INDEX IF NOT EXISTS notice_target ON notice (target_id) WHERE target_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS notice_episode ON notice (episode_ref, kind)"
    " WHERE episode_ref IS NOT NULL",
    # Found episodes of looked-after children the council was told of, still waiting for a
    # return interview: one row per missing.found (its cause), due 72 h after found_at.
    "CREATE TABLE IF NOT EXISTS deadline (cause_id BLOB PRIMARY KEY, ref TEXT, root BLOB,"
    " found_us INT, due_us INT, cause_agency TEXT) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS deadline_due ON deadline (due_us)",
    "CREATE INDEX IF NOT EXISTS deadline_ref ON deadline (ref)",
]


def statements() -> list[str]:
    ddl = list(_STATE)
    for table, columns in _VERSIONED.items():
        ddl.append(f"CREATE TABLE IF NOT EXISTS {table} ({columns}, from_pos INT, to_pos INT)")
        ddl.append(
            f"CREATE INDEX IF NOT EXISTS {table}_key ON {table} ({KEYS[table]})"
            " WHERE to_pos IS NULL"
        )
        first = _VERSIONED[table].split(" ", 1)[0]
        order = "start_us" if table == "uasc" else "day" if "day INT" in columns else first
        ddl.append(f"CREATE INDEX IF NOT EXISTS {table}_known ON {table} ({order}, from_pos)")
        for n, columns_ in enumerate(_CURRENT_INDEXES[table]):
            ddl.append(
                f"CREATE INDEX IF NOT EXISTS {table}_now{n} ON {table} ({columns_})"
                " WHERE to_pos IS NULL"
            )
    return ddl


TABLES = (
    *_VERSIONED,
    *("facts", "edges", "known", "status", "born", "cites", "imported", "span", "log", "meta"),
    *("notice", "deadline"),
)

OPEN_DAY = 99991231
"""The last day of a span that is still open (a care period not ended)."""


def columns(table: str) -> tuple[str, ...]:
    """The names of a versioned table's columns, in order (without from_pos, to_pos)."""
    return tuple(column.split()[0] for column in _VERSIONED[table].split(","))


SPANS: dict[str, tuple[int, int | None]] = {
    table: (
        columns(table).index("day"),
        columns(table).index("side") if table == "reconcile" else None,
    )
    for table in _VERSIONED
    if "day" in columns(table)
}
"""The versioned tables whose rows' days make a span: (the day column, the column that
splits the kind, 'reconcile' by its side)."""
