"""What the pages show: answers rendered from what the answer holds (labels, hidden cells and
why, "no records held", the line that reproduces it, its digest), the register, the agency's
page, the trends, and bad input answered on the page."""

from __future__ import annotations

import re

from tests.web.conftest import Hub, form_token


def test_an_answer_shows_labels_hidden_cells_the_reproduce_line_and_digest(hub: Hub) -> None:
    page = hub.signed_in("fiona").get(
        "/foi", params={"statistic": "missing-occasions", "period": "2017/18"}
    )
    assert page.status_code == 200
    html = page.text
    assert "<h2>Occasions children went missing</h2>" in html
    assert re.search(r"All children: occasions absent</td>\s*<td class=\"n\">&lt;5</td>", html)
    assert re.search(r"All children: occasions missing</td>\s*<td class=\"n\">c</td>", html)
    assert "a small count" in html and "cannot be worked out" in html
    text = re.sub(r"<[^>]+>", "", html)
    assert "To reproduce" in text and "hub foi missing-occasions --period 2017/18" in text
    assert re.search(r"sha256:[0-9a-f]{64}", html)
    assert "No records held" not in html
    assert 'name="reference"' in html  # an FOI officer may publish it
    raw = hub.signed_in("fiona").get(
        "/foi", params={"statistic": "missing-occasions", "period": "2017/18", "raw": "on"}
    )
    assert raw.status_code == 403  # raw figures are not an FOI officer's


def test_no_records_held_is_said_prominently(hub: Hub) -> None:
    page = hub.signed_in("fiona").get(
        "/foi", params={"statistic": "missing-occasions", "period": "2009"}
    )
    assert page.status_code == 200
    assert '<div class="banner bad held" role="alert">' in page.text
    assert "No records held" in page.text


def test_an_analyst_sees_raw_figures_and_cannot_publish(hub: Hub) -> None:
    page = hub.signed_in("andy").get(
        "/foi", params={"statistic": "missing-occasions", "period": "2017/18", "raw": "on"}
    )
    assert re.search(r"All children: occasions absent</td>\s*<td class=\"n\">2</td>", page.text)
    assert "Not for publication" in page.text
    assert 'name="reference"' not in page.text


def test_bad_input_is_answered_on_the_page(hub: Hub) -> None:
    officer = hub.signed_in("fiona")
    bad = officer.get("/foi", params={"statistic": "missing-occasions", "period": "someday"})
    assert bad.status_code == 400 and 'role="alert"' in bad.text and "<form" in bad.text
    member = hub.signed_in("fran")
    assert member.get("/forum", params={"month": "March"}).status_code == 400
    moved = member.get("/forum", params={"month": "2018-03"}, follow_redirects=False)
    assert moved.headers["location"] == "/forum/2018-03?threshold=3&window_days=90"
    assert member.get("/trends", params={"from": "2018", "to": "2018-03"}).status_code == 400
    assert hub.client().get("/no/such/page").status_code == 404


def test_the_register_publication_and_reproduction_pages(hub: Hub) -> None:
    officer = hub.signed_in("fiona")
    token = form_token(officer.get("/foi").text)
    form = {"statistic": "cse-cases", "period": "2017/18", "as_of": "2018-05-02", "csrf": token}
    assert officer.post("/published", data={**form, "reference": "FOI-PAGES-1"}).status_code == 200
    again = officer.post("/published", data={**form, "reference": "FOI-PAGES-1"})
    assert again.status_code == 400 and "already been published" in again.text
    register = hub.signed_in("audrey").get("/published").text
    assert "/published/FOI-PAGES-1/reproduce" in register
    shown = officer.get("/published/FOI-PAGES-1").text
    assert "Published as FOI-PAGES-1" in shown and "by fiona (foi_officer)" in shown
    reproduced = officer.get("/published/FOI-PAGES-1/reproduce").text
    assert "Reproduced exactly" in reproduced
    assert "The live figures are the same as published" in reproduced
    assert officer.get("/published/FOI-NOT-THERE").status_code == 404


def test_an_agency_sees_its_own_records_and_rejects(hub: Hub) -> None:
    page = hub.signed_in("pc").get("/agency")
    assert page.status_code == 200
    assert "<code>missing.reported</code>" in page.text
    assert "Nothing refused." in page.text
    assert [text for _, text in _menu(page.text)] == ["Your agency"]


def test_the_trends_page_lists_each_month(hub: Hub) -> None:
    page = hub.signed_in("andy").get("/trends", params={"from": "2018-01", "to": "2018-03"})
    table = page.text.split('id="trends"')[1].split("</table>")[0]
    assert [m for m in re.findall(r'<th scope="row">([^<]+)</th>', table)] == [
        "2018-01",
        "2018-02",
        "2018-03",
    ]


def _menu(html: str) -> list[tuple[str, str]]:
    nav = html.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)


def test_the_menu_shows_what_the_role_allows(hub: Hub) -> None:
    expected = {
        "fiona": ["FOI answers", "Published figures"],
        "andy": ["FOI answers", "Published figures", "Forum pack", "Trends"],
        "fran": ["Forum pack", "Trends"],
        "audrey": ["Published figures", "Audit"],
        "ada": ["Users"],
        "pc": ["Your agency"],
    }
    for name, menu in expected.items():
        home = hub.signed_in(name).get("/")
        assert [text for _, text in _menu(home.text)] == menu, name
