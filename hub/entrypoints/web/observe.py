"""One log line and one timing per request, named by the route's template.

uvicorn's access log is off: it writes the raw path and query string, and a path or query can
hold what someone typed (a reference, a period, and by mistake a child's name). This line names
the route as declared (``/api/v1/published/{reference}``), the method, the status and the time,
and never the values.
"""

from __future__ import annotations

import logging
import time

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.entrypoints.web.metrics import Metrics
from hub.errors import fault_frames

log = logging.getLogger("hub.web")
UNMATCHED = "(no route)"


class Observe:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        begun = False

        async def send_status(message: Message) -> None:
            nonlocal status, begun
            if message["type"] == "http.response.start":
                status, begun = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except Exception as error:
            # A fault of ours: logged by its type and frames (its text may quote what was
            # asked), answered with no detail, through the security headers like any page.
            log.error("fault answering %s: %s", route_template(scope), fault_frames(error))
            if begun:
                raise
            await PlainTextResponse("The hub could not answer this.", 500)(
                scope, receive, send_status
            )
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe(route, scope["method"], status, seconds)
            log.info("%s %s %d %.1fms", scope["method"], route, status, seconds * 1000)


def route_template(scope: Scope) -> str:
    """The template of the route that answered, which the router sets on the scope (a mount's
    for static files: ``/static``); a fixed word when none did. Never the raw path."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED
