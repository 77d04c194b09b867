"""missing-children, and children linked across agencies as one child across all history."""

from __future__ import annotations

from tests.history import History, child

POLICE_ONLY = child(7, nhs=False, la=False, police=True)
COUNCIL = child(7)


def link(history: History, when: str, event_type: str = "identity.linked") -> dict[str, object]:
    return history.event(event_type, when, child=COUNCIL, other=POLICE_ONLY)


def test_known_looked_after_and_allocated_are_judged_at_the_episodes(history: History) -> None:
    c = child(1)
    history.event("allocation.opened", "2017-05-01T09:00:00+00:00", child=c)
    history.episode("E1", "2017-06-01T10:00:00+00:00", c)
    history.event("allocation.closed", "2017-07-01T09:00:00+00:00", child=c)
    # Child 2: the department only heard of the child after the episode.
    history.episode("E2", "2017-06-01T10:00:00+00:00", child(2))
    history.event("allocation.opened", "2017-08-01T09:00:00+00:00", child=child(2))
    # Child 3: known before, looked after, never allocated; two episodes count once.
    history.event("care.period_started", "2016-01-01T09:00:00+00:00", child=child(3))
    history.episode("E3", "2017-06-01T10:00:00+00:00", child(3))
    history.episode("E4", "2017-09-01T10:00:00+00:00", child(3))
    # Child 4: police only.
    history.episode("E5", "2017-06-01T10:00:00+00:00", child(4, nhs=False, la=False, police=True))

    assert history.figures("missing-children", "2017/18") == {
        "total": 4,
        "known_to_department": 2,  # children 1 and 3
        "looked_after": 1,  # child 3
        "open_allocation": 1,  # child 1
        "orphans": 0,
    }


def test_a_link_recorded_later_changes_earlier_figures_and_as_of_shows_them_as_they_were(
    history: History,
) -> None:
    history.at("2017-01-02T00:00:00+00:00").event(
        "care.period_started", "2017-01-01T09:00:00+00:00", child=COUNCIL
    )
    history.at("2017-05-02T00:00:00+00:00").episode("E1", "2017-05-01T10:00:00+00:00", POLICE_ONLY)
    before = history.figures("missing-children", "2017/18")
    assert (before["total"], before["known_to_department"], before["looked_after"]) == (1, 0, 0)

    history.at("2019-01-10T12:00:00+00:00")
    link(history, "2019-01-10T11:00:00+00:00")

    now = history.figures("missing-children", "2017/18")
    then = history.figures("missing-children", "2017/18", as_of="2019-01-10T11:59:59+00:00")
    assert (now["total"], now["known_to_department"], now["looked_after"]) == (1, 1, 1)
    assert (then["total"], then["known_to_department"], then["looked_after"]) == (1, 0, 0)
    occasions = history.figures("missing-occasions", "2017/18")
    assert occasions["looked_after.total"] == 1


def test_episodes_under_two_identities_are_one_child_once_linked(history: History) -> None:
    history.episode("E1", "2017-05-01T10:00:00+00:00", POLICE_ONLY)
    history.episode("E2", "2017-06-01T10:00:00+00:00", COUNCIL)
    assert history.figures("missing-children", "2017/18")["total"] == 2

    link(history, "2019-01-10T11:00:00+00:00")
    assert history.figures("missing-children", "2017/18")["total"] == 1
    assert history.figures("missing-occasions", "2017/18")["all.total"] == 2

    # Undone: two children again, from the unlink on.
    link(history, "2019-02-10T11:00:00+00:00", "identity.unlinked")
    assert history.figures("missing-children", "2017/18")["total"] == 2


def test_a_retracted_link_no_longer_joins(history: History) -> None:
    history.episode("E1", "2017-05-01T10:00:00+00:00", POLICE_ONLY)
    history.episode("E2", "2017-06-01T10:00:00+00:00", COUNCIL)
    linked = link(history, "2019-01-10T11:00:00+00:00")
    assert history.figures("missing-children", "2017/18")["total"] == 1

    history.retract(linked)

    assert history.figures("missing-children", "2017/18")["total"] == 2


