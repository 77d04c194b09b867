"""Child processes that must not outlive the hub, even when it is killed with SIGKILL."""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM, parent: int | None = None) -> None:
    """Ask Linux to send ``sig`` to this process when its parent dies (no-op elsewhere).

    ``parent`` is the pid the parent had: a parent killed before this call (a hub SIGKILLed
    while its writer was still importing) sends no signal, so the child would live on as an
    orphan; it sends itself ``sig`` instead. Unset, a multiprocessing child's parent is used.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if parent is None and (process := multiprocessing.parent_process()) is not None:
        parent = process.pid
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)
