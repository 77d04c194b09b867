"""The nats-server configuration that makes each agency an authenticated party on the bus.

Accounts, not only permissions: the hub's account holds JetStream and both streams; each agency
has an account of its own with no JetStream, which reaches the hub's only through three service
imports: publishing on its own subjects (``safeguarding.v1.<agency>.>``, stored by the events
stream, its acknowledgement coming back through the import), and pulling and acknowledging its
own notices consumer (``notices_<agency>``, filtered to its rejects and notifications, created
by the hub). In one shared account, permissions alone cannot stop an agency from having the
server write onto another agency's subjects: a publish whose *reply* subject is another
agency's makes JetStream store its acknowledgement there, and reply subjects are not checked
against publish permissions. Across accounts the server rewrites replies (``_R_...``), so that
forgery is refused. The probes and their outcomes are in docs/architecture.md.

Each party's replies come to an inbox of its own (``_INBOX.<role>.>``, nats-py's
``inbox_prefix``), so no agency can read another's acknowledgements. No anonymous user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import contracts
from hub.adapters.bus_identities import HUB

NOTICES_CONSUMER = "notices_{agency}"
KEY_VARIABLE = "HUB_JETSTREAM_KEY"
"""The environment variable that gives nats-server the key its JetStream files are encrypted
with: the configuration names the variable, never the key."""
PREVIOUS_KEY_VARIABLE = "HUB_JETSTREAM_PREVIOUS_KEY"
"""... and the key they were encrypted with before, while a new one takes over."""
CIPHER = "chachapoly"


def inbox_prefix(role: str) -> str:
    return f"_INBOX.{role}"


def notices_consumer(agency: str) -> str:
    return NOTICES_CONSUMER.format(agency=agency)


@dataclass(frozen=True)
class Tls:
    """The server's certificate and key, and the CA its clients' certificates must chain to
    (``verify``: a client without one is refused)."""

    cert_file: Path
    key_file: Path
    ca_file: Path
    verify: bool = True


def server_conf(
    store_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 4222,
    accounts_file: str = "accounts.conf",
    sync: str = "always",
    tls: Tls | None = None,
    encrypted: bool = False,
    previous_key: bool = False,
) -> str:
    """The server's own settings; the parties are in ``accounts_file`` beside it, so revoking
    one rewrites that file alone and reloads the server.

    ``encrypted``: JetStream's files (every message the agencies sent, until it ages out) are
    encrypted at rest with the key in ``$HUB_JETSTREAM_KEY``, read from the server's
    environment (an unset variable stops the server at start); ``previous_key`` also names
    ``$HUB_JETSTREAM_PREVIOUS_KEY``, the key they were written with, so a new key takes over
    (the server re-encrypts them at start). A stream written in clear is encrypted at the
    first start with a key."""
    lines = [
        "# Written by the safeguarding hub (hub nats-config, or hub serve's embedded server).",
        f"listen: {_quote(f'{host}:{port}')}",
        "max_payload: 1MB",
        "jetstream {",
        f"  store_dir: {_quote(str(store_dir))}",
        # Acknowledge a write only once it is on disk: the default syncs every two minutes,
        # so a power cut could lose what an agency's ledger already records as sent.
        f"  sync_interval: {sync}",
    ]
    if encrypted:
        lines += [f"  cipher: {CIPHER}", f"  key: ${KEY_VARIABLE}"]
        if previous_key:
            lines.append(f"  prev_encryption_key: ${PREVIOUS_KEY_VARIABLE}")
    lines.append("}")
    if tls is not None:
        lines += [
            "tls {",
            f"  cert_file: {_quote(str(tls.cert_file))}",
            f"  key_file: {_quote(str(tls.key_file))}",
            f"  ca_file: {_quote(str(tls.ca_file))}",
            f"  verify: {'true' if tls.verify else 'false'}",
            "  timeout: 5",
            "}",
        ]
    lines.append(f"include {_quote(accounts_file)}")
    return "\n".join(lines) + "\n"


def accounts_conf(public_keys: Mapping[str, str], stream: str = "SAFEGUARDING") -> str:
    """The hub's account and one per agency with a current key (a revoked agency has no user,
    so it cannot connect; its account stays, empty, so the hub's exports need not change)."""
    notices = f"{stream}_NOTICES"
    hub_key = public_keys.get(HUB)
    hub_users = (
        [
            "      {",
            f"        nkey: {hub_key}",
            "        permissions: {",
            "          publish: { allow: [",
            '            "$JS.API.>"',
            f'            "{contracts.rejected_subject(">")}"',
            '            "safeguarding.v1.notify.>"',
            f'            "$JS.ACK.{stream}.>"',
            "          ] }",
            f'          subscribe: {{ allow: [ "{inbox_prefix(HUB)}.>" ] }}',
            "        }",
            "      }",
        ]
        if hub_key
        else []
    )
    lines = ["accounts {", "  HUB {", "    jetstream: enabled", "    users: [", *hub_users, "    ]"]
    lines.append("    exports: [")
    for agency in contracts.AGENCIES:
        account = agency.upper()
        consumer = notices_consumer(agency)
        lines += [
            f'      {{ service: "{contracts.subject_for(agency, ">")}", accounts: [{account}] }}',
            f'      {{ service: "$JS.API.CONSUMER.MSG.NEXT.{notices}.{consumer}",'
            f" accounts: [{account}], response_type: stream }}",
            f'      {{ service: "$JS.ACK.{notices}.{consumer}.>", accounts: [{account}] }}',
        ]
    lines += ["    ]", "  }"]
    for agency in contracts.AGENCIES:
        account = agency.upper()
        consumer = notices_consumer(agency)
        own = [
            contracts.subject_for(agency, ">"),
            f"$JS.API.CONSUMER.MSG.NEXT.{notices}.{consumer}",
            f"$JS.ACK.{notices}.{consumer}.>",
        ]
        key = public_keys.get(agency)
        lines += [f"  {account} {{", "    users: ["]
        if key:
            lines += [
                "      {",
                f"        nkey: {key}",
                "        permissions: {",
                "          publish: { allow: [" + ", ".join(f'"{s}"' for s in own) + "] }",
                f'          subscribe: {{ allow: [ "{inbox_prefix(agency)}.>" ] }}',
                "        }",
                "      }",
            ]
        lines += ["    ]", "    imports: ["]
        lines += [f'      {{ service: {{ account: HUB, subject: "{s}" }} }}' for s in own]
        lines += ["    ]", "  }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
