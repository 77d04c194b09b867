"""The JSON API: who may call what (401 without a token, 403 outside the role, each refusal
audited), what an FOI officer may see, and that every read is in the audit with its user."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from typing import Any

import orjson
import pytest

from hub import bootstrap
from projections import STATISTICS
from tests.web.conftest import ROLES, Hub

PUBLISHED = "FOI-2018-0001"

# (method, path, body, the users whose role allows it): written out here, not read from
# hub.domain.people, so that a change to the roles table shows up as a failing test.
CALLS: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("GET", "/api/v1/foi/missing-occasions?period=2017/18", None, {"fiona", "andy"}),
    ("GET", "/api/v1/foi/missing-occasions?period=2017/18&suppression=off", None, {"andy"}),
    ("GET", "/api/v1/forum/2018-03", None, {"andy", "fran"}),
    ("GET", "/api/v1/forum/2018-03?threshold=2&window_days=60", None, {"andy", "fran"}),
    ("GET", "/api/v1/trends?from=2018-01&to=2018-03", None, {"andy", "fran"}),
    ("GET", "/api/v1/reconcile?period=2017/18", None, {"andy"}),
    ("GET", "/api/v1/audit", None, {"audrey"}),
    ("GET", "/api/v1/audit?since=2020-01-01", None, {"audrey"}),
    ("GET", "/api/v1/published", None, {"fiona", "andy", "audrey"}),
    ("GET", f"/api/v1/published/{PUBLISHED}", None, {"fiona", "andy", "audrey"}),
    ("GET", f"/api/v1/published/{PUBLISHED}/reproduce", None, {"fiona", "andy", "audrey"}),
    (
        "POST",
        "/api/v1/published",
        {"reference": "FOI-2018-{who}", "statistic": "missing-children", "period": "2017/18"},
        {"fiona"},
    ),
    ("GET", "/api/v1/agency/rejects", None, {"pc"}),
    ("GET", "/api/v1/agency/status", None, {"pc"}),
]


@pytest.fixture(scope="module")
def published(hub: Hub) -> Hub:
    response = hub.api("fiona").post(
        "/api/v1/published",
        json={"reference": PUBLISHED, "statistic": "missing-occasions", "period": "2017/18"},
    )
    assert response.status_code == 201, response.text
    return hub


def _call(hub: Hub, who: str | None, method: str, path: str, body: Any) -> Any:
    client = hub.api(who) if who else hub.client()
    if body is not None:
        body = {k: v.format(who=who) if isinstance(v, str) else v for k, v in body.items()}
    return client.request(method, path, json=body)


@pytest.mark.parametrize(("method", "path", "body", "allowed"), CALLS, ids=[c[1] for c in CALLS])
def test_each_role_against_each_endpoint(
    published: Hub, method: str, path: str, body: Any, allowed: set[str]
) -> None:
    hub = published
    anonymous = _call(hub, None, method, path, body)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert "error" in anonymous.json()
    forged = hub.client().request(method, path, headers={"Authorization": "Bearer hub_x_y"})
    assert forged.status_code == 401
    assert forged.headers["www-authenticate"].startswith('Bearer error="invalid_token"')

    before = _refusals(hub)
    for who in ROLES:
        response = _call(hub, who, method, path, body)
        expected = (201 if method == "POST" else 200) if who in allowed else 403
        assert response.status_code == expected, (who, response.text)
        assert response.headers["content-type"].startswith("application/json")
        if expected == 403:
            assert set(response.json()) == {"error"}
    refused = _refusals(hub)
    for who in ROLES:  # each refusal was recorded, with the user who was refused
        assert refused.get(who, 0) - before.get(who, 0) == (0 if who in allowed else 1), who


def _refusals(hub: Hub) -> dict[str, int]:
    entries = hub.api("audrey").get("/api/v1/audit").json()["entries"]
    counts: dict[str, int] = {}
    for entry in entries:
        if entry["outcome"] == "refused":
            counts[entry["user"]] = counts.get(entry["user"], 0) + 1
    return counts


def test_an_foi_officer_never_receives_a_suppressed_value(hub: Hub) -> None:
    officer = hub.api("fiona")
    hidden = 0
    for statistic in STATISTICS:
        for period in ("2017/18", "2018", "2018-03"):
            response = officer.get(f"/api/v1/foi/{statistic}", params={"period": period})
            assert response.status_code == 200, response.text
            answer = response.json()
            assert answer["suppression"]["applied"] is True
            for cell in answer["figures"].values():
                if cell["suppressed"]:
                    hidden += 1
                    assert cell["value"] is None, (statistic, period, cell)
    assert hidden > 0  # the city has small counts: the check above was exercised
    raw = officer.get(
        "/api/v1/foi/missing-occasions", params={"period": "2017/18", "suppression": "off"}
    )
    assert raw.status_code == 403
    analyst = hub.api("andy").get(
        "/api/v1/foi/missing-occasions", params={"period": "2017/18", "suppression": "off"}
    )
    assert analyst.json()["figures"]["all.absent"]["value"] == 2  # the raw figure, for analysts


def test_an_answer_is_the_same_json_as_hub_foi(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    api = hub.api("fiona").get(
        "/api/v1/foi/missing-children",
        params={"period": "2017/18", "as_of": "2018-05-02T00:00:00+00:00"},
    )
    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_PROJECTION_PATH", str(hub.settings.projection_file))
    out = io.StringIO()
    with redirect_stdout(out):
        code = bootstrap.main(
            [
                "foi",
                "missing-children",
                "--period",
                "2017/18",
                "--as-of",
                "2018-05-02T00:00:00+00:00",
                "--format",
                "json",
            ]
        )
    assert code == 0
    assert api.json() == orjson.loads(out.getvalue())


def test_every_read_is_in_the_audit_with_its_user(published: Hub) -> None:
    hub = published
    reads = [
        ("fiona", "/api/v1/foi/cse-cases?period=2017/18", "foi"),
        ("andy", "/api/v1/trends?from=2018-02&to=2018-03", "trends"),
        ("fran", "/api/v1/forum/2018-02", "forum"),
        ("pc", "/api/v1/agency/status", "agency.status"),
        ("pc", "/api/v1/agency/rejects", "agency.rejects"),
        ("audrey", f"/api/v1/published/{PUBLISHED}", "published.get"),
        ("fiona", f"/api/v1/published/{PUBLISHED}/reproduce", "published.reproduce"),
        ("andy", "/api/v1/published", "published.list"),
    ]
    # (+1: the audit's own read is recorded after it answered)
    before = len(hub.api("audrey").get("/api/v1/audit").json()["entries"]) + 1
    for who, path, _ in reads:
        assert hub.api(who).get(path).status_code == 200, path
    audit = hub.api("audrey").get("/api/v1/audit").json()
    assert audit["chain"]["intact"] is True
    new = audit["entries"][before:]
    assert [(e["user"], e["role"], e["action"]) for e in new] == [
        (who, ROLES[who], action) for who, _, action in reads
    ]
    assert all(e["outcome"] == "ok" for e in new)
    assert new[0]["digest"].startswith("sha256:")
    assert new[0]["what"]["statistic"] == "cse-cases" and new[0]["what"]["period"] == "2017/18"
    last = hub.api("audrey").get("/api/v1/audit").json()["entries"][-1]
    assert (last["user"], last["action"]) == ("audrey", "audit")


def test_bad_arguments_and_unknown_references(hub: Hub) -> None:
    officer = hub.api("fiona")
    bad = officer.get("/api/v1/foi/missing-occasions", params={"period": "someday"})
    assert bad.status_code == 400 and "error" in bad.json()
    unknown = officer.get("/api/v1/foi/no-such-statistic", params={"period": "2017"})
    assert unknown.status_code == 400 and "no statistic" in unknown.json()["error"]
    missing = officer.get("/api/v1/published/FOI-NONE")
    assert missing.status_code == 404 and "error" in missing.json()
    no_period = officer.get("/api/v1/foi/missing-occasions")
    assert no_period.status_code == 422 and "period" in no_period.json()["error"]
    slash = officer.post(
        "/api/v1/published",
        json={"reference": "FOI/1", "statistic": "missing-occasions", "period": "2017"},
    )
    assert slash.status_code == 400
    twice = [
        officer.post(
            "/api/v1/published",
            json={"reference": "FOI-TWICE", "statistic": "missing-occasions", "period": "2017"},
        ).status_code
        for _ in range(2)
    ]
    assert twice == [201, 400]


def test_the_openapi_document_describes_the_api_only(hub: Hub) -> None:
    document = hub.client().get("/api/v1/openapi.json").json()
    paths = set(document["paths"])
    assert {
        "/api/v1/foi/{statistic}",
        "/api/v1/forum/{month}",
        "/api/v1/trends",
        "/api/v1/audit",
        "/api/v1/published",
        "/api/v1/published/{reference}",
        "/api/v1/published/{reference}/reproduce",
        "/api/v1/agency/rejects",
        "/api/v1/agency/status",
    } <= paths
    assert all(path.startswith("/api/v1/") for path in paths)  # no page, no /metrics
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    assert hub.client().get("/docs").status_code == 404  # no CDN-loaded docs page
