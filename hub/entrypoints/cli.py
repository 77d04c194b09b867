"""The ``hub`` command. Each subcommand parses its arguments, makes one call, and prints.

The commands are given their wiring (``hub.bootstrap.Wiring``) rather than importing it, and
every error is turned into a message and an exit status here, in ``main``, and nowhere else:

    0    done
    1    done, some refused (hub status --check: ingest is not flowing)
    2    a usage, input or configuration error (every other HubError, a file not found)
    3    not allowed for this role (NotAllowed)
    4    the store is unavailable, or in use by another hub serve
    130  interrupted (Ctrl-C)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import re
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson

import contracts
import projections
from hub.adapters.bus_identities import Identities
from hub.adapters.private_file import write_private
from hub.adapters.report_file import ReportFile, running
from hub.config import Settings
from hub.domain.people import User
from hub.entrypoints import keys_cli, privacy_cli
from hub.entrypoints.people_cli import operator
from hub.errors import (
    ConfigurationError,
    HubError,
    InputError,
    NotFound,
    StoreInUse,
    StoreUnavailable,
)
from hub.feed import FactFeed
from hub.service import health, queries
from hub.service.notified import sent_to
from hub.service.ports import Store, Streams

if TYPE_CHECKING:
    from hub.service.accounts import Accounts
    from hub.service.privacy import Privacy
    from hub.service.reading import Reading

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from agencies import Bus


class Wiring(Protocol):
    """What the commands need built, for one set of settings (see ``hub.bootstrap``)."""

    settings: Settings

    def store(self) -> Store: ...

    def lease(self) -> AbstractContextManager[object]: ...

    def feed(self) -> FactFeed: ...

    def projection(self) -> projections.ProjectionStore: ...

    def nats_url(self) -> str: ...

    def bus(self, agency: str, creds: Path | None) -> Bus: ...

    def identities(self) -> Identities: ...

    def accounts(self) -> Accounts: ...

    def reading(self) -> Reading: ...

    def privacy(self) -> Privacy: ...

    def notifications(self) -> Streams[Any]: ...

    async def serve(self) -> None: ...

    async def web(self) -> None: ...

    def with_settings(self, settings: Settings) -> Wiring: ...


_EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (projections.NotAllowed, 3),
    (StoreUnavailable, 4),
    (StoreInUse, 4),
    (NotFound, 2),
    (HubError, 2),
)


def main(argv: Sequence[str] | None, wire: Callable[[Settings], Wiring]) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValueError as error:  # pydantic's ValidationError: a HUB_* variable is malformed
        print(f"hub: a HUB_* setting is not valid: {_first_line(error)}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args, wire(settings)) or 0)
    except HubError as error:
        print(f"hub: {error}", file=sys.stderr)
        return next(code for kind, code in _EXIT_CODES if isinstance(error, kind))
    except BrokenPipeError:
        # The reader went away (`hub foi ... | head`): not an error of ours. Point stdout at
        # nothing so the interpreter's final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:  # a file or folder named on the command line
        where = f" {error.filename}" if error.filename else ""
        print(f"hub: cannot use{where}: {error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _first_line(error: Exception) -> str:
    lines = str(error).splitlines()
    return " ".join(lines[1:3]) if len(lines) > 2 else str(error)


def _serve(args: argparse.Namespace, wiring: Wiring) -> int:
    asyncio.run(wiring.serve())
    return 0


def _web(args: argparse.Namespace, wiring: Wiring) -> int:
    asyncio.run(wiring.web())
    return 0


def _publish(args: argparse.Namespace, wiring: Wiring) -> int:
    from agencies import publish_lines

    bus = wiring.bus(args.agency, args.creds)
    with _open(args.file) as lines:
        report = asyncio.run(publish_lines(bus, args.agency, lines))
    for refusal in report.refused[:_SHOWN_REFUSALS]:
        print(f"refused {refusal}", file=sys.stderr)
    if len(report.refused) > _SHOWN_REFUSALS:
        print(f"... and {len(report.refused) - _SHOWN_REFUSALS} more refused", file=sys.stderr)
    print(
        f"published {report.published}, duplicate {report.duplicates}"
        + (f", refused {len(report.refused)}" if report.refused else "")
    )
    return 1 if report.refused else 0


def _open(path: Path) -> Any:
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a JSONL file")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    return path.open("rb")


_SHOWN_REFUSALS = 50
_CREDS_HELP = (
    "the agency's nkey seed file (hub agencies credentials AGENCY); default: HUB_NATS_CREDS,"
    " or on the hub's own host the agency's key in HUB_DATA_DIR/credentials"
)


def _credentials(args: argparse.Namespace, wiring: Wiring) -> int:
    identities = wiring.identities()
    identity = None if args.new else identities.get(args.agency)
    if identity is None:
        if not args.new and identities.revoked(args.agency):
            raise ConfigurationError(
                f"{args.agency}'s credentials were revoked: give --new to issue new ones"
            )
        identity = identities.issue(args.agency)
        _reload(wiring, identities, f"issued new credentials for {args.agency}")
    seed = identity.seed_file.read_bytes()
    if args.out is None:
        sys.stdout.write(seed.decode())
        print(f"(the seed above is {args.agency}'s secret: keep it out of logs)", file=sys.stderr)
        return 0
    out = _writable(args.out)
    write_private(out, seed)  # an existing file's looser mode is not kept
    public = identity.public_key
    print(f"wrote {out} ({args.agency}, {public})", file=sys.stderr)
    return 0


def _revoke(args: argparse.Namespace, wiring: Wiring) -> int:
    identities = wiring.identities()
    public = identities.revoke(args.agency)
    _reload(wiring, identities, f"revoked {args.agency} ({public})")
    return 0


def _list_identities(args: argparse.Namespace, wiring: Wiring) -> int:
    current = wiring.identities().current()
    for role in ("hub", *contracts.AGENCIES):
        print(f"{role:16} {current.get(role, 'revoked')}")
    return 0


def _reload(wiring: Wiring, identities: Identities, done: str) -> None:
    from hub.adapters.embedded_nats import reload_accounts

    settings = wiring.settings
    if settings.nats_url:
        print(
            f"{done}; HUB_NATS_URL is an operator's server: run `hub nats-config` and reload"
            " it to apply",
            file=sys.stderr,
        )
    elif (settings.nats_dir / "nats.conf").exists() and reload_accounts(
        settings.nats_dir, identities, settings.stream
    ):
        print(f"{done}; the running nats-server applied it", file=sys.stderr)
    else:
        print(f"{done}; the next `hub serve` applies it", file=sys.stderr)


def _nats_config(args: argparse.Namespace, wiring: Wiring) -> int:
    from hub.adapters import nats_config

    tls = None
    given = (args.tls_cert, args.tls_key, args.tls_ca)
    if any(given):
        if not all(given):
            raise ConfigurationError("TLS needs all of --tls-cert, --tls-key and --tls-ca")
        tls = nats_config.Tls(args.tls_cert, args.tls_key, args.tls_ca)
    identities = wiring.identities()
    identities.ensure()
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder")
    out.mkdir(parents=True, exist_ok=True)
    (out / "nats.conf").write_text(
        nats_config.server_conf(
            args.store_dir, host=args.host, port=args.port, tls=tls, encrypted=True
        )
    )
    (out / "accounts.conf").write_text(
        nats_config.accounts_conf(identities.current(), wiring.settings.stream)
    )
    print(
        f"wrote {out / 'nats.conf'} and {out / 'accounts.conf'}; run `nats-server -c"
        f" {out / 'nats.conf'}`, then `hub serve` with HUB_NATS_URL and"
        f" HUB_NATS_CREDS={identities.seed_file('hub')}",
        file=sys.stderr,
    )
    print(
        f"its JetStream files are encrypted: set {nats_config.KEY_VARIABLE} in nats-server's"
        " environment to a key kept outside its store_dir (a letter then at least 31 letters or"
        " digits: `echo k$(openssl rand -hex 32)`); the server does not start without it",
        file=sys.stderr,
    )
    return 0


def _import(args: argparse.Namespace, wiring: Wiring) -> int:
    from agencies import import_file
    from agencies._docs import render

    if args.formats:
        sys.stdout.write(render())
        return 0
    if not (args.agency and args.kind and args.file):
        raise ConfigurationError(
            "give AGENCY KIND FILE, e.g. `hub import police missing-incidents incidents.csv`;"
            " `hub import --formats` lists the kinds and their columns"
        )
    if not args.file.exists():
        raise InputError(f"{args.file}: no such file or folder")
    settings = wiring.settings
    bus = wiring.bus(args.agency, args.creds)
    report = asyncio.run(
        import_file(
            bus,
            settings.ledger_file,
            args.agency,
            args.kind,
            args.file,
            snapshot=args.snapshot,
            la_code=settings.la_code,
            year=_return_year(args.year),
        )
    )
    for refusal in report.refusals[:_SHOWN_REFUSALS]:
        print(f"refused {refusal}", file=sys.stderr)
    if len(report.refusals) > _SHOWN_REFUSALS:
        print(f"... and {len(report.refusals) - _SHOWN_REFUSALS} more refused", file=sys.stderr)
    for notice in report.notices[:_SHOWN_REFUSALS]:
        print(f"warning {notice}", file=sys.stderr)
    if len(report.notices) > _SHOWN_REFUSALS:
        print(f"... and {len(report.notices) - _SHOWN_REFUSALS} more warnings", file=sys.stderr)
    print(report.summary())
    return 1 if report.refusals else 0


def _return_year(text: str | None) -> int | None:
    """``--year 2017/18``: the collection year of an SSDA903 return, by its end (2018)."""
    if text is None:
        return None
    period = projections.parse_period(text)
    if period.label != text or "/" not in text:
        raise ConfigurationError("--year takes a financial year such as 2017/18")
    return period.end.year


def _status(args: argparse.Namespace, wiring: Wiring) -> int:
    """What the store holds and, from the running ``hub serve``'s report, whether ingest is
    flowing. ``--check``: exit 1 when it is not (for a supervisor), naming why."""
    status: dict[str, Any] = {}
    unreadable: StoreUnavailable | None = None
    try:
        status.update(queries.status(wiring.store()))
        if wiring.settings.projection_file.exists():
            status["projected"] = wiring.projection().head()[0]
    except StoreUnavailable as error:  # the health part is still worth showing
        unreadable = error
        status["store"] = str(error)
    report = ReportFile(wiring.settings.report_file).read()
    found = health.problems(report, report is not None and running(report.pid), time.time())
    if unreadable is not None:
        found.append(f"the store cannot be read now ({unreadable})")
    status["serving"] = report.to_json() if report else None
    status["problems"] = found
    if args.format == "json":
        _print(status, "json")
    else:
        _print({k: v for k, v in status.items() if k not in ("serving", "problems")}, "text")
        for line in _serving_lines(report) if report else ():
            print(line)
        for problem in found:
            print(f"problem      {problem}")
    if args.check:
        if not found:
            print("ok: ingest is flowing", file=sys.stderr)
        return 1 if found else 0
    return 4 if unreadable is not None else 0


def _serving_lines(report: health.Report) -> list[str]:
    now = time.time()
    nats = "connected" if report.nats_connected else "lost, reconnecting"
    ingest = report.ingest
    last = "never" if ingest.last_stored_at is None else f"{now - ingest.last_stored_at:.0f}s ago"
    return [
        f"hub serve    pid {report.pid}, up {now - report.started_at:.0f}s,"
        f" reported {now - report.updated_at:.0f}s ago",
        f"nats         {nats} ({report.nats_outages} outages since start)",
        f"pending      {report.consumer_pending} waiting, {report.consumer_ack_pending} in hand",
        f"last stored  {last} ({ingest.batches} batches since start)",
        f"restarts     writer {report.writer_restarts}, projector {report.projector_restarts},"
        f" streams re-created {report.streams_recreated}",
        *_notified_line(report, now),
    ]


def _notified_line(report: health.Report, now: float) -> list[str]:
    counts = report.notifications
    if counts is None:
        return ["notified     off (HUB_NOTIFY)"]
    last = counts.get("last_published_at")
    fault = counts.get("fault")
    return [
        f"notified     {counts.get('sent', 0)} sent, {counts.get('withheld', 0)} withheld,"
        f" {counts.get('pending', 0)} waiting to be sent since start"
        + (f"; last sent {now - last:.0f}s ago" if last else "")
        + (f"; failing ({fault})" if fault else "")
    ]


def _notifications(args: argparse.Namespace, wiring: Wiring) -> int:
    """What the hub told an agency: never the child's identifiers (the operator's view)."""
    since = _since(args.since) if args.since else None
    rows = sent_to(wiring.notifications(), args.agency, since)
    if args.format == "json":
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    print(f"# Notifications to {args.agency}" + (f" since {since.isoformat()}" if since else ""))
    print()
    if rows:
        print("| raised at | kind | state | cause | detail | notification |")
        print("|---|---|---|---|---|---|")
    for row in rows:
        state = row["state"]
        if row["state"] == "sent":
            state = f"sent {row['published_at']}"
        elif row["state"] == "withheld":
            state = f"withheld: {row['withheld']}"
        if row["withdrawn_by"]:
            state += f"; withdrawn ({row['withdrawn_by']})"
        if row["withdraws"]:
            state += f"; withdraws {row['withdraws']}"
        cause = row["cause"]
        detail = ", ".join(f"{k}={v}" for k, v in row["detail"].items())
        print(
            f"| {row['raised_at']} | {row['kind']} | {state} | {cause['event_type']}"
            f" ({cause['agency']}, {cause['occurred_at']}, {cause['event_id']}) | {detail}"
            f" | {row['notification_id']} |"
        )
    counts = ", ".join(f"{n} {state}" for state, n in sorted(_states(rows).items()))
    if rows:
        print()
    print(f"{len(rows)} notifications" + (f" ({counts})" if counts else ""))
    return 0


def _states(rows: list[dict[str, Any]]) -> dict[str, int]:
    states: dict[str, int] = {}
    for row in rows:
        states[row["state"]] = states.get(row["state"], 0) + 1
    return states


def _since(text: str) -> dt.datetime:
    """``--since``: a date is from the start of that day (London), a time from that time."""
    moment = projections.parse_as_of(text)
    if re.fullmatch(r"\s*(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})\s*", text):
        moment -= dt.timedelta(days=1)  # the end of the day given: its start
    return moment


def _rejects(args: argparse.Namespace, wiring: Wiring) -> int:
    rows = queries.rejects(wiring.store(), args.agency)
    if args.format == "json":
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        for row in rows:
            print(f"{row['rejected_at']}  {row['subject']}  #{row['stream_seq']}  {row['reason']}")
        print(f"{len(rows)} rejected")
    return 0


def _foi(args: argparse.Namespace, wiring: Wiring) -> int:
    settings = wiring.settings
    if args.list:
        for stat in projections.STATISTICS.values():
            print(f"{stat.name}  ({stat.tag}): {stat.title}")
            for name in stat.figures:
                print(f"  {name}: {stat.label(name)}")
            print(textwrap.fill(stat.definition, 96, initial_indent="  ", subsequent_indent="  "))
        return 0
    if not args.statistic or not args.period:
        raise projections.BadArgument(
            "give a statistic and --period, e.g. `hub foi missing-occasions --period 2017/18`;"
            " `hub foi --list` shows the statistics"
        )
    suppress = not args.no_suppression
    projections.check_role(settings.role, suppress=suppress)
    result = wiring.reading().foi(
        _operator(settings),
        args.statistic,
        args.period,
        as_of=args.as_of,
        suppress=suppress,
        by=args.by,
    )
    sys.stdout.write(projections.render(result, args.format))
    held = result["records_held"]
    if not held["held"]:  # never zeros a script could take for an answer
        print(f"hub: {held['reason']}", file=sys.stderr)
        return 1
    return 0


def _forum(args: argparse.Namespace, wiring: Wiring) -> int:
    month = projections.parse_period(args.month)
    if month.label != args.month or not re.fullmatch(r"\d{4}-\d{2}", args.month):
        raise projections.BadArgument("--month takes a month: YYYY-MM, e.g. 2018-03")
    _check_partnership(args, wiring, "forum")
    reading, user = wiring.reading(), _operator(wiring.settings)
    repeat = {"threshold": args.threshold, "window_days": args.window_days}
    if args.format == "html":  # the printable pack, with its chart of the twelve months
        _emit(reading.forum_page(user, args.month, **repeat), args.out)
        return 0
    pack = reading.forum(user, args.month, **repeat)
    _emit(projections.render_forum(pack, args.format), args.out)
    return 0


def _reconcile(args: argparse.Namespace, wiring: Wiring) -> int:
    projections.check_partnership(wiring.settings.role, "reconcile")
    data = wiring.reading().reconcile(_operator(wiring.settings), args.period, args.as_of)
    _emit(projections.render_unmatched(data, args.format), args.out)
    return 0


def _trends(args: argparse.Namespace, wiring: Wiring) -> int:
    _check_partnership(args, wiring, "trends")
    data = wiring.reading().trends(
        _operator(wiring.settings),
        args.first,
        args.last,
        threshold=args.threshold,
        window_days=args.window_days,
    )
    if args.chart is not None:
        projections.save_trend_chart(data, args.chart)
        print(f"wrote {args.chart}", file=sys.stderr)
    _emit(projections.render_trends(data, args.format), args.out)
    return 0


def _check_partnership(args: argparse.Namespace, wiring: Wiring, command: str) -> None:
    projections.check_partnership(wiring.settings.role, command)
    if args.threshold < 1 or args.window_days < 1:
        raise projections.BadArgument("--threshold and --window-days must be at least 1")


def _operator(settings: Settings) -> User:
    """The operator at the hub's terminal, read as the role HUB_ROLE stands for: the public
    (an FOI officer's disclosure-controlled figures) or the partnership (an analyst's)."""
    return operator("analyst" if settings.role == "internal" else "foi_officer")


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        _writable(out).write_text(text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)


def _demo(args: argparse.Namespace, wiring: Wiring) -> int:
    from hub.entrypoints import demo

    if "HUB_DATA_DIR" not in os.environ:
        wiring = wiring.with_settings(
            wiring.settings.model_copy(update={"data_dir": Path(".hub-demo")})
        )
    return demo.run(wiring, scale=args.scale, seed=args.seed)


def _project(args: argparse.Namespace, wiring: Wiring) -> int:
    store = wiring.projection()
    applied = projections.catch_up(wiring.feed(), store)
    print(f"projection at position {store.head()[0]} ({applied} facts applied)")
    return 0


def _schema(args: argparse.Namespace, wiring: Wiring) -> int:
    _write(orjson.dumps(contracts.json_schema(), option=orjson.OPT_INDENT_2), args.out)
    return 0


def _asyncapi(args: argparse.Namespace, wiring: Wiring) -> int:
    from faststream.nats import NatsBroker

    from hub.entrypoints.consumer import specification

    document = specification(NatsBroker()).to_specification().to_json()
    _write(orjson.dumps(orjson.loads(document), option=orjson.OPT_INDENT_2), args.out)
    return 0


def _print(data: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        print(orjson.dumps(data).decode())
    else:
        for key, value in data.items():
            print(f"{key:12} {value}")


def _write(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(data.decode() + "\n")
    else:
        _writable(out).write_bytes(data + b"\n")
        print(f"wrote {out}", file=sys.stderr)


def _writable(out: Path) -> Path:
    if out.is_dir():
        raise InputError(f"--out {out} is a folder; give a file name")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: the folder {out.parent} does not exist")
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hub", description="Multi-agency safeguarding information-sharing hub."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="consume agency events into the store")
    serve.set_defaults(run=_serve)

    publish = commands.add_parser("publish", help="publish a JSONL file of events as an agency")
    publish.add_argument("--agency", required=True, choices=contracts.AGENCIES)
    publish.add_argument("file", type=Path, metavar="FILE.jsonl")
    publish.add_argument("--creds", type=Path, metavar="FILE", help=_CREDS_HELP)
    publish.set_defaults(run=_publish)

    imports = commands.add_parser(
        "import",
        help="publish what is new in an agency's export file",
        description="Read an agency's export (CSV, or for the SSDA903 a folder of its tables)"
        " and publish what changed since the last import of that kind: new records, corrections"
        " and, with --snapshot, retractions of records no longer in it. Exit status 1 when some"
        " rows were refused (the rest is imported).",
    )
    imports.add_argument("agency", nargs="?", choices=contracts.AGENCIES, metavar="AGENCY")
    imports.add_argument("kind", nargs="?", metavar="KIND", help="e.g. missing-incidents, ssda903")
    imports.add_argument("file", nargs="?", type=Path, metavar="FILE")
    imports.add_argument(
        "--snapshot",
        action="store_true",
        help="FILE is the agency's whole current record: retract records not in it",
    )
    imports.add_argument(
        "--year",
        metavar="YYYY/YY",
        help="an SSDA903 return's collection year, e.g. 2017/18 (default: read from its dates)",
    )
    imports.add_argument("--formats", action="store_true", help="the formats, as markdown")
    imports.add_argument("--creds", type=Path, metavar="FILE", help=_CREDS_HELP)
    imports.set_defaults(run=_import)

    for name, run, text in (
        ("status", _status, "how much the store holds, and whether ingest is flowing"),
        ("rejects", _rejects, "messages refused, and why"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--format", choices=("text", "json"), default="text")
        sub.set_defaults(run=run)
        if name == "rejects":
            sub.add_argument("--agency", choices=contracts.AGENCIES)
        else:
            sub.add_argument(
                "--check",
                action="store_true",
                help="exit 1 when ingest is not flowing (hub serve down, NATS lost, store"
                " refusing, events waiting and none stored, projector down)",
            )

    notifications = commands.add_parser(
        "notifications",
        help="what the hub told an agency (never a child's identifiers)",
        description="The notifications raised for an agency (docs/notifications.md), oldest"
        " first: kind, cause, detail, when raised and sent, or withheld and why, and any"
        " withdrawal. The child appears only as its hub child id; its identifiers are sent to"
        " the agency and shown nowhere here.",
    )
    notifications.add_argument(
        "--agency", required=True, metavar="AGENCY", help=", ".join(contracts.AGENCIES)
    )
    notifications.add_argument(
        "--since",
        metavar="T",
        help="a date, 2026-12-01 or 01/12/2026 (from the start of that day, London time), or a"
        " time, 2026-12-01T09:00:00+00:00",
    )
    notifications.add_argument("--format", choices=("json", "md"), default="md")
    notifications.set_defaults(run=_notifications)

    foi = commands.add_parser(
        "foi",
        help="a Freedom of Information statistic for a period",
        description="A statistic for a period, as the records stand now or stood --as-of a"
        " time. Periods: 2017/18 (financial year), 2017, 2018-03, 2010-04-06..2011-04-05;"
        " several at once with --by: 2014/15..2017/18 --by year. Exit status 1 when no"
        " records are held for it (the reason on stderr), never zeros.",
    )
    foi.add_argument("statistic", nargs="?", metavar="STATISTIC")
    foi.add_argument("--period", metavar="P")
    foi.add_argument(
        "--by",
        choices=projections.BY,
        help="one answer per year (financial years when the range starts on 1 April) or month",
    )
    foi.add_argument(
        "--as-of",
        metavar="T",
        help="a date, 2019-05-01 or 01/05/2019 (the end of that day, London time), or a time,"
        " 2019-05-01T09:00:00+01:00 (without an offset, London time)",
    )
    foi.add_argument("--format", choices=("json", "csv", "md"), default="md")
    foi.add_argument(
        "--no-suppression", action="store_true", help="raw small counts (HUB_ROLE=internal)"
    )
    foi.add_argument("--list", action="store_true", help="the statistics and their definitions")
    foi.set_defaults(run=_foi)

    forum = commands.add_parser(
        "forum",
        help="the monthly missing-children forum pack",
        description="The repeat-missing list (children with THRESHOLD or more episodes in the"
        " WINDOW days ending at the month's end, new or continuing against last month), where"
        " children went missing from and were found, and the risk mix, as the records stand now."
        " Children appear under keyed pseudonyms, never names or identifiers.",
    )
    forum.add_argument("--month", required=True, metavar="YYYY-MM")
    forum.add_argument("--threshold", type=int, default=3, metavar="N")
    forum.add_argument("--window-days", type=int, default=90, metavar="D")
    forum.add_argument("--format", choices=("json", "md", "html"), default="md")
    forum.add_argument("--out", type=Path, metavar="FILE")
    forum.set_defaults(run=_forum)

    reconcile = commands.add_parser(
        "reconcile",
        help="the council's missing records and police episodes that do not match",
        description="For the data teams: each council missing record (care.missing_recorded)"
        " starting in the period with no police episode, and each police episode of a"
        " looked-after child with no council record, under the forum's pseudonymous keys"
        " (HUB_ROLE=internal). Matching rule: docs/statistics.md, missing-reconciliation.",
    )
    reconcile.add_argument("--period", required=True, metavar="P")
    reconcile.add_argument("--as-of", metavar="T", help="2019-05-01T09:00:00+01:00, or a date")
    reconcile.add_argument("--format", choices=("json", "csv", "md"), default="md")
    reconcile.add_argument("--out", type=Path, metavar="FILE")
    reconcile.set_defaults(run=_reconcile)

    trends = commands.add_parser(
        "trends",
        help="monthly trends with year-on-year change, as a table and a chart",
        description="For each month from --from to --to: episodes, children, looked-after"
        " episodes, children on the repeat list, return interviews within 72 hours (%%), CSE"
        " concerns and cases, children's-home alerts; each beside the same month a year"
        " before. Definitions: docs/statistics.md, 'Trends'.",
    )
    trends.add_argument("--from", dest="first", required=True, metavar="YYYY-MM")
    trends.add_argument("--to", dest="last", required=True, metavar="YYYY-MM")
    trends.add_argument("--threshold", type=int, default=3, metavar="N", help="repeat list")
    trends.add_argument("--window-days", type=int, default=90, metavar="D", help="repeat list")
    trends.add_argument("--format", choices=("json", "md", "html"), default="md")
    trends.add_argument("--chart", type=Path, metavar="FILE", help="also draw it: .png or .svg")
    trends.add_argument("--out", type=Path, metavar="FILE")
    trends.set_defaults(run=_trends)

    demo = commands.add_parser(
        "demo",
        help="the whole product on a synthetic city (in ./.hub-demo, or HUB_DATA_DIR)",
        description="Generates a synthetic city's agency exports for 2010-2021, runs the hub"
        " (its own nats-server, SQLite), imports every export through the adapters, then"
        " prints what was stored and rejected, the forum headline, and the seeds' published"
        " figures beside the hub's; writes the HTML forum pack.",
    )
    demo.add_argument("--scale", type=float, default=1.0, help="multiply every volume")
    demo.add_argument("--seed", type=int, default=2010)
    demo.set_defaults(run=_demo)

    agencies = commands.add_parser(
        "agencies",
        help="the agencies' credentials on the bus",
        description="Each agency connects to the hub's NATS with its own key (an nkey seed"
        " file) and may publish only on its own subjects. These commands act on the embedded"
        " server's identities in HUB_DATA_DIR/credentials and reload a running server.",
    )
    actions = agencies.add_subparsers(required=True, metavar="ACTION")
    credentials = actions.add_parser(
        "credentials",
        help="write an agency's credentials (issued at first use; --new re-issues)",
        description="Writes the agency's seed file, for nats-py (nkeys_seed=FILE) or"
        " `hub import --creds FILE`. Give it to that agency only: it is the agency's identity.",
    )
    credentials.add_argument("agency", choices=contracts.AGENCIES, metavar="AGENCY")
    credentials.add_argument(
        "--out", type=Path, metavar="FILE", help="written readable by you only; default: stdout"
    )
    credentials.add_argument(
        "--new", action="store_true", help="issue new credentials (the old stop working)"
    )
    credentials.set_defaults(run=_credentials)
    revoke = actions.add_parser("revoke", help="stop an agency connecting")
    revoke.add_argument("agency", choices=contracts.AGENCIES, metavar="AGENCY")
    revoke.set_defaults(run=_revoke)
    listing = actions.add_parser("list", help="each agency's current key and when issued")
    listing.set_defaults(run=_list_identities)

    nats_config = commands.add_parser(
        "nats-config",
        help="write a nats-server configuration for an operator's own server",
        description="Writes nats.conf (listen address, JetStream synced to disk, TLS) and"
        " accounts.conf (the hub's and each agency's identity and permissions) to DIR, from"
        " the identities in HUB_DATA_DIR/credentials. The hub then connects with"
        " HUB_NATS_URL and HUB_NATS_CREDS=HUB_DATA_DIR/credentials/hub.nk.",
    )
    nats_config.add_argument("--out", type=Path, required=True, metavar="DIR")
    nats_config.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    nats_config.add_argument("--port", type=int, default=4222)
    nats_config.add_argument("--store-dir", type=Path, default=Path("/var/lib/nats"))
    nats_config.add_argument("--tls-cert", type=Path, metavar="FILE")
    nats_config.add_argument("--tls-key", type=Path, metavar="FILE")
    nats_config.add_argument("--tls-ca", type=Path, metavar="FILE", help="clients' CA: required")
    nats_config.set_defaults(run=_nats_config)

    from hub.entrypoints.people_cli import add_commands

    add_commands(commands)
    privacy_cli.add_commands(commands)
    keys_cli.add_commands(commands)

    project = commands.add_parser("project", help="bring the projections up to date now")
    project.set_defaults(run=_project)

    contract = commands.add_parser("contracts", help="the agency event contract")
    documents = contract.add_subparsers(required=True, metavar="DOCUMENT")
    for name, run, text in (
        ("schema", _schema, "JSON Schema of an event body"),
        ("asyncapi", _asyncapi, "AsyncAPI document of the subjects"),
    ):
        sub = documents.add_parser(name, help=text)
        sub.add_argument("--out", type=Path)
        sub.set_defaults(run=run)

    web = commands.add_parser(
        "web",
        help="the web service alone (read side): pages, the JSON API, /healthz, /metrics",
        description="Serves the read side at HUB_WEB_ADDR (default 127.0.0.1:8700; its URL in"
        " HUB_DATA_DIR/web.url) until SIGTERM or Ctrl-C, keeping the projection caught up while"
        " no hub serve runs. hub serve runs the same service beside ingest. See docs/web.md.",
    )
    web.set_defaults(run=_web)
    return parser
