"""``hub keys``: the master key that wraps the store's data keys (``hub.adapters.keyring``).

``hub keys new --out F`` makes a master key file (32 random bytes, base64, mode 0400);
``hub keys rotate --new-key-file F`` wraps every live data key under F's key in one
transaction, while no ``hub serve`` runs (it takes the writer lease). The facts are not
touched: each is sealed under its data key, which is the same before and after.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.adapters.keyring import (
    new_master_key,
    read_master_key,
    replace_master_key,
    write_master_key,
)
from hub.errors import InputError

if TYPE_CHECKING:
    from hub.entrypoints.cli import Wiring


def _new(args: argparse.Namespace, wiring: Wiring) -> int:
    out: Path = args.out
    try:
        write_master_key(out, new_master_key())
    except FileExistsError:
        raise InputError(f"--out {out}: already exists; a key file is never overwritten") from None
    print(
        f"(a new master key in {out}, readable by its owner only: keep it off the data volume"
        " and out of backups of the store; use it with HUB_MASTER_KEY_FILE or hub keys rotate)",
        file=sys.stderr,
    )
    return 0


def _rotate(args: argparse.Namespace, wiring: Wiring) -> int:
    settings = wiring.settings
    new_file: Path = args.new_key_file
    new = read_master_key(new_file, "--new-key-file")
    current = settings.master_key_file or settings.default_master_key
    if new_file.resolve() == current.resolve():
        raise InputError("--new-key-file is the master key in use now: make a new one first")
    with wiring.lease():  # no hub serve may make keys under the old master meanwhile
        store = wiring.store()
        try:
            count = store.keyring.rotate(new)
        finally:
            store.close()
        if settings.master_key_file is None:
            replace_master_key(settings.default_master_key, new)
            where = f"it replaces {settings.default_master_key}"
        else:
            where = f"set HUB_MASTER_KEY_FILE={new_file} for every hub process now"
    print(f"{count} data keys wrapped under the new master key")
    print(
        f"({where}; then destroy the old key file: backups made before now need it)",
        file=sys.stderr,
    )
    return 0


def add_commands(commands: Any) -> None:
    """The subcommands, on the ``hub`` parser's subparsers."""
    keys = commands.add_parser("keys", help="the master key that wraps the store's data keys")
    actions = keys.add_subparsers(required=True, metavar="ACTION")
    new = actions.add_parser("new", help="make a master key file (mode 0400)")
    new.add_argument("--out", type=Path, required=True, metavar="FILE")
    new.set_defaults(run=_new)
    rotate = actions.add_parser(
        "rotate",
        help="wrap every data key under a new master key (facts untouched); not while hub"
        " serve runs",
    )
    rotate.add_argument("--new-key-file", type=Path, required=True, metavar="FILE")
    rotate.set_defaults(run=_rotate)
