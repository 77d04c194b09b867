"""The pages in a real browser (Playwright driving Debian's Chromium) against the web service
in uvicorn: an FOI officer answers, publishes, and reproduces after later records arrive; a
forum member opens the pack and is refused a page outside the role. Screenshots go to
/tmp/web-shots/ for a person to look at."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.history import child
from tests.web.conftest import PASSWORD, Served

SHOTS = Path("/tmp/web-shots")


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("Chromium must be installed in CI (.ci/run installs Debian's chromium)")
    pytest.skip("no chromium on this machine (Debian package: chromium)")


@pytest.fixture
def browser() -> Iterator[Any]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


class Person:
    """One browser context (its own cookies), with what the page reported on its console."""

    def __init__(self, browser: Any, url: str) -> None:
        self.url = url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))

    def go(self, path: str) -> Any:
        return self.page.goto(self.url + path)

    def sign_in(self, name: str, path: str = "/") -> None:
        self.go(path)
        assert "/signin" in self.page.url
        self.page.fill("#name", name)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()

    def shot(self, name: str) -> None:
        SHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def cell(self, label: str, table: str = "table.figures") -> str:
        row = self.page.locator(f"{table} tr", has_text=label).first
        return str(row.locator("td.n").first.inner_text())


def test_an_foi_officer_answers_publishes_and_reproduces(browser: Any, served: Served) -> None:
    officer = Person(browser, served.url)
    officer.go("/foi")
    officer.shot("01-sign-in")
    officer.sign_in("fiona", "/foi")
    assert officer.page.url.endswith("/foi")

    officer.page.select_option("#statistic", "missing-occasions")
    officer.page.fill("#period", "2017/18")
    officer.page.click("form.ask button[type=submit]")
    officer.page.wait_for_selector("section.answer")
    officer.shot("02-foi-answer")
    assert officer.page.inner_text("section.answer h2") == "Occasions children went missing"
    assert officer.cell("All children: occasions missing or absent") == "15"
    assert officer.cell("All children: occasions absent") == "<5"
    assert officer.cell("All children: occasions missing") == "c"
    assert "To reproduce" in officer.page.inner_text("dl.provenance")
    assert "sha256:" in officer.page.inner_text("dl.provenance")

    officer.page.fill("#reference", "FOI-2018-0412")
    officer.page.click("section.publish button[type=submit]")
    officer.page.wait_for_url("**/published/FOI-2018-0412")
    officer.shot("03-published")
    assert "Published as FOI-2018-0412" in officer.page.inner_text("h1")

    # Later records: three more episodes in 2017/18, recorded a month later; the projection
    # catches up (as hub serve's projector would).
    later = served.hub.history.at("2018-06-01T00:00:00+00:00")
    for n in range(3):
        later.episode(f"LATE{n}", "2017-09-01T10:00:00+00:00", child(30 + n))
    served.hub.caught_up()

    officer.page.click("text=Reproduce it now")
    officer.page.wait_for_url("**/reproduce")
    officer.shot("04-reproduced")
    assert "Reproduced exactly" in officer.page.inner_text(".banner")
    changes = officer.page.locator("table.changes tr", has_text="missing or absent")
    assert changes.locator("td").all_inner_texts() == [
        "All children: occasions missing or absent",
        "15",
        "18",
        "+3",
    ]
    officer.go("/published")
    officer.shot("05-register")
    assert "FOI-2018-0412" in officer.page.inner_text("table.list")
    assert not [m for m in officer.console if "Content Security Policy" in m], officer.console


def test_a_forum_member_opens_the_pack_and_is_refused_elsewhere(
    browser: Any, served: Served
) -> None:
    member = Person(browser, served.url)
    member.sign_in("fran")
    member.shot("06-home")
    assert [a.strip() for a in member.page.locator("header nav a").all_inner_texts()] == [
        "Forum pack",
        "Trends",
    ]
    member.go("/forum")
    member.page.fill("#month", "2018-03")
    member.page.click("form.ask button[type=submit]")
    member.page.wait_for_url("**/forum/2018-03**")
    member.shot("07-forum-pack")
    assert "Missing children forum pack: March 2018" in member.page.inner_text("body")
    assert member.page.locator("svg").count() >= 1

    member.go("/trends?from=2018-01&to=2018-03")
    member.shot("08-trends")
    assert member.page.locator("#trends tbody tr").count() == 3

    response = member.go("/foi")
    assert response.status == 403
    member.shot("09-refused")
    assert "Not allowed" in member.page.inner_text("h1")
    assert not [m for m in member.console if "Content Security Policy" in m], member.console

    auditor = Person(browser, served.url)
    auditor.sign_in("audrey", "/audit")
    auditor.shot("10-audit")
    assert "The hash chain is intact" in auditor.page.inner_text("#chain")
    refusals = auditor.page.locator("tr.outcome-refused", has_text="fran")
    assert refusals.count() == 1

    admin = Person(browser, served.url)
    admin.sign_in("ada", "/users")
    admin.page.fill("#name", "nina@council.example")
    admin.page.select_option("#role", "foi_officer")
    admin.page.click("form.ask button[type=submit]")
    admin.page.wait_for_selector("#one-time")
    admin.shot("11-users")
    assert len(admin.page.inner_text("#one-time")) >= 12
    assert "nina@council.example" in admin.page.inner_text("table.list")
