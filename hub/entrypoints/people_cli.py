"""``hub users``, ``hub audit`` and ``hub published``: the operator's commands for the read
side's people, its audit and the register of published figures.

The CLI on the hub's host is the operator's. What it reads goes through the same service as
the web (``hub.service.reading``), under the name ``cli:<login>`` and the role the command
needs, so it is audited like any other read.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any

import orjson

import projections
from hub.domain.people import DESCRIPTIONS, User, role_names

if TYPE_CHECKING:
    from hub.entrypoints.cli import Wiring


def operator(role: str) -> User:
    """The person at the hub's terminal, in the role a command needs."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        login = "unknown"
    return User(f"cli:{login}", role)


def _add(args: argparse.Namespace, wiring: Wiring) -> int:
    password = wiring.accounts().add(args.name, args.role)
    wiring.reading().record(operator("admin"), "users.add", {"name": args.name, "role": args.role})
    print(password)
    print(
        f"(added {args.name} as {args.role}: the password above works once; they choose their"
        " own at first sign-in)",
        file=sys.stderr,
    )
    return 0


def _token(args: argparse.Namespace, wiring: Wiring) -> int:
    token = wiring.accounts().issue_token(args.name)
    wiring.reading().record(operator("admin"), "users.token", {"name": args.name})
    print(token)
    print(
        f"(an API token for {args.name}, sent as 'Authorization: Bearer <token>'; their"
        " earlier token no longer works; keep it out of logs)",
        file=sys.stderr,
    )
    return 0


def _disable(args: argparse.Namespace, wiring: Wiring) -> int:
    wiring.accounts().disable(args.name)
    wiring.reading().record(operator("admin"), "users.disable", {"name": args.name})
    print(f"disabled {args.name}: their sessions and token stop working", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace, wiring: Wiring) -> int:
    users = wiring.accounts().users()
    if args.format == "json":
        _json([{"name": u.name, "role": u.role, "disabled": u.disabled} for u in users])
        return 0
    for user in users:
        state = (
            "disabled"
            if user.disabled
            else "must set a password"
            if user.must_change_password
            else "active"
        )
        print(f"{user.name:32} {user.role:22} {state}")
    return 0


def _audit(args: argparse.Namespace, wiring: Wiring) -> int:
    since = projections.parse_as_of(args.since) if args.since else None
    result = wiring.reading().audit(operator("auditor"), since)
    chain = result["chain"]
    if args.format == "json":
        _json(result)
    else:
        for entry in result["entries"]:
            what = ", ".join(f"{k}={v}" for k, v in entry["what"].items())
            print(
                f"{entry['seq']:>6}  {entry['at']}  {entry['user']} ({entry['role']})"
                f"  {entry['action']}  {what}  {entry['outcome']}"
                + (f"  {entry['digest']}" if entry["digest"] else "")
            )
        seq, head = chain["head"]
        print(
            f"{len(result['entries'])} entries; chain "
            + ("intact" if chain["intact"] else "BROKEN")
            + f"; head {seq} {head}"
        )
        for problem in chain["problems"]:
            print(f"problem  {problem}")
    return 0 if chain["intact"] else 1


def _published_add(args: argparse.Namespace, wiring: Wiring) -> int:
    row = wiring.reading().publish(
        operator("foi_officer"), args.reference, args.statistic, args.period, args.as_of
    )
    print(f"published {row['reference']}: {row['statistic']} {row['period']}, as of {row['as_of']}")
    print(f"digest {row['digest']}")
    return 0


def _published_list(args: argparse.Namespace, wiring: Wiring) -> int:
    rows = wiring.reading().published(operator("foi_officer"))
    if args.format == "json":
        _json(rows)
        return 0
    for row in rows:
        print(
            f"{row['reference']:20} {row['statistic']:28} {row['period']:24} as of"
            f" {row['as_of']}  by {row['published_by']} at {row['published_at']}"
        )
    print(f"{len(rows)} published")
    return 0


def _published_reproduce(args: argparse.Namespace, wiring: Wiring) -> int:
    result = wiring.reading().reproduce(operator("foi_officer"), args.reference)
    if args.format == "json":
        _json(result)
    else:
        publication = result["publication"]
        print(
            f"{result['reference']}: {publication['statistic']} {publication['period']},"
            f" published {publication['published_at']} as of {publication['as_of']}"
        )
        if result["matches"]:
            print(f"reproduced exactly: digest {result['digest_reproduced']}")
        else:
            print(
                f"does NOT reproduce: published {result['digest_published']},"
                f" recomputed {result['digest_reproduced']}"
            )
        if not result["changes"]:
            print("the records as they stand now give the same figures")
        for change in result["changes"]:
            by = "" if change["difference"] is None else f" ({change['difference']:+})"
            print(f"  now {change['label']}: {change['published']} -> {change['now']}{by}")
    return 0 if result["matches"] else 1


def _json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def add_commands(commands: Any) -> None:
    """The subcommands, on the ``hub`` parser's subparsers."""
    users = commands.add_parser(
        "users",
        help="the people who may use the web service, and their roles",
        description="Roles: " + "; ".join(f"{role}: {text}" for role, text in DESCRIPTIONS.items()),
    )
    actions = users.add_subparsers(required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a user; prints a one-time password")
    add.add_argument("name", metavar="NAME", help="a login or e-mail address")
    add.add_argument("--role", required=True, choices=role_names(), metavar="ROLE")
    add.set_defaults(run=_add)
    token = actions.add_parser("token", help="issue an API token (the last one stops working)")
    token.add_argument("name", metavar="NAME")
    token.set_defaults(run=_token)
    disable = actions.add_parser("disable", help="stop a user signing in or using a token")
    disable.add_argument("name", metavar="NAME")
    disable.set_defaults(run=_disable)
    listing = actions.add_parser("list", help="the users, their roles and state")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(run=_list)

    audit = commands.add_parser(
        "audit",
        help="the audit of every read, and whether its hash chain is intact (exit 1 if not)",
    )
    audit.add_argument("--since", metavar="T", help="a date (London), DD/MM/YYYY, or a time")
    audit.add_argument("--format", choices=("text", "json"), default="text")
    audit.set_defaults(run=_audit)

    published = commands.add_parser("published", help="the register of published FOI figures")
    verbs = published.add_subparsers(required=True, metavar="ACTION")
    publish = verbs.add_parser(
        "add", help="answer (disclosure-controlled) and freeze it against a request reference"
    )
    publish.add_argument("reference", metavar="REFERENCE", help="e.g. FOI-2018-0412")
    publish.add_argument("statistic", metavar="STATISTIC")
    publish.add_argument("--period", required=True, metavar="P")
    publish.add_argument("--as-of", metavar="T")
    publish.set_defaults(run=_published_add)
    shown = verbs.add_parser("list", help="what has been published")
    shown.add_argument("--format", choices=("text", "json"), default="text")
    shown.set_defaults(run=_published_list)
    reproduce = verbs.add_parser(
        "reproduce",
        help="recompute a published answer as of its time (exit 1 if it no longer matches),"
        " and show what later records changed",
    )
    reproduce.add_argument("reference", metavar="REFERENCE")
    reproduce.add_argument("--format", choices=("text", "json"), default="text")
    reproduce.set_defaults(run=_published_reproduce)


__all__ = ["add_commands", "operator"]
