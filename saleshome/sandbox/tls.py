"""Throwaway TLS material for the local sandboxes (HTTPS on 127.0.0.1).

simple-salesforce always builds `https://` URLs, so the sandboxes serve HTTPS with a
certificate from a CA generated at start (trustme: real X.509, no hand-rolled ASN.1).
Clients trust it through the CA file: `requests` `verify=ca_file`, on a session with
`trust_env = False` when `REQUESTS_CA_BUNDLE` is set (requests ignores `Session.verify`
otherwise, requests issue #3829).
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

__all__ = ["SERVER_NAMES", "TlsMaterial", "generate_tls_material", "server_context"]

#: Names the server certificate is valid for: an IP SAN and a DNS SAN.
SERVER_NAMES = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class TlsMaterial:
    """Paths of the PEM files: the CA clients trust, the server chain and its private key."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def generate_tls_material(directory: Path) -> TlsMaterial:
    """Create a new CA and a server certificate for 127.0.0.1 and localhost in `directory`.

    Writes `ca.pem`, `server.pem` (certificate chain) and `server.key` (mode 0600),
    replacing any previous files there.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="Sales Home sandbox")
    server = ca.issue_cert(*SERVER_NAMES)
    material = TlsMaterial(
        ca_file=directory / "ca.pem",
        cert_file=directory / "server.pem",
        key_file=directory / "server.key",
    )
    ca.cert_pem.write_to_path(str(material.ca_file))
    material.cert_file.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    fd = os.open(material.key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as key_out:
        key_out.write(server.private_key_pem.bytes())
    return material


def server_context(material: TlsMaterial) -> ssl.SSLContext:
    """A server-side SSL context presenting the sandbox certificate (TLS 1.2 or later)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=material.cert_file, keyfile=material.key_file)
    return context
