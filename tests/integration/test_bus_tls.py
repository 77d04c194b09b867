"""The bus over TLS with client certificates, on loopback, with a CA made in the test: a party
with a certificate from the CA and its own key is served; one without a certificate, or with a
certificate from another CA, is refused before it can log in."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from agencies import Bus, PublishFailed, publish_lines
from contracts.examples import example_event
from hub.adapters.bus_identities import Identities
from hub.adapters.bus_login import tls_context
from hub.adapters.embedded_nats import EmbeddedNats
from hub.adapters.nats_config import Tls
from hub.config import Settings
from tests.support import bus, eventually, register_bus, running_hub


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


def _write(
    folder: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> Pair:
    pair = Pair(folder / f"{name}.pem", folder / f"{name}.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pair


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = issuer or (name, key)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    elif not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class Pki:
    ca: Pair
    server: Pair
    client: Pair
    stranger: Pair  # a client certificate from another CA


def _pki(folder: Path) -> Pki:
    folder.mkdir()
    made: dict[str, Pair] = {}
    for ca_name in ("ca", "other-ca"):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = _certificate(ca_name, ca_key, None, ca=True)
        made[ca_name] = _write(folder, ca_name, ca_cert, ca_key)
        issuer = (ca_cert.subject, ca_key)
        for name, server in (("server", True), ("client", False)):
            key = ec.generate_private_key(ec.SECP256R1())
            made[f"{ca_name}-{name}"] = _write(
                folder, f"{ca_name}-{name}", _certificate(name, key, issuer, server=server), key
            )
    return Pki(made["ca"], made["ca-server"], made["ca-client"], made["other-ca-client"])


@pytest.fixture
def tls_bus(tmp_path: Path) -> Iterator[tuple[EmbeddedNats, Pki]]:
    pki = _pki(tmp_path / "pki")
    identities = Identities(tmp_path / "credentials")
    tls = Tls(pki.server.cert, pki.server.key, pki.ca.cert)
    with EmbeddedNats(tmp_path / "nats", identities=identities, tls=tls) as server:
        register_bus(server.url, identities)
        yield server, pki


async def test_a_party_with_a_client_certificate_is_served_and_one_without_is_refused(
    tls_bus: tuple[EmbeddedNats, Pki], tmp_path: Path
) -> None:
    server, pki = tls_bus
    assert server.url.startswith("tls://127.0.0.1:")
    seed = bus(server.url, "police").seed_file
    settings = Settings(
        data_dir=tmp_path / "hub",
        writer="thread",
        batch_timeout=0.05,
        nats_tls_ca=pki.ca.cert,
        nats_tls_cert=pki.client.cert,
        nats_tls_key=pki.client.key,
    )
    event = orjson.dumps(example_event("missing.reported"))
    with_certificate = tls_context(pki.ca.cert, pki.client.cert, pki.client.key)
    async with running_hub(settings, server.url, tls=with_certificate) as store:
        report = await publish_lines(Bus(server.url, seed, with_certificate), "police", [event])
        assert report.published == 1
        await eventually(lambda: store.stored() == 1)

        no_certificate = tls_context(pki.ca.cert, None, None)
        with pytest.raises(PublishFailed, match="cannot reach NATS"):
            await publish_lines(Bus(server.url, seed, no_certificate), "police", [event])
        strangers = tls_context(pki.ca.cert, pki.stranger.cert, pki.stranger.key)
        with pytest.raises(PublishFailed, match="cannot reach NATS"):
            await publish_lines(Bus(server.url, seed, strangers), "police", [event])
        # A certificate does not replace the agency's key.
        with pytest.raises(PublishFailed, match="refused police's credentials"):
            await publish_lines(Bus(server.url, None, with_certificate), "police", [event])
    assert store.stored() == 1
