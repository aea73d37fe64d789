"""Certificates made for a test with `cryptography`: a CA, a server certificate for 127.0.0.1, client
certificates (self-signed or CA-issued), written as PEM files."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_LOOPBACK = ipaddress.ip_address("127.0.0.1")


@dataclass(frozen=True)
class Issued:
    """A certificate, its private key and the PEM files holding them."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    cert_file: Path
    key_file: Path

    @property
    def pem(self) -> bytes:
        """The certificate alone, PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        """The certificate alone, DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def key_pem(self) -> bytes:
        """The private key, unencrypted PKCS #8 PEM."""
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def thumbprint(self) -> str:
        """The SHA-256 fingerprint the service reports, upper-case hex."""
        return self.certificate.fingerprint(hashes.SHA256()).hex().upper()


class Pki:
    """Issues certificates into a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ca = self.issue("Test CA", ca=True)
        self.server = self.issue("127.0.0.1", issuer=self.ca, server=True)

    def issue(
        self,
        name: str,
        *,
        issuer: Issued | None = None,
        ca: bool = False,
        server: bool = False,
        usage: tuple[x509.ObjectIdentifier, ...] | None = None,
        valid: tuple[dt.timedelta, dt.timedelta] = (dt.timedelta(minutes=-5), dt.timedelta(days=30)),
    ) -> Issued:
        """A certificate for `name`, self-signed unless an `issuer` signs it; `valid` is its validity
        period relative to now."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.certificate.subject if issuer else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + valid[0])
            .not_valid_after(now + valid[1])
        )
        if ca:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(_LOOPBACK)]), False)
        if usage is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(usage)), critical=False)
        certificate = builder.sign(issuer.key if issuer else key, hashes.SHA256())
        stem = self.folder / name.replace(" ", "-").replace(".", "_")
        issued = Issued(certificate, key, stem.with_suffix(".crt"), stem.with_suffix(".key"))
        issued.cert_file.write_bytes(issued.pem)
        issued.key_file.write_bytes(issued.key_pem)
        return issued

    def client_context(self, client: Issued | None) -> ssl.SSLContext:
        """A client's TLS context trusting the test CA, presenting `client` when given."""
        context = ssl.create_default_context(cafile=self.ca.cert_file)
        if client is not None:
            context.load_cert_chain(client.cert_file, client.key_file)
        return context


SERVER_ONLY = (ExtendedKeyUsageOID.SERVER_AUTH,)
