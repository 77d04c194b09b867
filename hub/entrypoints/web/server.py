"""Serving the app with uvicorn inside an event loop the hub already runs.

uvicorn's own signal handling is turned off: ``hub serve`` (FastStream) owns SIGTERM and
SIGINT and stops the web service with everything else, within its grace; ``hub web`` sets its
own handlers. Its access log is off too (``observe.py`` writes one line per request, naming
the route's template, never the raw URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from hub.errors import ConfigurationError, HubError, fault_frames

T = TypeVar("T")

log = logging.getLogger("hub.web")
GRACE = 3.0
"""Seconds open requests get to finish when the service stops."""
_START = 30.0


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the hub's own loop decides when to stop (above)


class WebServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,  # the hub's logging, as configured by the CLI
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=int(GRACE),
            lifespan="on",
        )
        self.server = _Server(self.config)
        self.task: asyncio.Task[None]

    @property
    def url(self) -> str:
        """Where it listens, once started (the port the system chose, for port 0)."""
        for server in getattr(self.server, "servers", []):
            for sock in server.sockets:
                host, port = sock.getsockname()[:2]
                return f"http://{'[' + host + ']' if ':' in host else host}:{port}"
        raise RuntimeError("the web service is not listening yet")

    async def run(self) -> None:
        try:
            await self.server.serve()
        except SystemExit:  # uvicorn's answer to an address it cannot bind
            raise ConfigurationError(
                f"the web service cannot listen on {self.config.host}:{self.config.port}"
                " (in use, or not this machine's): set HUB_WEB_ADDR"
            ) from None

    async def start(self) -> str:
        """Start serving; return its URL once it listens, or raise why it cannot."""
        self.task = asyncio.create_task(self.run(), name="hub-web")
        async with asyncio.timeout(_START):
            while not self.server.started:
                if self.task.done():
                    self.task.result()  # raises what stopped it
                    raise ConfigurationError("the web service stopped as it started")
                await asyncio.sleep(0.02)
        return self.url

    async def wait(self) -> None:
        """Until it stops (``stop``, or a fault: raised)."""
        await asyncio.shield(self.task)

    async def until(self, stopping: asyncio.Event) -> None:
        """Serve until ``stopping`` is set (or the service fails: raised)."""
        asked = asyncio.create_task(stopping.wait())
        try:
            await asyncio.wait({asked, self.task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            asked.cancel()
        if self.task.done():
            self.task.result()

    def stop(self) -> None:
        self.server.should_exit = True

    async def close(self) -> None:
        """Stop, and wait for it: open requests get ``GRACE`` seconds."""
        self.stop()
        task = getattr(self, "task", None)
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), GRACE + 2)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except Exception as error:  # its cause was logged, or raised by start()
            log.debug("the web service stopped with %s", type(error).__name__)


class Beside:
    """The web service beside ``hub serve``'s ingest: built on a thread and started in the
    background, so the consumer (and its SIGTERM handling) starts at once; when it cannot
    start (its address taken), ingest goes on without it and the log says so. ``web.url``
    names it while it listens."""

    def __init__(self, build: Callable[[], FastAPI], host: str, port: int, url_file: Path) -> None:
        self.build = build
        self.host, self.port = host, port
        self.url_file = url_file
        self.server: WebServer | None = None
        self.task = asyncio.create_task(self._start(), name="hub-web-start")

    async def _start(self) -> None:
        try:
            app = await _on_daemon_thread(self.build)
            self.server = WebServer(app, self.host, self.port)
            url = await self.server.start()
        except (HubError, OSError) as error:
            log.error("the web service is not running: %s", error)
            return
        except Exception as error:  # a fault of ours must not stop ingest
            log.error("the web service could not start: %s", fault_frames(error))
            return
        self.url_file.write_text(url + "\n")
        log.info("web service on %s", url)

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.url_file.unlink(missing_ok=True)
        if self.server is not None:
            await self.server.close()


async def _on_daemon_thread(call: Callable[[], T]) -> T:
    """``call()`` on a thread of its own that the interpreter does not wait for at exit: the
    build opens the store, which may be locked or down for as long as the lock timeout, and a
    ``hub serve`` told to stop must not wait for it (the default executor's threads are
    joined when the event loop closes)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.done():  # the start was cancelled meanwhile
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result = call()
        except BaseException as error:  # handed to the awaiting task, raised there
            loop.call_soon_threadsafe(settle, None, error)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=run, name="hub-web-build", daemon=True).start()
    return await done


@contextmanager
def published_url(path: Path, url: str) -> Iterator[None]:
    """``web.url`` in the data folder while the service runs, for scripts on this machine."""
    path.write_text(url + "\n")
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def stop_requested() -> asyncio.Event:
    """``hub web`` alone: set on SIGTERM or SIGINT (handled from the start, so a stop asked
    while the service is still being built is an orderly one too)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    return stopping
