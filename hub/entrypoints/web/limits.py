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

    def attempt(self, name: str, client: str) -> float | None:
        """Seconds until another attempt may be made; or None, and the attempt is counted now,
        as a failure until ``succeeded`` says otherwise. Counted before the password is
        checked, in one step with the check of the limit: a burst of attempts at once is
        limited like attempts one after another."""
        now = self._clock()
        with self._lock:
            waits = [
                self.window - (now - times[0])
                for key in _keys(name, client)
                if len(times := self._recent(key, now)) >= self.failures
            ]
            if waits:
                return max(waits)
            for key in _keys(name, client):
                self._recent(key, now).append(now)
            if len(self._seen) > _KEPT:  # names made up by the thousand: forget the stale
                for key in [k for k in self._seen if not self._recent(k, now)]:
                    del self._seen[key]
        return None

    def succeeded(self, name: str, client: str) -> None:
        """The name's count starts again; the address's loses this attempt only (it may be
        guessing other names)."""
        name_key, client_key = _keys(name, client)
        with self._lock:
            self._seen.pop(name_key, None)
            times = self._seen.get(client_key)
            if times:
                times.pop()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times


def _keys(name: str, client: str) -> tuple[str, str]:
    return f"name:{name.casefold()}", f"client:{client}"
