"""People's sign-in: sessions, the one-time password, CSRF on every form, the sign-in limit,
a disabled user, and the audit of sign-ins and refusals."""

from __future__ import annotations

import re

from tests.web.conftest import PASSWORD, Hub, form_token, sign_in


def _audit(hub: Hub) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = hub.api("audrey").get("/api/v1/audit").json()["entries"]
    return entries


def test_pages_need_a_session_and_send_people_to_sign_in(hub: Hub) -> None:
    client = hub.client()
    for path in ("/", "/foi", "/published", "/forum/2018-03", "/audit", "/users", "/agency"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/signin"), path
    assert client.get("/foi", follow_redirects=False).headers["location"] == "/signin?next=/foi"
    # A token is for the API only: it opens no page.
    scripted = hub.api("fiona").get("/foi", follow_redirects=False)
    assert scripted.status_code == 303


def test_sign_in_is_audited_and_the_session_cookie_is_http_only(hub: Hub) -> None:
    client = hub.client()
    page = client.get("/signin")
    response = client.post(
        "/signin",
        data={
            "name": "fran",
            "password": PASSWORD,
            "csrf": form_token(page.text),
            "next": "/forum",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/forum"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # loopback over http: the browser would not send it back
    assert client.get("/forum").status_code == 200
    entry = [e for e in _audit(hub) if e["action"] == "sign-in"][-1]
    assert (entry["user"], entry["role"], entry["outcome"]) == ("fran", "forum", "ok")

    # Somewhere else: no open redirect after signing in.
    again = hub.client()
    token = form_token(again.get("/signin").text)
    away = again.post(
        "/signin",
        data={"name": "fran", "password": PASSWORD, "csrf": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/"


def test_signing_out_ends_the_session_on_the_server(hub: Hub) -> None:
    client = hub.signed_in("andy")
    cookies = dict(client.cookies)
    token = form_token(client.get("/").text)
    assert client.post("/signout", data={"csrf": token}, follow_redirects=False).status_code == 303
    replayed = hub.client()
    replayed.cookies.update(cookies)  # a copy of the cookie, kept from before
    assert replayed.get("/", follow_redirects=False).status_code == 303


def test_a_role_is_refused_a_page_outside_it_and_the_refusal_is_audited(hub: Hub) -> None:
    forum = hub.signed_in("fran")
    for path, action in (("/foi", "foi.page"), ("/audit", "audit"), ("/users", "users.list")):
        refused = forum.get(path)
        assert refused.status_code == 403, path
        assert "recorded in the audit" in refused.text
        entry = [e for e in _audit(hub) if e["user"] == "fran"][-1]
        assert (entry["action"], entry["outcome"]) == (action, "refused"), path
    assert forum.get("/published/FOI-X/reproduce").status_code == 403


def test_every_form_needs_the_sessions_csrf_token(hub: Hub) -> None:
    officer = hub.signed_in("fiona")
    form = {"statistic": "missing-occasions", "period": "2017/18", "as_of": "2018-05-02"}
    for token in (None, "not-the-token"):
        data = {**form, "reference": "FOI-CSRF", **({"csrf": token} if token else {})}
        refused = officer.post("/published", data=data, follow_redirects=False)
        assert refused.status_code == 403
        assert "did not come from this site" in refused.text
    assert [e for e in _audit(hub) if e["user"] == "fiona"][-1]["outcome"] == "refused"
    assert hub.api("fiona").get("/api/v1/published/FOI-CSRF").status_code == 404
    # The same form with the session's token goes through.
    token = form_token(officer.get("/foi").text)
    done = officer.post(
        "/published", data={**form, "reference": "FOI-CSRF", "csrf": token}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/published/FOI-CSRF"
    # Another session's token is not this one's.
    other = form_token(hub.signed_in("fiona").get("/foi").text)
    assert officer.post("/signout", data={"csrf": other}).status_code == 403
    # Signing in needs the sign-in form's own token (no login CSRF).
    blind = hub.client().post("/signin", data={"name": "fiona", "password": PASSWORD})
    assert blind.status_code == 403


def test_sign_in_is_limited_after_five_failures(own_hub: Hub) -> None:
    hub = own_hub
    client = hub.client()
    for _ in range(5):
        token = form_token(client.get("/signin").text)
        wrong = client.post("/signin", data={"name": "andy", "password": "guess", "csrf": token})
        assert wrong.status_code == 401
    token = form_token(client.get("/signin").text)
    limited = client.post("/signin", data={"name": "andy", "password": PASSWORD, "csrf": token})
    assert limited.status_code == 429  # even the right password, until the window passes
    assert "Too many failed attempts" in limited.text
    outcomes = [e["outcome"] for e in _audit(hub) if e["action"] == "sign-in"]
    assert outcomes == ["failed"] * 5 + ["limited"]
    # The address is limited too: another name from the same client is refused.
    token = form_token(client.get("/signin").text)
    other = client.post("/signin", data={"name": "fran", "password": PASSWORD, "csrf": token})
    assert other.status_code == 429
    metrics = hub.api("audrey").get("/metrics").text
    assert 'hub_web_sign_ins_total{outcome="failed"} 5.0' in metrics
    assert 'hub_web_sign_ins_total{outcome="limited"} 2.0' in metrics


def test_a_disabled_users_session_and_token_stop_working(own_hub: Hub) -> None:
    hub = own_hub
    fiona = hub.signed_in("fiona")
    assert fiona.get("/foi").status_code == 200
    assert hub.api("fiona").get("/api/v1/published").status_code == 200

    admin = hub.signed_in("ada")
    page = admin.get("/users")
    assert page.status_code == 200 and "fiona" in page.text
    done = admin.post(
        "/users/fiona/disable", data={"csrf": form_token(page.text)}, follow_redirects=False
    )
    assert done.status_code == 303

    assert fiona.get("/foi", follow_redirects=False).headers["location"].startswith("/signin")
    gone = hub.api("fiona").get("/api/v1/published")
    assert gone.status_code == 401 and "error" in gone.json()
    client = hub.client()
    token = form_token(client.get("/signin").text)
    refused = client.post("/signin", data={"name": "fiona", "password": PASSWORD, "csrf": token})
    assert refused.status_code == 401
    actions = [(e["user"], e["action"], e["outcome"]) for e in _audit(hub)]
    assert ("ada", "users.disable", "ok") in actions


def test_a_new_user_sets_a_password_before_anything_else(own_hub: Hub) -> None:
    hub = own_hub
    admin = hub.signed_in("ada")
    added = admin.post(
        "/users",
        data={"name": "nina", "role": "foi_officer", "csrf": form_token(admin.get("/users").text)},
    )
    assert added.status_code == 200
    found = re.search(r'id="one-time">([^<]+)<', added.text)
    assert found, "the one-time password is shown once"
    once = found.group(1)
    assert once not in admin.get("/users").text  # and never again

    nina = hub.client()
    token = form_token(nina.get("/signin").text)
    first = nina.post(
        "/signin", data={"name": "nina", "password": once, "csrf": token}, follow_redirects=False
    )
    assert first.headers["location"] == "/password"
    assert nina.get("/foi", follow_redirects=False).headers["location"] == "/password"
    form = form_token(nina.get("/password").text)
    short = nina.post(
        "/password", data={"current": once, "new": "short", "again": "short", "csrf": form}
    )
    assert short.status_code == 400 and "12 characters" in short.text
    chosen = "a long and private phrase"
    done = nina.post(
        "/password",
        data={"current": once, "new": chosen, "again": chosen, "csrf": form},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert nina.get("/foi").status_code == 200
    again = hub.client()
    sign_in(again, "nina", chosen)
    assert again.get("/foi").status_code == 200
    actions = [(e["user"], e["action"]) for e in _audit(hub)]
    assert ("ada", "users.add") in actions and ("nina", "password.change") in actions


def test_the_admin_issues_a_token_shown_once(own_hub: Hub) -> None:
    hub = own_hub
    admin = hub.signed_in("ada")
    issued = admin.post("/users/andy/token", data={"csrf": form_token(admin.get("/users").text)})
    found = re.search(r'id="token">([^<]+)<', issued.text)
    assert found
    api = hub.client()
    api.headers["Authorization"] = f"Bearer {found.group(1)}"
    assert api.get("/api/v1/me").json() == {"name": "andy", "role": "analyst"}
    assert hub.api("andy").get("/api/v1/me").status_code == 401  # the old one is replaced
    own = admin.post("/users/ada/disable", data={"csrf": form_token(admin.get("/users").text)})
    assert own.status_code == 400 and "cannot disable yourself" in own.text


def test_over_https_the_cookies_are_secure_and_host_only(hub: Hub) -> None:
    """As behind a TLS-terminating proxy on the same host (X-Forwarded-Proto: https)."""
    from fastapi.testclient import TestClient

    client = TestClient(hub.app, base_url="https://127.0.0.1")
    page = client.get("/signin")
    assert "__Host-hub-signin=" in page.headers["set-cookie"]
    assert "Secure" in page.headers["set-cookie"]
    assert page.headers["strict-transport-security"] == "max-age=31536000"
    response = client.post(
        "/signin",
        data={"name": "fiona", "password": PASSWORD, "csrf": form_token(page.text)},
        follow_redirects=False,
    )
    session = next(c for c in response.headers.get_list("set-cookie") if "hub-session" in c)
    assert session.startswith("__Host-hub-session=") and "Secure" in session
    assert "HttpOnly" in session and "SameSite=lax" in session
    assert client.get("/foi").status_code == 200
