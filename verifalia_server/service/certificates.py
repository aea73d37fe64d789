"""Client certificates of users: register, list and unregister them, under the `client-certificates` rules.

A rule scoped `own` lets a user act on its own certificates only. Registration reads the upload with
`cryptography`: exactly one X.509 certificate, PEM or DER, never a private key, not expired, usable for TLS
client authentication and not registered yet (by anyone: its SHA-256 fingerprint names one user).
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from verifalia_server.service.errors import Conflict, InvalidInput, NotFound
from verifalia_server.service.permissions import (
    DELETE_CERTIFICATES,
    READ_CERTIFICATES,
    WRITE_CERTIFICATES,
    Permission,
    Principal,
    UserType,
)
from verifalia_server.service.text import require_storable
from verifalia_server.store.certificates import (
    CertificateDetails,
    DuplicateCertificateError,
    StoredCertificate,
    delete_certificate,
    insert_certificate,
    list_certificates,
)
from verifalia_server.store.database import Pool
from verifalia_server.store.users import User, get_user

# RFC 7468 §2: the pre-encapsulation boundary of every PEM block.
_PEM_BEGIN = b"-----BEGIN "
# RFC 7468 §10 and §11 labels (`PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`), and the legacy `RSA/EC PRIVATE KEY`.
_PRIVATE_KEY_LABEL = b"PRIVATE KEY-----"
# RFC 5280 §4.2.1.12: a certificate may be used only for the purposes its extended key usage lists.
_CLIENT_PURPOSES = (ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE)


def read_certificate(upload: bytes, now: dt.datetime) -> CertificateDetails:
    """The details of the one certificate an upload holds; `InvalidInput` saying what is wrong with it."""
    if _PRIVATE_KEY_LABEL in upload:
        raise InvalidInput(
            "The upload holds a private key: register the certificate alone and keep its private key secret."
        )
    try:
        if upload.lstrip().startswith(_PEM_BEGIN):
            certificates = x509.load_pem_x509_certificates(upload)
        else:
            certificates = [x509.load_der_x509_certificate(upload)]
    except ValueError:
        raise InvalidInput("The upload is not an X.509 certificate in PEM or DER form.") from None
    if len(certificates) != 1:
        raise InvalidInput(f"The upload holds {len(certificates)} certificates; register one at a time.")
    certificate = certificates[0]
    if certificate.not_valid_after_utc <= now:
        raise InvalidInput(f"The certificate expired on {certificate.not_valid_after_utc.isoformat()}.")
    _require_client_purpose(certificate)
    return CertificateDetails(
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex().upper(),
        # RFC 4514 §2: the string form of a distinguished name.
        subject=require_storable(certificate.subject.rfc4514_string(), "subject"),
        issuer=require_storable(certificate.issuer.rfc4514_string(), "issuer"),
        serial=f"{certificate.serial_number:X}",
        public_key=base64.b64encode(
            certificate.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ).decode("ascii"),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    )


def _require_client_purpose(certificate: x509.Certificate) -> None:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not any(purpose in usage for purpose in _CLIENT_PURPOSES):
        raise InvalidInput("The certificate's extended key usage does not allow TLS client authentication.")


async def register_certificate(
    pool: Pool[Any], principal: Principal, user_id: str, upload: bytes
) -> StoredCertificate:
    """Register a certificate for a user of the caller's account (404, 403, 400, 409)."""
    user = await _user(pool, principal, user_id, WRITE_CERTIFICATES)
    if user.type is UserType.BROWSER_APP:
        raise InvalidInput("Browser apps log in with their key, never with a client certificate.")
    details = read_certificate(upload, dt.datetime.now(dt.UTC))
    try:
        return await insert_certificate(pool, user.id, user.account_id, details)
    except DuplicateCertificateError:
        raise Conflict(f"The certificate {details.fingerprint} is already registered.") from None


async def user_certificates(
    pool: Pool[Any],
    principal: Principal,
    user_id: str,
    *,
    descending: bool,
    after: tuple[dt.datetime, uuid.UUID] | None,
    limit: int | None,
) -> list[StoredCertificate]:
    """A user's certificates, oldest first unless `descending`, after the key `after` (404, 403)."""
    user = await _user(pool, principal, user_id, READ_CERTIFICATES)
    return await list_certificates(pool, user.id, descending=descending, after=after, limit=limit)


async def unregister_certificate(
    pool: Pool[Any], principal: Principal, user_id: str, certificate_id: uuid.UUID
) -> None:
    """Unregister a user's certificate: it logs nobody in from now on (404, 403)."""
    user = await _user(pool, principal, user_id, DELETE_CERTIFICATES)
    if not await delete_certificate(pool, user.id, certificate_id):
        raise NotFound(f"The user {user.id} has no certificate {certificate_id}.")


async def _user(pool: Pool[Any], principal: Principal, user_id: str, permission: Permission) -> User:
    """The user of the caller's account whose certificates are asked for, once `permission` is checked."""
    user = await get_user(pool, require_storable(user_id, "userId"))
    if user is None or user.account_id != principal.account_id or user.deleted_on is not None:
        raise NotFound(f"No user {user_id} in this account.")
    principal.require(permission, owner=user.id)
    return user
