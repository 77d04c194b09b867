"""Erasure, subject access and retention (hub.service.privacy) on hand-built histories in a
real SQLite store and projection: a child found by any identifier across linked identities,
its keys shredded, every figure unchanged, and the statutory retention terms."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from uuid import UUID

import orjson
import pytest

from contracts.examples import example_event, nhs_number, upn
from hub.config import Settings
from hub.domain.people import User
from hub.domain.privacy import original_body
from hub.errors import InputError, NotFound
from hub.service.audit import AuditLog
from hub.service.ports import Keyring
from hub.service.privacy import ERASE, Privacy, Retention, identifier_keys, privacy_pseudonyms
from projections import STATISTICS, ProjectionStore, answer, catch_up, parse_period, trends
from projections._forum import forum
from tests.fakes import MemoryStreams, inbound
from tests.history import History

DPO = User("cli:dpo", "dpo")
NHS_1 = nhs_number(101)
UPN_5 = upn(105)
AMELIA = {
    "ids": {"nhs_number": NHS_1, "la_child_id": "LA-101"},
    "given_name": "Amelia",
    "family_name": "Zebedee",
    "date_of_birth": "2003-05-17",
    "sex": "female",
}
# Child 1 as the police knew it at first: a person id only, joined later by a shared NHS number.
AMELIA_POLICE = {"ids": {"police_person_id": "PP-101"}, "given_name": "Amy"}
AMELIA_POLICE_JOIN = {"ids": {"police_person_id": "PP-101", "nhs_number": NHS_1}}
# Child 1 at school under a UPN only, linked explicitly by the council.
AMELIA_SCHOOL = {"ids": {"upn": UPN_5}, "given_name": "Amelia", "family_name": "Zebedee"}
# Linked to child 1 and then unlinked: a different child, never erased with it.
BRUNO = {"ids": {"la_child_id": "LA-202"}, "given_name": "Bruno", "family_name": "Quixley"}
CARLA = {
    "ids": {"nhs_number": nhs_number(303)},
    "given_name": "Carla",
    "date_of_birth": "2004-09-02",
}
IDENTIFYING = (
    "Amelia", "Zebedee", "Amy", "2003-05-17", NHS_1, "LA-101", "PP-101", UPN_5,
)  # fmt: skip


class Hub:
    def __init__(self, settings: Settings) -> None:
        self.history = History(settings).at("2018-06-01T00:00:00+00:00")
        self.audit = AuditLog(MemoryStreams("audit"))
        self.now = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
        self.retention_policy = Retention()

    @property
    def projection(self) -> ProjectionStore:
        return self.history.projection

    @property
    def keyring(self) -> Keyring:
        return self.history.store.keyring

    def privacy(self) -> Privacy:
        return Privacy(
            self.history.store,
            self.projection,
            self.keyring,
            self.audit,
            lambda: privacy_pseudonyms(self.history.store),
            retention=self.retention_policy,
            refresh=lambda projection: catch_up(self.history.feed, projection),
            clock=lambda: self.now,
        )

    def figures(self) -> dict[str, Any]:
        """Every statistic over a few periods, the forum packs and the trends."""
        catch_up(self.history.feed, self.projection)
        result: dict[str, Any] = {}
        for name in STATISTICS:
            for period in ("2017/18", "2018/19", "2018-03", "2018"):
                got = answer(self.projection, name, parse_period(period), suppress=False)
                result[f"{name} {period}"] = (got["figures"], got["orphans"], got["provenance"])
        for month in ("2018-03", "2018-04"):
            result[f"forum {month}"] = forum(
                self.projection, parse_period(month), key=self.history.key
            )
        result["trends"] = trends(self.projection, "2017-04", "2018-05")
        return result


@pytest.fixture
def hub(settings: Settings) -> Hub:
    """The example on SQLite and on PostgreSQL."""
    return example(settings)


def example(settings: Settings) -> Hub:
    """Child 1 (Amelia) under three hub identities (police, council joined by her NHS number,
    school linked by the council), Bruno linked to her and unlinked, Carla on her own."""
    hub = Hub(settings)
    h = hub.history
    h.at("2018-03-18T00:00:00+00:00")
    for i, day in enumerate(("02", "09", "16")):
        h.episode(f"AM-{i}", f"2018-03-{day}T10:00:00+00:00", AMELIA_POLICE,
                  found=f"2018-03-{day}T22:00:00+00:00")  # fmt: skip
    h.at("2018-04-02T00:00:00+00:00")
    h.event("care.period_started", "2018-03-20T09:00:00+00:00", child=AMELIA)
    h.episode("AM-3", "2018-03-25T10:00:00+00:00", AMELIA_POLICE_JOIN)  # joins the two
    h.event("return_interview.completed", "2018-03-27T10:00:00+00:00", child=AMELIA,
            episode_ref="AM-3")  # fmt: skip
    h.event("cse.concern_raised", "2018-03-28T10:00:00+00:00", child=AMELIA_SCHOOL,
            agency="education")  # fmt: skip
    h.event("identity.linked", "2018-03-29T10:00:00+00:00", child=AMELIA, other=AMELIA_SCHOOL)
    h.event("identity.linked", "2018-03-29T11:00:00+00:00", child=AMELIA, other=BRUNO)
    h.event("identity.unlinked", "2018-03-30T11:00:00+00:00", child=AMELIA, other=BRUNO)
    h.episode("BQ-1", "2018-03-21T10:00:00+00:00", BRUNO)
    report = h.episode("AM-4", "2018-03-31T10:00:00+00:00", AMELIA)
    h.correct(report, risk="high")
    # A message the hub refused, naming the child: kept (sealed) for the agency to fix.
    refused = example_event("missing.reported", child=AMELIA, risk="unheard-of")
    outcome = h.ingest.record(inbound(refused, start=10_000))
    assert len(outcome.rejections) == 1
    for i, day in enumerate(("03", "12", "19", "26")):
        h.episode(f"CA-{i}", f"2018-03-{day}T10:00:00+00:00", CARLA)
    return hub


def _text(data: Any) -> str:
    return orjson.dumps(data).decode()


def test_identifiers_are_normalised_as_the_contract_does() -> None:
    spaced = f"{NHS_1[:3]} {NHS_1[3:6]} {NHS_1[6:]}"
    # As given it could also be a reference: a kind that names no child is passed over.
    assert identifier_keys(spaced)[0] == f"nhs_number:{NHS_1}"
    assert identifier_keys(f"upn:{UPN_5.lower()}") == [f"upn:{UPN_5}"]
    # A reference could be a council's or the police's: both are tried.
    assert identifier_keys(" LA-101 ") == ["la_child_id:LA-101", "police_person_id:LA-101"]
    assert identifier_keys("nhs_number:1234567890") == []


def test_erasure_finds_every_linked_identity_and_changes_no_figure(hub: Hub) -> None:
    before = hub.figures()
    privacy = hub.privacy()
    spaced = f"{NHS_1[:3]} {NHS_1[3:6]} {NHS_1[6:]}"
    held = privacy.subject_access(DPO, spaced)
    # Police, council (joined by the NHS number) and school (identity.linked): one child.
    assert held["hub_identities"] == 3
    assert {f["agency"] for f in held["facts"]} == {"police", "local_authority", "education"}
    # The link to Bruno was undone: he is another child, whose details are not hers to see.
    assert "Amelia" in _text(held) and "Bruno" not in _text(held) and "Quixley" not in _text(held)
    links = [f for f in held["facts"] if f["event_type"].startswith("identity.")]
    assert len(links) == 3 and all("body" in f for f in links)
    assert [f["event_type"] for f in held["facts"]].count("record.corrected") == 1
    [reject] = held["rejects"]
    assert reject["message"]["child"]["given_name"] == "Amelia"

    erased = privacy.erase(DPO, spaced, "court order 2019/1")
    assert (erased.identities, erased.keys) == (3, 4)  # three identities, and the reject's own
    assert erased.facts == len(held["facts"]) - 1  # all but the correction, about no child
    assert not erased.already
    assert hub.figures() == before

    after = privacy.subject_access(DPO, "PP-101")  # found by any of its identifiers
    # Each fact's details are gone; a correction (about no child) keeps only its payload.
    assert all(f.get("erased") for f in after["facts"] if f["event_type"] != "record.corrected")
    assert after["rejects"][0]["erased"] and "message" not in after["rejects"][0]
    assert erased.rejects == 1 and erased.legacy == 0
    assert not any(value in _text(after) for value in IDENTIFYING)
    assert [e["reason"] for e in after["erasures"]] == ["court order 2019/1"]

    # Bruno was unlinked: a different child, still readable, and Carla untouched.
    bruno = privacy.subject_access(DPO, "la_child_id:LA-202")
    assert bruno["hub_identities"] == 1 and "Quixley" in _text(bruno)
    # The links' own bodies are Amelia's (and erased): never shown to him; what they said of
    # Bruno is his, still held.
    links = [f for f in bruno["facts"] if f["event_type"].startswith("identity.")]
    assert [("body" in f, f["other"]["family_name"]) for f in links] == [(False, "Quixley")] * 2
    assert "Amelia" not in _text(bruno) and "Zebedee" not in _text(bruno)
    assert "Carla" in _text(privacy.subject_access(DPO, nhs_number(303)))

    # Erasing twice is harmless: nothing left to destroy.
    again = privacy.erase(DPO, UPN_5, "again")
    assert (again.keys, again.already, again.identities) == (0, True, 3)
    assert hub.figures() == before

    # A full rebuild of the projection gives the same figures and digests.
    hub.projection.reset()
    assert hub.figures() == before


def test_the_audit_names_the_child_by_a_keyed_digest_only(hub: Hub) -> None:
    privacy = hub.privacy()
    privacy.subject_access(DPO, NHS_1)
    privacy.erase(DPO, NHS_1, "request 42")
    entries = hub.audit.entries()
    assert [e.action for e in entries] == ["privacy.subject_access", ERASE]
    assert not any(value in _text([e.as_dict() for e in entries]) for value in IDENTIFYING)
    erase = entries[-1]
    assert erase.what["reason"] == "request 42" and erase.what["identities"] == 3
    assert erase.what["child"] == privacy.subject(NHS_1).root


def test_unknown_and_ambiguous_identifiers(hub: Hub) -> None:
    privacy = hub.privacy()
    with pytest.raises(NotFound) as unknown:
        privacy.subject_access(DPO, nhs_number(999))
    assert nhs_number(999) not in str(unknown.value)
    with pytest.raises(InputError):
        privacy.erase(DPO, "not an id at all, far too long" * 10, "x")
    # The same reference as a council id for one child and a police id for another.
    h = hub.history
    h.episode("X-1", "2018-03-05T10:00:00+00:00", {"ids": {"police_person_id": "REF-7"}})
    h.event("care.period_started", "2018-03-06T10:00:00+00:00",
            child={"ids": {"la_child_id": "REF-7"}})  # fmt: skip
    with pytest.raises(InputError, match="kind:value") as ambiguous:
        privacy.erase(DPO, "REF-7", "x")
    assert "REF-7" not in str(ambiguous.value)
    assert privacy.erase(DPO, "police_person_id:REF-7", "x").identities == 1
    assert privacy.erase(DPO, "la_child_id:REF-7", "x").identities == 1


def test_retention_shreds_what_is_past_its_term_dry_run_first(hub: Hub) -> None:
    h = hub.history
    h.at("2018-05-01T00:00:00+00:00")
    # Looked after, born 1940: past the 75th birthday (May 2015).
    h.event("care.period_started", "2018-04-02T09:00:00+00:00",
            child={"ids": {"la_child_id": "LA-OLD"}, "date_of_birth": "1940-05-09"})  # fmt: skip
    # Looked after, no date of birth: kept 75 years from the last record.
    h.event("care.period_started", "2018-04-03T09:00:00+00:00",
            child={"ids": {"la_child_id": "LA-NODOB"}})  # fmt: skip
    hub.now = dt.datetime(2044, 6, 1, tzinfo=dt.UTC)  # 25 years after 2018 have passed
    before = hub.figures()
    privacy = hub.privacy()

    dry = privacy.retention(DPO, dry_run=True)
    # Bruno and Carla (others, last record 2018): due in 2043. Amelia: looked after, born
    # 2003, kept to 2078. LA-OLD: due. LA-NODOB: kept to 2093.
    assert {rule: (c.children, c.identities) for rule, c in dry.due.items()} == {
        "other": (2, 2),
        "looked-after": (1, 1),
    }
    assert dry.kept == 2 and dry.keys == 0
    assert not any(hub.keyring.shredded(f.child_id or "") for f in h.store.facts.all())
    carla_facts = len(privacy.subject_access(DPO, nhs_number(303))["facts"])
    assert dry.due["other"].facts >= carla_facts

    applied = privacy.retention(DPO, dry_run=False)
    assert (applied.children, applied.facts) == (dry.children, dry.facts)
    assert applied.keys == 3
    assert all(f.get("erased") for f in privacy.subject_access(DPO, "LA-OLD")["facts"])
    assert not any(f.get("erased") for f in privacy.subject_access(DPO, NHS_1)["facts"])
    reasons = {e.what.get("reason") for e in hub.audit.entries() if e.action == ERASE}
    assert reasons == {"retention:other", "retention:looked-after"}

    second = privacy.retention(DPO, dry_run=False)
    assert (second.children, second.facts, second.keys) == (0, 0, 0)
    assert (second.already.children, second.already.identities) == (3, 3)
    assert hub.figures() == before

    # A shorter term for looked-after children without a date of birth makes LA-NODOB due.
    hub.retention_policy = Retention(looked_after_no_dob_years=20)
    shorter = hub.privacy().retention(DPO, dry_run=True)
    assert {rule: c.children for rule, c in shorter.due.items()} == {"looked-after-no-dob": 1}


def test_the_commands(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hub.bootstrap import main

    monkeypatch.setenv("HUB_DATA_DIR", str(hub.history.settings.data_dir))
    if hub.history.settings.database_url:
        monkeypatch.setenv("HUB_DATABASE_URL", hub.history.settings.database_url)
    monkeypatch.setenv("HUB_RETENTION_YEARS", "1")  # Bruno's and Carla's terms have passed

    assert main(["subject-access", "--child", NHS_1, "--format", "json"]) == 0
    held = orjson.loads(capsys.readouterr().out)
    assert held["hub_identities"] == 3 and "Zebedee" in _text(held)

    assert main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would shred 2 children (2 hub identities)" in out and "nothing was changed" in out

    monkeypatch.setattr("sys.stdin", io.StringIO(f"{NHS_1}\n"))
    assert main(["erase", "--child", "-", "--reason", "court order"]) == 0
    assert capsys.readouterr().out.startswith("erased 1 child (3 hub identities): 4 data keys")
    assert main(["erase", "--child", UPN_5, "--reason", "again"]) == 0
    assert capsys.readouterr().out.startswith("already erased: 3 hub identities")

    assert main(["retention"]) == 0
    assert capsys.readouterr().out.startswith("shredded 2 children (2 hub identities)")
    assert main(["retention", "--format", "json"]) == 0
    assert orjson.loads(capsys.readouterr().out)["children"] == 0

    assert main(["erase", "--child", nhs_number(999), "--reason", "x"]) == 2
    err = capsys.readouterr().err
    assert "no child is held under that identifier" in err and nhs_number(999) not in err


def test_a_fact_after_the_erasure_is_sealed_under_a_new_key(hub: Hub) -> None:
    privacy = hub.privacy()
    privacy.erase(DPO, NHS_1, "request 7")
    hub.history.at("2018-07-01T00:00:00+00:00")
    hub.history.episode("AM-9", "2018-06-20T10:00:00+00:00", AMELIA)
    held = privacy.subject_access(DPO, NHS_1)
    readable = [f for f in held["facts"] if not f.get("erased") and "child" in f["body"]]
    assert [f["body"]["payload"]["episode_ref"] for f in readable] == ["AM-9"]
    assert readable[0]["body"]["child"]["family_name"] == "Zebedee"
    again = privacy.erase(DPO, NHS_1, "request 8")  # the new key goes too
    assert (again.keys, again.already) == (1, False)


def test_a_correction_of_a_childs_record_goes_with_the_child(hub: Hub) -> None:
    h = hub.history
    h.at("2018-04-03T00:00:00+00:00")
    placed = h.event(
        "care.placement_started", "2018-03-21T09:00:00+00:00", child=AMELIA, placement_ref="P7"
    )
    correction = h.correct(placed, provider="Kestrel Lodge Fothergill")
    privacy = hub.privacy()
    before = privacy.subject_access(DPO, NHS_1)
    assert "Kestrel Lodge Fothergill" in _text(before)
    privacy.erase(DPO, NHS_1, "request 9")
    stored = h.store.facts.get(UUID(correction["event_id"]))
    assert stored is not None and stored.sealed[0]["k"] != "records"
    assert original_body(stored, hub.keyring) is None
    assert "Kestrel Lodge Fothergill" not in _text(privacy.subject_access(DPO, NHS_1))
