"""Client certificates registered for certificate (mutual TLS) login.

API: `insert_certificate`, `list_certificates`, `delete_certificate`, `certificate_owner`,
`unloaded_certificates`. A certificate is known by the SHA-256 fingerprint of its DER encoding (64 upper-case
hex digits), unique across every account. Each registration is announced on `CERTIFICATES_CHANNEL` (its
fingerprint as the payload) so every node can trust the new certificate in its TLS handshakes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import asyncpg

from verifalia_server.store.database import Pool
from verifalia_server.store.keyset import page_query

CERTIFICATES_CHANNEL = "client_certificate_added"
_COLUMNS = (
    "id, user_id, account_id, fingerprint, subject, issuer, serial, public_key, not_before, not_after, pem,"
    " created_on"
)


class DuplicateCertificateError(ValueError):
    """A certificate with the same fingerprint is already registered."""


@dataclass(frozen=True, slots=True)
class CertificateDetails:
    """What is stored of a certificate, as read from it."""

    fingerprint: str
    subject: str
    issuer: str
    serial: str
    public_key: str
    not_before: dt.datetime
    not_after: dt.datetime
    pem: str


@dataclass(frozen=True, slots=True)
class StoredCertificate:
    """A registered certificate of a user."""

    id: uuid.UUID
    user_id: str
    account_id: int
    details: CertificateDetails
    created_on: dt.datetime


def _certificate(row: asyncpg.Record) -> StoredCertificate:
    details = CertificateDetails(
        fingerprint=row["fingerprint"],
        subject=row["subject"],
        issuer=row["issuer"],
        serial=row["serial"],
        public_key=row["public_key"],
        not_before=row["not_before"],
        not_after=row["not_after"],
        pem=row["pem"],
    )
    return StoredCertificate(row["id"], row["user_id"], row["account_id"], details, row["created_on"])


async def insert_certificate(
    pool: Pool[Any], user_id: str, account_id: int, details: CertificateDetails
) -> StoredCertificate:
    """Register a certificate for a user and announce it; DuplicateCertificateError when it is known."""
    async with pool.acquire() as connection, connection.transaction():
        try:
            row = await connection.fetchrow(
                "INSERT INTO client_certificates (id, user_id, account_id, fingerprint, subject, issuer,"
                " serial, public_key, not_before, not_after, pem)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                f" RETURNING {_COLUMNS}",
                uuid.uuid4(),
                user_id,
                account_id,
                details.fingerprint,
                details.subject,
                details.issuer,
                details.serial,
                details.public_key,
                details.not_before,
                details.not_after,
                details.pem,
            )
        except asyncpg.UniqueViolationError:
            raise DuplicateCertificateError(f"the certificate {details.fingerprint} is registered") from None
        # Delivered at commit, to every node listening.
        await connection.execute("SELECT pg_notify($1, $2)", CERTIFICATES_CHANNEL, details.fingerprint)
    return _certificate(row)


async def list_certificates(
    pool: Pool[Any],
    user_id: str,
    *,
    descending: bool = False,
    after: tuple[dt.datetime, uuid.UUID] | None = None,
    limit: int | None = None,
) -> list[StoredCertificate]:
    """A user's certificates by registration time (ties by id), after the key `after` (see `sort_key`)."""
    query, arguments = page_query(
        f"SELECT {_COLUMNS} FROM client_certificates",
        ["user_id = $1"],
        [user_id],
        "created_on",
        descending=descending,
        after=after,
        limit=limit,
    )
    return [_certificate(row) for row in await pool.fetch(query, *arguments)]


def sort_key(certificate: StoredCertificate) -> tuple[dt.datetime, uuid.UUID]:
    """The key `list_certificates` orders by."""
    return certificate.created_on, certificate.id


async def delete_certificate(pool: Pool[Any], user_id: str, certificate_id: uuid.UUID) -> bool:
    """Unregister a user's certificate; False when the user has no such certificate."""
    result = await pool.execute(
        "DELETE FROM client_certificates WHERE id = $1 AND user_id = $2", certificate_id, user_id
    )
    return bool(result != "DELETE 0")


async def certificate_owner(pool: Pool[Any], fingerprint: str) -> str | None:
    """The user who logs in with this certificate now: registered, within its validity period, and of a
    user allowed to log in with certificates (its activity is checked by the caller)."""
    owner: str | None = await pool.fetchval(
        "SELECT c.user_id FROM client_certificates AS c JOIN users AS u ON u.id = c.user_id"
        " WHERE c.fingerprint = $1 AND u.certificate_login AND c.not_before <= now() AND now() < c.not_after",
        fingerprint,
    )
    return owner


async def unloaded_certificates(pool: Pool[Any], loaded: Collection[str]) -> list[tuple[str, str]]:
    """The (fingerprint, PEM) of every registered certificate whose fingerprint is not in `loaded`."""
    rows = await pool.fetch(
        "SELECT fingerprint, pem FROM client_certificates WHERE NOT (fingerprint = ANY($1::text[]))",
        list(loaded),
    )
    return [(row["fingerprint"], row["pem"]) for row in rows]
