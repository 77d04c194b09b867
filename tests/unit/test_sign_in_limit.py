"""The sign-in limit counts an attempt when it is let through, so a burst of attempts at once
is limited as attempts one after another are."""

from __future__ import annotations

from hub.entrypoints.web.limits import SignInLimiter


def test_a_burst_of_attempts_is_let_through_only_up_to_the_limit() -> None:
    now = [0.0]
    limiter = SignInLimiter(failures=5, window=900, clock=lambda: now[0])
    # Ten attempts arrive before any password check has finished.
    let_through = [limiter.attempt("fiona", "10.0.0.1") is None for _ in range(10)]
    assert let_through == [True] * 5 + [False] * 5
    now[0] = 901.0  # the window has passed
    assert limiter.attempt("fiona", "10.0.0.1") is None


def test_a_success_gives_back_its_attempt() -> None:
    limiter = SignInLimiter(failures=2, window=900, clock=lambda: 0.0)
    for _ in range(5):  # a person signing in again and again from one office address
        assert limiter.attempt("fiona", "10.0.0.1") is None
        limiter.succeeded("fiona", "10.0.0.1")
    assert limiter.attempt("guess", "10.0.0.1") is None  # failures still count
    assert limiter.attempt("guess2", "10.0.0.1") is None
    assert limiter.attempt("fiona", "10.0.0.1") is not None  # the address has failed twice
