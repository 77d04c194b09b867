"""What the service says about itself and how it protects pages: security headers, /metrics,
/healthz, its log lines, and the audit page when the audit has been tampered with."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time

import orjson
import pytest

from hub.adapters.report_file import ReportFile
from hub.service.health import Report
from tests.history import child
from tests.web.conftest import Hub


def test_pages_carry_the_security_headers(hub: Hub) -> None:
    officer = hub.signed_in("fiona")
    page = officer.get("/foi", params={"statistic": "missing-occasions", "period": "2017/18"})
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy  # no script at all
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text and " style=" not in page.text
    assert '<link rel="stylesheet" href="/static/hub.css">' in page.text

    pack = hub.signed_in("fran").get("/forum/2018-03")
    assert pack.status_code == 200 and "<svg" in pack.text
    pack_policy = pack.headers["content-security-policy"]
    assert "default-src 'none'" in pack_policy and "script-src" not in pack_policy
    assert "frame-ancestors 'none'" in pack_policy and pack.headers["cache-control"] == "no-store"
    assert "<script" not in pack.text

    api = hub.api("fiona").get("/api/v1/published")
    assert api.headers["cache-control"] == "no-store"
    assert hub.client().get("/static/hub.css").headers["cache-control"].startswith("public")


def test_metrics_count_ingest_lag_and_answer_times_by_route(hub: Hub) -> None:
    hub.api("fiona").get("/api/v1/foi/missing-children", params={"period": "2017/18"})
    hub.api("fiona").get("/api/v1/published/FOI-NOT-THERE")
    anonymous = hub.client().get("/metrics")  # not on loopback (the test client): a token
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    text = hub.api("pc").get("/metrics").text  # any role's token
    stored = hub.history.store.facts.count()
    assert f"hub_facts_stored_total {float(stored)}" in text
    assert "hub_rejects_total 0.0" in text
    assert "hub_projector_lag 0.0" in text
    assert 'hub_up{part="serve"} 0.0' in text  # no hub serve: its report is left out
    assert "hub_consumer_pending" not in text
    assert 'hub_web_request_seconds_count{method="GET",route="/api/v1/foi/{statistic}"}' in text
    assert 'route="/api/v1/published/{reference}"' in text
    # No value from a request becomes a label: not the statistic, the period, the reference.
    assert "missing-children" not in text and "2017/18" not in text
    assert "FOI-NOT-THERE" not in text


def test_projector_lag_and_the_consumer_from_the_serving_report(own_hub: Hub) -> None:
    hub = own_hub
    hub.history.at("2018-06-01T00:00:00+00:00").episode(
        "L1", "2018-05-20T10:00:00+00:00", child(40)
    )
    now = time.time()
    ReportFile(hub.settings.report_file).write(
        Report(os.getpid(), now, now, True, None, 0, 7, 2, 0)
    )
    text = hub.api("pc").get("/metrics").text
    assert "hub_projector_lag 1.0" in text  # stored, not yet projected
    assert "hub_consumer_pending 7.0" in text and "hub_consumer_ack_pending 2.0" in text
    hub.caught_up()
    assert "hub_projector_lag 0.0" in hub.api("pc").get("/metrics").text


def test_healthz_says_whether_ingest_is_flowing(own_hub: Hub) -> None:
    hub = own_hub
    down = hub.client().get("/healthz")
    assert down.status_code == 503
    assert down.json() == {"problems": ["hub serve is not running (no report from it)"]}
    now = time.time()
    report = ReportFile(hub.settings.report_file)
    report.write(Report(os.getpid(), now, now, True, None, 0, 0, 0, 0))
    assert hub.client().get("/healthz").json() == {"problems": []}
    assert hub.client().get("/healthz").status_code == 200
    report.write(Report(os.getpid(), now, now, False, now - 30, 1, 0, 0, 0))
    lost = hub.client().get("/healthz")
    assert lost.status_code == 503 and "NATS connection is lost" in lost.json()["problems"][0]


def test_log_lines_name_route_templates_never_what_was_asked(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Jane-Smith-2003-06-01"
    with caplog.at_level(logging.INFO, logger="hub.web"):
        hub.api("fiona").get("/api/v1/foi/missing-occasions", params={"period": secret})
        hub.api("fiona").get(f"/api/v1/published/{secret}")
        hub.signed_in("fiona").get("/foi", params={"statistic": secret, "period": "2017"})
        hub.client().get(f"/no/such/{secret}")
    lines = [r.getMessage() for r in caplog.records if r.name == "hub.web"]
    assert any("GET /api/v1/foi/{statistic} 400" in line for line in lines), lines
    assert any("GET /api/v1/published/{reference} 404" in line for line in lines), lines
    assert any("GET (no route) 404" in line for line in lines), lines
    assert not any(secret in line for line in lines)


def test_a_tampered_audit_is_detected_by_the_api_and_shown_on_the_auditors_page(
    own_hub: Hub,
) -> None:
    hub = own_hub
    for period in ("2016", "2017", "2018"):
        hub.api("fiona").get("/api/v1/foi/missing-occasions", params={"period": period})
    auditor = hub.signed_in("audrey")
    page = auditor.get("/audit")
    assert "The hash chain is intact" in page.text
    assert re.search(r"<td>fiona</td>\s*<td>foi_officer</td>\s*<td>foi</td>", page.text)

    db = sqlite3.connect(hub.settings.sqlite_path)
    (state,) = db.execute("SELECT state FROM hub_audit WHERE originator_version = 2").fetchone()
    changed = orjson.loads(state)
    changed["what"]["period"] = "2015"  # someone hides what was asked
    with db:
        db.execute(
            "UPDATE hub_audit SET state = ? WHERE originator_version = 2",
            (orjson.dumps(changed),),
        )
    db.close()

    chain = hub.api("audrey").get("/api/v1/audit").json()["chain"]
    assert chain["intact"] is False
    assert chain["problems"] == ["entry 2 has been changed since it was written"]
    page = auditor.get("/audit")
    assert "The hash chain is broken" in page.text
    assert "entry 2 has been changed since it was written" in page.text