def test_a_shared_identifier_joins_children_first_seen_apart(history: History) -> None:
    # Police saw the child by police id only, health by NHS number only; then the council
    # sends both identifiers on one event, and the hub joins the two.
    police = child(9, nhs=False, la=False, police=True)
    history.episode("E1", "2017-05-01T10:00:00+00:00", police)
    history.episode("E2", "2017-06-01T10:00:00+00:00", child(9, la=False))
    assert history.figures("missing-children", "2017/18")["total"] == 2

    history.event(
        "care.period_started",
        "2017-01-01T09:00:00+00:00",
        child={"ids": {"nhs_number": child(9)["ids"]["nhs_number"], "police_person_id": "P-9"}},
    )

    figures = history.figures("missing-children", "2017/18")
    assert (figures["total"], figures["looked_after"]) == (1, 1)


def test_an_unlink_separates_the_two_sides_even_when_each_side_joined_others(
    history: History,
) -> None:
    # Child 1 is in care. Children 3 and 4 were seen apart; the link's `other` carries an
    # identifier of each, so 3 and 4 are one child (a join), linked to child 1, then unlinked.
    history.event("care.period_started", "2017-01-01T09:00:00+00:00", child=child(1))
    history.episode("E3", "2017-06-01T10:00:00+00:00", child(3))
    history.episode("E4", "2017-06-02T10:00:00+00:00", child(4))
    other = {"ids": {"nhs_number": child(3)["ids"]["nhs_number"], "la_child_id": "LA-4"}}

    history.event("identity.linked", "2019-01-01T09:00:00+00:00", child=child(1), other=other)
    linked = history.figures("missing-occasions", "2017/18")["looked_after.total"]
    history.event("identity.unlinked", "2019-02-01T09:00:00+00:00", child=child(1), other=other)

    assert linked == 2
    assert history.figures("missing-occasions", "2017/18")["looked_after.total"] == 0
    assert history.figures("missing-children", "2017/18")["total"] == 1  # 3 and 4 stay one


def test_retracting_the_only_record_that_joined_two_children_splits_them(
    history: History,
) -> None:
    police = {"ids": {"police_person_id": "P-9"}}
    council = {"ids": {"la_child_id": "LA-9"}}
    history.episode("E1", "2017-05-01T10:00:00+00:00", police)
    history.episode("E2", "2017-06-01T10:00:00+00:00", council)
    both = history.event(
        "police.safe_and_well_check",
        "2017-06-02T10:00:00+00:00",
        child={"ids": {"police_person_id": "P-9", "la_child_id": "LA-9"}},
        episode_ref="E2",
    )
    assert history.figures("missing-children", "2017/18")["total"] == 1

    history.retract(both)

    assert history.figures("missing-children", "2017/18")["total"] == 2


def test_the_projection_keeps_no_identifier_name_or_free_text(history: History) -> None:
    other = {
        "ids": {"nhs_number": child(3)["ids"]["nhs_number"], "la_child_id": "LA-3"},
        "given_name": "Alice",
        "date_of_birth": "2005-01-02",
    }
    named = {**child(1), "given_name": "Bethany", "family_name": "Smithson"}
    history.event("identity.linked", "2019-01-01T09:00:00+00:00", child=named, other=other)
    history.event(
        "care.period_ended",
        "2019-01-02T09:00:00+00:00",
        child=named,
        reason="moved in with aunt Carolyn",
    )
    history.episode("E1", "2017-06-01T10:00:00+00:00", named)
    history.figures("missing-children", "2017/18")
    history.projection.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    stored = history.projection.path
    content = open(stored, "rb").read()  # noqa: SIM115
    for secret in (
        "Alice",
        "Bethany",
        "Smithson",
        "Carolyn",
        "LA-3",
        "LA-1",
        "2005-01-02",
        child(3)["ids"]["nhs_number"],
        child(1)["ids"]["nhs_number"],
    ):
        assert secret.encode() not in content, secret
    # A date of birth is kept (as a number, for the forum's age band) only from a child's own
    # events, never from the second child an identity link names.
    assert history.projection.db.execute("SELECT day FROM born").fetchall() == []
