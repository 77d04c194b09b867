"""How one party logs in to the bus: its nkey seed file, its own reply inbox, and TLS."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.adapters.nats_config import inbox_prefix


@dataclass(frozen=True)
class BusLogin:
    role: str
    seed_file: Path | None = None  # None: no nkey (an operator's server without identities)
    tls: ssl.SSLContext | None = None

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``nats.connect``."""
        options: dict[str, Any] = {"inbox_prefix": inbox_prefix(self.role)}
        if self.seed_file is not None:
            options["nkeys_seed"] = str(self.seed_file)
        if self.tls is not None:
            options["tls"] = self.tls
        return options

    def broker_options(self) -> dict[str, Any]:
        """Keyword arguments for FastStream's ``NatsBroker``."""
        # Imported here: FastStream takes a third of a second, which hub status need not pay.
        from faststream.nats import NatsNKey
        from faststream.security import BaseSecurity

        security: BaseSecurity | None = None
        if self.seed_file is not None:
            security = NatsNKey.from_file(self.seed_file, ssl_context=self.tls)
        elif self.tls is not None:
            security = BaseSecurity(ssl_context=self.tls)
        return {"inbox_prefix": inbox_prefix(self.role), "security": security}

    @property
    def subscriber_inbox(self) -> bytes:
        """FastStream's subscribers take their own prefix (its default overrides the broker's)."""
        return f"{inbox_prefix(self.role)}.".encode()


def tls_context(ca: Path | None, cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """A client TLS context verifying the server against ``ca`` (the system's CAs if unset),
    presenting ``cert`` when given; None when no TLS setting is given."""
    if ca is None and cert is None:
        return None
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    if cert is not None:
        context.load_cert_chain(str(cert), str(key) if key else None)
    return context
