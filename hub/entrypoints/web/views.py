"""The pages' templates and the few filters they use.

Answers are rendered defensively: the projections' answer dicts grow (a cell's ``label`` and
``reason``, an answer's ``records_held`` and ``reproduce``), so a template shows what is there
and falls back to what every answer has (a figure's name, its ``display``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from hub.domain.people import DESCRIPTIONS, Can, User

LONDON = ZoneInfo("Europe/London")
HERE = Path(__file__).parent

# What each page is for, in the order the menu shows them.
MENU: tuple[tuple[str, str, Can], ...] = (
    ("/foi", "FOI answers", Can.FOI),
    ("/published", "Published figures", Can.REGISTER),
    ("/forum", "Forum pack", Can.FORUM),
    ("/trends", "Trends", Can.TRENDS),
    ("/agency", "Your agency", Can.AGENCY),
    ("/audit", "Audit", Can.AUDIT),
    ("/users", "Users", Can.USERS),
)


def london(value: Any) -> str:
    """A moment as people in the partnership read it: London time, to the minute."""
    if value is None or value == "":
        return "–"
    moment = value if isinstance(value, dt.datetime) else _moment(str(value))
    if moment is None:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return f"{moment.astimezone(LONDON):%-d %b %Y, %H:%M:%S}"


def _moment(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def figure_label(name: str, cell: Any) -> str:
    """A cell's own label when the answer gives one, else the figure's name made readable."""
    label = cell.get("label") if isinstance(cell, dict) else None
    return str(label) if label else name.replace("_", " ").replace(".", ": ")


def signed(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "" if value is None else str(value)
    if value == 0:
        return "±0"
    return f"+{value:,}" if value > 0 else f"−{abs(value):,}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template is HTML; nothing a user typed is ever markup
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(london=london, figure_label=figure_label, signed=signed)
    env.globals.update(descriptions=DESCRIPTIONS)
    return env


class Views:
    def __init__(self) -> None:
        self.env = _environment()

    def page(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        user: User | None = None,
        csrf: str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        menu = [(href, text) for href, text, can in MENU if user is not None and user.can(can)]
        html = self.env.get_template(template).render(
            {
                "user": user,
                "csrf": csrf,
                "menu": menu,
                "path": request.url.path,
                **(context or {}),
            }
        )
        return HTMLResponse(html, status_code=status, headers=headers)
