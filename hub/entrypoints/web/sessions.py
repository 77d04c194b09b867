"""Web sessions: a random id in a signed cookie, the session itself in this process's memory.

Kept server-side, not in the cookie, so that signing out, a disabled account and a changed
password end a session at once, and a copied cookie is worth nothing after it ends. The cost:
a restart of the web service signs everyone out, which for a few dozen staff is acceptable.
The cookie is signed with the service's secret as well, so a guessed or forged id is refused
before it is looked up.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer


@dataclass
class Session:
    sid: str
    name: str
    started: float
    seen: float
    csrf: str  # the token every form of this session carries in a hidden field
    how: str  # "password" or "oidc": how the person proved who they are


class Sessions:
    def __init__(
        self,
        secret: bytes,
        *,
        lifetime: float,
        idle: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signer = Signer(secret, salt="hub-session")
        self._lifetime = lifetime
        self._idle = idle
        self._clock = clock
        self._live: dict[str, Session] = {}
        self._lock = threading.Lock()

    def start(self, name: str, how: str) -> tuple[Session, str]:
        """A new session and the cookie value that names it."""
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), name, now, now, secrets.token_urlsafe(32), how)
        with self._lock:
            self._expire(now)
            self._live[session.sid] = session
        return session, self._signer.sign(session.sid).decode()

    def find(self, cookie: str | None) -> Session | None:
        """The live session the cookie names (and it is used now), or None."""
        if not cookie:
            return None
        try:
            sid = self._signer.unsign(cookie).decode()
        except BadSignature:
            return None
        now = self._clock()
        with self._lock:
            session = self._live.get(sid)
            if session is None:
                return None
            if self._ended(session, now):
                del self._live[sid]
                return None
            session.seen = now
            return session

    def end(self, sid: str) -> None:
        with self._lock:
            self._live.pop(sid, None)

    def end_all(self, name: str, *, but: str | None = None) -> None:
        """End every session of ``name`` (except ``but``): disabled, or a new password."""
        with self._lock:
            for sid in [s for s, session in self._live.items() if session.name == name]:
                if sid != but:
                    del self._live[sid]

    def _ended(self, session: Session, now: float) -> bool:
        return now - session.started > self._lifetime or now - session.seen > self._idle

    def _expire(self, now: float) -> None:
        for sid in [s for s, session in self._live.items() if self._ended(session, now)]:
            del self._live[sid]


def same_token(given: str | None, expected: str) -> bool:
    """A form's CSRF token against the session's, in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
