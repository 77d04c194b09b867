"""``hub erase``, ``hub subject-access`` and ``hub retention``: the data protection officer's
commands on the hub's host (docs/privacy.md).

Each is audited under the name ``cli:<login>`` in the role ``dpo``. A child is named by
``--child IDENTIFIER``, as an agency gave it, or ``--child -`` to read it from the standard
input (so it stays out of the shell's history and the process list). Nothing but subject
access's own answer ever prints the identifier or what it names.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from hub.adapters.private_file import write_private
from hub.entrypoints.people_cli import operator
from hub.errors import InputError

if TYPE_CHECKING:
    from hub.entrypoints.cli import Wiring
    from hub.service.privacy import RetentionReport

ROLE = "dpo"


def _identifier(given: str) -> str:
    if given == "-":
        given = sys.stdin.readline()
    if not given.strip():
        raise InputError("--child needs an identifier (or - to read it from the standard input)")
    return given


def _erase(args: argparse.Namespace, wiring: Wiring) -> int:
    erased = wiring.privacy().erase(operator(ROLE), _identifier(args.child), args.reason)
    identities = _plural(erased.identities, "hub identity", "hub identities")
    if erased.already:
        print(
            f"already erased: {identities}, {_plural(erased.facts, 'fact')}; no data key was"
            " left to destroy"
        )
    else:
        rejects = f" and {_plural(erased.rejects, 'rejected message')}" if erased.rejects else ""
        print(
            f"erased 1 child ({identities}): {_plural(erased.keys, 'data key')} destroyed,"
            f" {_plural(erased.facts, 'fact')}{rejects} no longer readable; every figure stays"
            " as it was"
        )
    if erased.legacy:
        print(
            f"warning: {_plural(erased.legacy, 'fact')} of the child's were stored in clear"
            " before encryption at rest and can still be read",
            file=sys.stderr,
        )
    return 0


def _subject_access(args: argparse.Namespace, wiring: Wiring) -> int:
    result = wiring.privacy().subject_access(operator(ROLE), _identifier(args.child))
    text = (
        orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n"
        if args.format == "json"
        else _readable(result)
    )
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_private(args.out, text.encode())  # the child's data: readable by its owner only
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _readable(result: dict[str, Any]) -> str:
    lines = [
        "Subject access: everything the hub holds about this child",
        f"produced {result['produced_at']}; {result['hub_identities']} hub identities linked",
        "",
        f"Facts ({len(result['facts'])})",
    ]
    for fact in result["facts"]:
        lines.append(
            f"- {fact['occurred_at']}  {fact['agency']}  {fact['event_type']}"
            f"  (recorded {fact['recorded_at']}, event {fact['event_id']})"
        )
        if fact.get("erased"):
            lines.append("    erased: the details can no longer be read")
        else:
            for line in _fields(fact["body"]):
                lines.append(f"    {line}")
    lines += ["", f"Rejected messages that named the child ({len(result['rejects'])})"]
    for reject in result["rejects"]:
        lines.append(
            f"- {reject['rejected_at']}  {reject['agency']}  {reject['subject']}:"
            f" {reject['reason']}" + ("  (erased)" if reject.get("erased") else "")
        )
    lines += ["", f"Erasures ({len(result['erasures'])})"]
    for entry in result["erasures"]:
        lines.append(f"- {entry['at']}  by {entry['user']}: {entry['reason']} ({entry['outcome']})")
    return "\n".join(lines) + "\n"


def _fields(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        out = []
        for key, inner in value.items():
            out += _fields(inner, f"{prefix}{key}.")
        return out
    if isinstance(value, list):
        return [f"{prefix.rstrip('.')}: {orjson.dumps(value).decode()}"]
    return [f"{prefix.rstrip('.')}: {value}"]


def _retention(args: argparse.Namespace, wiring: Wiring) -> int:
    report = wiring.privacy().retention(operator(ROLE), dry_run=args.dry_run)
    if args.format == "json":
        sys.stdout.write(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    sys.stdout.write(retention_text(report))
    return 0


def retention_text(report: RetentionReport) -> str:
    verb = "would shred" if report.dry_run else "shredded"
    lines = [
        f"{verb} {_children(report.children, report.identities)},"
        f" {_plural(report.facts, 'fact')}"
        + ("" if report.dry_run else f"; {_plural(report.keys, 'data key')} destroyed")
        + f" (as of {report.today.isoformat()})"
    ]
    for rule, count in sorted(report.due.items()):
        lines.append(
            f"  {rule:22} {_children(count.children, count.identities)},"
            f" {_plural(count.facts, 'fact')}"
        )
    if report.already.children:
        lines.append(
            f"already erased: {_children(report.already.children, report.already.identities)},"
            f" {_plural(report.already.facts, 'fact')}"
        )
    lines.append(f"not yet due: {_plural(report.kept, 'child', 'children')}")
    if report.dry_run:
        lines.append("(dry run: nothing was changed)")
    return "\n".join(lines) + "\n"


def _children(children: int, identities: int) -> str:
    return (
        f"{_plural(children, 'child', 'children')}"
        f" ({_plural(identities, 'hub identity', 'hub identities')})"
    )


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def add_commands(commands: Any) -> None:
    """The subcommands, on the ``hub`` parser's subparsers."""
    child_help = (
        "an identifier an agency gave the child: an NHS number (spaces allowed), la_child_id,"
        " police_person_id or UPN, as given or as kind:value; - reads it from stdin"
    )
    erase = commands.add_parser(
        "erase",
        help="crypto-shred a child: destroy its data keys across every linked identity",
        description="Destroys the data keys the child's identifying details are sealed under,"
        " for every hub identity linked with it, so they can never be read again. The facts"
        " stay, so every figure, the forum pack and the trends stay exactly as they were."
        " Audited with the reason (never the identifier). Erasing twice is harmless.",
    )
    erase.add_argument("--child", required=True, metavar="IDENTIFIER", help=child_help)
    erase.add_argument("--reason", required=True, metavar="R", help="why, for the audit")
    erase.set_defaults(run=_erase)

    access = commands.add_parser(
        "subject-access",
        help="everything the hub holds about a child (UK GDPR art. 15), for the DPO",
        description="Each fact held about the child across linked identities (agency, type,"
        " when it happened and was recorded, the body as the agency sent it, or erased), the"
        " rejected messages that named the child, and its erasures. Audited.",
    )
    access.add_argument("--child", required=True, metavar="IDENTIFIER", help=child_help)
    access.add_argument("--format", choices=("text", "json"), default="text")
    access.add_argument(
        "--out", type=Path, metavar="FILE", help="write it here, readable by you only"
    )
    access.set_defaults(run=_subject_access)

    retention = commands.add_parser(
        "retention",
        help="shred the children whose retention term has passed (HUB_RETENTION_*)",
        description="Looked-after children are kept to their 75th birthday"
        " (HUB_RETENTION_LOOKED_AFTER_AGE; with no date of birth, HUB_RETENTION_LOOKED_AFTER"
        "_NO_DOB_YEARS after the last record), every other child HUB_RETENTION_YEARS after the"
        " last record. Says how many children and facts it shredded, by rule. Audited.",
    )
    retention.add_argument(
        "--dry-run", action="store_true", help="say what is due, and change nothing"
    )
    retention.add_argument("--format", choices=("text", "json"), default="text")
    retention.set_defaults(run=_retention)


__all__ = ["add_commands", "retention_text"]
