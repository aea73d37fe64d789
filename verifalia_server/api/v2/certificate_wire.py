"""The wire form of client certificates (API v2.7), as the C# SDK's `ClientCertificate` model reads it, and
the upload that registers one.

A certificate is `{id, subject, issuer, serialNumber, thumbprint, publicKey, notBefore, notAfter,
createdOn}`: the subject and issuer as RFC 4514 strings, the thumbprint the SHA-256 fingerprint of the DER
encoding (upper-case hex), the public key its DER SubjectPublicKeyInfo in base64. The upload is a
`multipart/form-data` body whose `certificate` part holds the certificate, PEM or DER.
"""

from __future__ import annotations

from typing import Any

from aiohttp import BodyPartReader, web

from verifalia_server.api.shared.errors import ApiError, bad_request
from verifalia_server.api.shared.files import MULTIPART_ERRORS
from verifalia_server.api.shared.wire import iso_datetime
from verifalia_server.store.certificates import StoredCertificate

# A certificate is a few kilobytes; an upload many times that large is no certificate.
MAX_UPLOAD_BYTES = 64 * 1024
_PART = "certificate"


def certificate(stored: StoredCertificate) -> dict[str, Any]:
    """A registered certificate as the SDKs read it."""
    details = stored.details
    return {
        "id": str(stored.id),
        "subject": details.subject,
        "issuer": details.issuer,
        "serialNumber": details.serial,
        "thumbprint": details.fingerprint,
        "publicKey": details.public_key,
        "notBefore": iso_datetime(details.not_before),
        "notAfter": iso_datetime(details.not_after),
        "createdOn": iso_datetime(stored.created_on),
    }


async def read_certificate_upload(request: web.Request) -> bytes:
    """The `certificate` part of a multipart upload (415 for another body, 413 when too large, 400 when
    malformed or missing)."""
    if request.content_type != "multipart/form-data":
        raise ApiError(
            415,
            "Unsupported Media Type",
            f"Upload the certificate as multipart/form-data with a '{_PART}' part.",
        )
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES:
        raise _too_large()
    content: bytes | None = None
    received = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise bad_request("Nested multipart bodies are not supported.")
            data = await _read_part(part, MAX_UPLOAD_BYTES - received)
            received += len(data)
            if part.name == _PART:
                content = data
    except MULTIPART_ERRORS as error:
        raise bad_request(f"The multipart body cannot be read: {str(error).strip()}.") from None
    if not content:
        raise bad_request(f"The multipart body has no '{_PART}' part.")
    return content


async def _read_part(part: BodyPartReader, budget: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk():
        size += len(chunk)
        if size > budget:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> ApiError:
    return ApiError(413, "Payload Too Large", f"A certificate upload is at most {MAX_UPLOAD_BYTES} bytes.")
