"""Settings, from ``HUB_*`` environment variables (see docs/configuration.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.errors import ConfigurationError

SQLITE_RECORDER = "hub.adapters.sqlite_recorder:SQLiteBatchRecorder"


class Settings(BaseSettings):
    """Everything the hub can be told. Defaults are the embedded, single-machine setup."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    data_dir: Path = Path(".hub")
    database_url: str | None = Field(
        default=None, description="postgresql://user@host:port/db; unset: SQLite in data_dir"
    )
    nats_url: str | None = Field(
        default=None, description="unset: hub serve starts its own nats-server"
    )
    nats_creds: Path | None = Field(
        default=None,
        description="the nkey seed file to connect with: the hub's for hub serve, an agency's"
        " for hub import and hub publish; unset: the one in data_dir/credentials, if any",
    )
    nats_tls_ca: Path | None = Field(
        default=None, description="CA file to verify the NATS server's certificate (tls://)"
    )
    nats_tls_cert: Path | None = Field(default=None, description="client certificate, for TLS")
    nats_tls_key: Path | None = Field(default=None, description="client certificate's key")
    nats_sync: str = Field(
        default="always",
        pattern=r"^(always|[0-9]+(ms|s|m))$",
        description="the embedded server's JetStream sync_interval: always (an ack means on"
        " disk), or a period such as 2m (NATS's default; faster, loses writes on power loss)",
    )
    stream: str = "SAFEGUARDING"
    durable: str = "hub"
    batch_size: int = Field(default=1000, ge=1, le=10_000)
    batch_timeout: float = Field(default=0.2, gt=0)
    ack_wait: float = Field(default=10.0, gt=0)
    duplicate_window: float = Field(default=120.0, gt=0)
    retry_delay: float = Field(default=2.0, gt=0)
    target_retries: int = Field(
        default=12,
        ge=0,
        description="times a correction whose target is not held is retried, ack_wait apart",
    )
    lock_timeout: int = Field(default=30, ge=1, description="seconds to wait for a locked store")
    # How long NATS keeps what it holds (docs/privacy.md): no longer than the hub needs it.
    stream_max_age: float = Field(
        default=7 * 86_400,
        gt=0,
        description="seconds the events stream keeps a message (7 days): at least the duplicate"
        " window and the redelivery window, ack_wait x (target_retries + 1)",
    )
    notices_max_age: float = Field(
        default=30 * 86_400,
        gt=0,
        description="seconds the notices stream keeps a reject notice or notification (30 days)",
    )
    jetstream_key_file: Path | None = Field(
        default=None,
        description="the key the embedded nats-server encrypts its JetStream files with; unset:"
        " keys/jetstream.key in data_dir, made at first start, readable by its owner only",
    )
    jetstream_previous_key_file: Path | None = Field(
        default=None,
        description="the key those files were encrypted with before, for one start with a new"
        " HUB_JETSTREAM_KEY_FILE (the server re-encrypts them with the new one)",
    )
    shutdown_grace: float = Field(
        default=15.0,
        gt=0,
        description="seconds hub serve waits, when told to stop, for queued batches to be stored",
    )
    writer: Literal["process", "thread"] = "process"
    log_level: str = "INFO"
    projection_path: Path | None = Field(
        default=None, description="the projection database; unset: projections.sqlite in data_dir"
    )
    role: Literal["public", "internal"] = Field(
        default="public", description="internal may see raw small counts (--no-suppression)"
    )
    disclosure_threshold: int = Field(default=5, ge=2, description="counts below it are hidden")
    follow_interval: float = Field(default=0.5, gt=0, description="seconds between catch-ups")
    la_code: str | None = Field(
        default=None,
        pattern=r"^[EWSN][0-9]{8}$",
        description="the council's own LA code (E06000016): the DfE rules that need it run",
    )
    master_key_file: Path | None = Field(
        default=None,
        description="the master key (32 random bytes in base64, `hub keys new --out F`) that"
        " wraps the store's data keys; unset: keys/master.key in data_dir, made at first use"
        " (production keeps it elsewhere: another volume or a secrets manager's mount)",
    )
    import_ledger: Path | None = Field(
        default=None,
        description="what hub import has published, per source; unset: imports.sqlite in data_dir",
    )

    # Notifications to agencies (docs/notifications.md), sent by hub serve.
    notify: bool = Field(
        default=True, description="send agencies their notifications (false: nothing is sent)"
    )
    notify_within: float = Field(
        default=7 * 86_400,
        gt=0,
        description="seconds: a cause that occurred longer than this before the hub recorded"
        " it raises nothing (an import of history is not news); a restarted hub serve sends"
        " what the notices of this last period left unsent",
    )
    notify_every: float = Field(
        default=0.25, gt=0, description="seconds between the notifier's reads of new notices"
    )

    # The web service (docs/web.md): hub serve and hub web listen here.
    web_addr: str = Field(
        default="127.0.0.1:8700",
        pattern=r"^(off|(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]]+):[0-9]{1,5})$",
        description="host:port of the web service (off: hub serve runs none); anything but"
        " loopback belongs behind a TLS-terminating proxy (session cookies are then Secure)",
    )
    web_secret_file: Path | None = Field(
        default=None,
        description="the key that signs web sessions; unset: web-secret in data_dir, made at"
        " first start, readable by its owner only",
    )
    web_session_hours: float = Field(
        default=8.0, gt=0, description="a web session ends this long after sign-in"
    )
    web_idle_minutes: float = Field(
        default=60.0, gt=0, description="... or when unused for this long"
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="a council's OpenID Connect provider (https://...); unset: passwords only",
    )
    oidc_client_id: str | None = None
    oidc_client_secret_file: Path | None = Field(
        default=None, description="a file holding the hub's client secret at that provider"
    )

    # Retention (docs/privacy.md): what `hub retention` shreds, and when.
    retention_looked_after_age: int = Field(
        default=75,
        ge=18,
        description="a looked-after child's records are kept to this birthday (Care Planning,"
        " Placement and Case Review (England) Regulations 2010, reg. 50)",
    )
    retention_looked_after_no_dob_years: int = Field(
        default=75,
        ge=1,
        description="... and, with no date of birth known, this long after the last record",
    )
    retention_years: int = Field(
        default=25,
        ge=1,
        description="every other child's records: kept this long after the last record (the"
        " partnership's policy: its data protection officer confirms it)",
    )

    @property
    def web_host_port(self) -> tuple[str, int]:
        host, _, port = self.web_addr.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def web_url_file(self) -> Path:
        """Where the running web service writes its URL, for scripts on this machine."""
        return self.data_dir / "web.url"

    @property
    def web_secret_path(self) -> Path:
        return self.web_secret_file or self.data_dir / "web-secret"

    @model_validator(mode="after")
    def _streams_kept_long_enough(self) -> Settings:
        redelivery = self.ack_wait * (self.target_retries + 1)
        if self.stream_max_age < max(self.duplicate_window, redelivery):
            raise ValueError(
                f"HUB_STREAM_MAX_AGE ({self.stream_max_age:g}s) must be at least the duplicate"
                f" window ({self.duplicate_window:g}s) and the redelivery window, ack_wait x"
                f" (target_retries + 1) ({redelivery:g}s)"
            )
        if self.notices_max_age < self.duplicate_window:
            raise ValueError(
                f"HUB_NOTICES_MAX_AGE ({self.notices_max_age:g}s) must be at least the duplicate"
                f" window ({self.duplicate_window:g}s)"
            )
        return self

    @property
    def jetstream_key_path(self) -> Path:
        """The embedded nats-server's JetStream key (beside the master key by default)."""
        return self.jetstream_key_file or self.data_dir / "keys" / "jetstream.key"

    @property
    def jetstream_files(self) -> Path | None:
        """Where the embedded nats-server keeps its streams' files; None for an operator's
        server (``HUB_NATS_URL``), whose files the hub cannot see."""
        return None if self.nats_url else self.nats_dir / "jetstream"

    @property
    def default_master_key(self) -> Path:
        """Where the master key is made at first use when ``HUB_MASTER_KEY_FILE`` is unset."""
        return self.data_dir / "keys" / "master.key"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "hub.sqlite"

    @property
    def projection_file(self) -> Path:
        return self.projection_path or self.data_dir / "projections.sqlite"

    @property
    def ledger_file(self) -> Path:
        return self.import_ledger or self.data_dir / "imports.sqlite"

    @property
    def nats_url_file(self) -> Path:
        """Where ``hub serve`` writes the URL of the nats-server it started."""
        return self.data_dir / "nats.url"

    @property
    def credentials_dir(self) -> Path:
        """The parties' NATS keys (``hub.adapters.bus_identities``)."""
        return self.data_dir / "credentials"

    @property
    def nats_dir(self) -> Path:
        """The embedded nats-server's configuration and JetStream files."""
        return self.data_dir / "nats"

    @property
    def report_file(self) -> Path:
        """Where ``hub serve`` writes its health report for ``hub status``."""
        return self.data_dir / "serve.json"

    def postgres_options(self) -> dict[str, str] | None:
        """psycopg connection keywords and the schema, for the store; None on SQLite."""
        if not self.database_url:
            return None
        env = self.store_env()
        return {
            "dbname": env["HUB_POSTGRES_DBNAME"],
            "host": env["HUB_POSTGRES_HOST"],
            "port": env["HUB_POSTGRES_PORT"],
            "user": env["HUB_POSTGRES_USER"],
            "password": env["HUB_POSTGRES_PASSWORD"],
            "schema": env["HUB_POSTGRES_SCHEMA"],
        }

    def store_env(self) -> dict[str, str]:
        """The eventsourcing library's settings for this store."""
        refuse_library_cipher()
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return {
                "HUB_PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "HUB_SQLITE_DBNAME": str(self.sqlite_path),
                "HUB_SQLITE_LOCK_TIMEOUT": str(self.lock_timeout),
                "HUB_APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER,
            }
        url = urlsplit(self.database_url)
        if url.scheme not in ("postgresql", "postgres") or not url.path.strip("/"):
            raise ConfigurationError(
                "HUB_DATABASE_URL must look like postgresql://user@host:port/dbname"
            )
        schema = parse_qs(url.query).get("schema", ["public"])[0]
        return {
            "HUB_PERSISTENCE_MODULE": "eventsourcing.postgres",
            "HUB_POSTGRES_DBNAME": unquote(url.path.strip("/")),
            "HUB_POSTGRES_HOST": url.hostname or "127.0.0.1",
            "HUB_POSTGRES_PORT": str(url.port or 5432),
            "HUB_POSTGRES_USER": unquote(url.username or "postgres"),
            "HUB_POSTGRES_PASSWORD": unquote(url.password or ""),
            "HUB_POSTGRES_SCHEMA": schema,
            "HUB_POSTGRES_LOCK_TIMEOUT": str(self.lock_timeout),
        }


_LIBRARY_CIPHER = ("CIPHER_KEY", "CIPHER_TOPIC", "HUB_CIPHER_KEY", "HUB_CIPHER_TOPIC")


def refuse_library_cipher() -> None:
    """The eventsourcing library's own encryption (``CIPHER_KEY``) is not the hub's: it needs a
    package the hub does not ship (a traceback at the first read), seals every row under one key
    (no child's data can be erased alone), hides what the figures are derived from, and cannot
    read a store written without it."""
    given = [name for name in _LIBRARY_CIPHER if os.environ.get(name)]
    if given:
        raise ConfigurationError(
            f"{given[0]} is set: the hub does not use the event store library's cipher. The hub"
            " encrypts what identifies a child itself, under HUB_MASTER_KEY_FILE (see"
            f" docs/privacy.md); unset {' and '.join(given)}"
        )
