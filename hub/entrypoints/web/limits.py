"""Sign-in attempts: after too many failures for a name, or from a client address, within a
window, further attempts are refused (429) until the oldest failure leaves the window.

Both keys count, so one address cannot try many names and many addresses cannot try one name
faster than the limit. Counted in memory: a restart forgets failures, which gives an attacker
one more window per restart of the service, not a way around the limit.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

_KEPT = 10_000


class SignInLimiter:
    def __init__(
        self,
        failures: int = 5,
        window: float = 15 * 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures = failures
        self.window = window
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, name: str, client: str) -> float | None:
        """Seconds until another attempt may be made, or None when one may be made now."""
        now = self._clock()
        with self._lock:
            waits = [
                self.window - (now - times[0])
                for key in _keys(name, client)
                if len(times := self._recent(key, now)) >= self.failures
            ]
        return max(waits) if waits else None

    def failed(self, name: str, client: str) -> None:
        now = self._clock()
        with self._lock:
            for key in _keys(name, client):
                self._recent(key, now).append(now)
            if len(self._seen) > _KEPT:  # names made up by the thousand: forget the stale
                for key in [k for k in self._seen if not self._recent(k, now)]:
                    del self._seen[key]

    def succeeded(self, name: str) -> None:
        """The name's own count starts again; the address's does not (it may be guessing)."""
        with self._lock:
            self._seen.pop(_keys(name, "")[0], None)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times


def _keys(name: str, client: str) -> tuple[str, str]:
    return f"name:{name.casefold()}", f"client:{client}"
