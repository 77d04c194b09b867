"""The hub's files are its owner's alone.

``hub.bootstrap.main`` sets the umask to 077 first, so everything the hub, its writer and
projector processes and the embedded nats-server make is private from the start (SQLite's
``-wal`` and ``-shm`` files take their database's mode). ``tighten`` brings a data folder made
before that (files 0644, folders 0755) into line: the folder 0700, and no group or other
permission on anything in it.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("hub")
_OPEN = stat.S_IRWXG | stat.S_IRWXO


def tighten(data_dir: Path, *files: Path) -> int:
    """Take every group and other permission off ``data_dir``, everything in it, and ``files``
    (a projection or ledger kept elsewhere, with its ``-wal``/``-shm``); return how many paths
    changed. Paths that are not this user's, and symbolic links, are left as they are."""
    paths: list[Path] = []
    if data_dir.is_dir():
        paths.append(data_dir)
        for folder, folders, names in os.walk(data_dir):
            base = Path(folder)
            paths += [base / name for name in (*folders, *names)]
    for file in files:
        paths += [file.with_name(file.name + suffix) for suffix in ("", "-wal", "-shm")]
    changed = 0
    uid = os.getuid()
    for path in paths:
        try:
            held = path.lstat()
            if stat.S_ISLNK(held.st_mode) or held.st_uid != uid or not held.st_mode & _OPEN:
                continue
            path.chmod(stat.S_IMODE(held.st_mode) & ~_OPEN)
            changed += 1
        except FileNotFoundError:  # gone meanwhile (a -wal file checkpointed away)
            continue
    if changed:
        log.info("made %d paths under %s readable by their owner only", changed, data_dir)
    return changed
