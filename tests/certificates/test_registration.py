"""`/users/{id}/certificates`: registering (what is refused and why), listing with cursors, deleting, and the
permissions each needs."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import aiohttp
import asyncpg
from cryptography.hazmat.primitives import serialization

from tests.certificates.conftest import TlsNode, create_user, problem
from tests.certificates.pki import SERVER_ONLY
from tests.support.database import create_test_account
from verifalia_server.service.permissions import UserType


async def test_registration_answers_the_certificate_as_the_sdk_reads_it(
    tls_node: TlsNode, pool: asyncpg.Pool[Any]
) -> None:
    user = await create_user(pool, tls_node.admin)
    client = tls_node.pki.issue("client shape", issuer=tls_node.pki.ca)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    status, body = await tls_node.register(user.sid, client.der)
    assert status == 200, body
    spki = client.certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert body == {
        "id": body["id"],
        "subject": "CN=client shape",
        "issuer": "CN=Test CA",
        "serialNumber": f"{client.certificate.serial_number:X}",
        "thumbprint": client.thumbprint,
        "publicKey": base64.b64encode(spki).decode(),
        "notBefore": client.certificate.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "notAfter": client.certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "createdOn": body["createdOn"],
    }
    assert dt.datetime.fromisoformat(body["createdOn"]) >= before
    status, listing = await tls_node.call("GET", f"/users/{user.sid}/certificates", auth=tls_node.admin)
    assert status == 200
    assert listing == {"meta": {"isTruncated": False, "cursor": listing["meta"]["cursor"]}, "data": [body]}


async def test_what_is_not_one_usable_certificate_is_refused(
    tls_node: TlsNode, pool: asyncpg.Pool[Any]
) -> None:
    user = await create_user(pool, tls_node.admin)
    pki = tls_node.pki
    client = pki.issue("client refused")
    expired = pki.issue("client expired", valid=(dt.timedelta(days=-30), dt.timedelta(days=-1)))
    server_only = pki.issue("client server only", usage=SERVER_ONLY)
    cases = {
        b"not a certificate": "not an X.509 certificate",
        b"-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n": "not an X.509 certificate",
        client.pem + client.key_pem: "holds a private key",
        client.key_pem: "holds a private key",
        client.pem + pki.ca.pem: "holds 2 certificates",
        expired.pem: "expired on",
        server_only.pem: "does not allow TLS client authentication",
    }
    for upload, reason in cases.items():
        assert reason in problem(await tls_node.register(user.sid, upload), 400)
    status, listing = await tls_node.call("GET", f"/users/{user.sid}/certificates", auth=tls_node.admin)
    assert (status, listing["data"]) == (200, [])


async def test_a_certificate_is_registered_once_across_users(
    tls_node: TlsNode, pool: asyncpg.Pool[Any]
) -> None:
    first = await create_user(pool, tls_node.admin)
    second = await create_user(pool, tls_node.admin)
    client = tls_node.pki.issue("client twice")
    status, _ = await tls_node.register(first.sid, client.pem)
    assert status == 200
    for user in (first, second):
        detail = problem(await tls_node.register(user.sid, client.der), 409)
        assert detail == f"The certificate {client.thumbprint} is already registered."


async def test_the_upload_must_be_a_multipart_certificate_part(
    tls_node: TlsNode, pool: asyncpg.Pool[Any]
) -> None:
    user = await create_user(pool, tls_node.admin)
    client = tls_node.pki.issue("client raw")
    path = f"/users/{user.sid}/certificates"
    raw = await tls_node.call("POST", path, auth=tls_node.admin, data=client.pem)
    assert "multipart/form-data" in problem(raw, 415)
    form = aiohttp.FormData()
    form.add_field("file", client.pem, filename="client.pem")
    assert "no 'certificate' part" in problem(
        await tls_node.call("POST", path, auth=tls_node.admin, data=form), 400
    )
    huge = aiohttp.FormData()
    huge.add_field("certificate", b"x" * 70_000, filename="dummy")
    assert "at most 65536 bytes" in problem(
        await tls_node.call("POST", path, auth=tls_node.admin, data=huge), 413
    )


async def test_listing_pages_forward_and_backward(tls_node: TlsNode, pool: asyncpg.Pool[Any]) -> None:
    user = await create_user(pool, tls_node.admin)
    thumbprints = []
    for number in range(5):
        client = tls_node.pki.issue(f"client page {number}")
        status, _ = await tls_node.register(user.sid, client.pem)
        assert status == 200
        thumbprints.append(client.thumbprint)
    base = f"/users/{user.sid}/certificates"
    status, first = await tls_node.call("GET", f"{base}?limit=2", auth=tls_node.admin)
    assert status == 200
    assert [item["thumbprint"] for item in first["data"]] == thumbprints[:2]
    assert first["meta"]["isTruncated"] is True
    _, second = await tls_node.call("GET", f"{base}?cursor={first['meta']['cursor']}", auth=tls_node.admin)
    assert [item["thumbprint"] for item in second["data"]] == thumbprints[2:4]
    _, third = await tls_node.call("GET", f"{base}?cursor={second['meta']['cursor']}", auth=tls_node.admin)
    assert [item["thumbprint"] for item in third["data"]] == thumbprints[4:]
    assert third["meta"]["isTruncated"] is False
    _, back = await tls_node.call("GET", f"{base}?cursor:prev={third['meta']['cursor']}", auth=tls_node.admin)
    assert [item["thumbprint"] for item in back["data"]] == thumbprints[2:4]
    # A cursor of another user's listing is no cursor here.
    other = await create_user(pool, tls_node.admin)
    foreign = await tls_node.call(
        "GET", f"/users/{other.sid}/certificates?cursor={first['meta']['cursor']}", auth=tls_node.admin
    )
    assert problem(foreign, 400) == "The cursor is not a client certificate listing cursor."


async def test_permissions_and_accounts_bound_every_operation(
    tls_node: TlsNode, pool: asyncpg.Pool[Any]
) -> None:
    own_only = await create_user(pool, tls_node.admin)
    other = await create_user(pool, tls_node.admin)
    no_rules = await create_user(pool, tls_node.admin, rules=("credits:read",))
    client = tls_node.pki.issue("client own")
    # A user with `client-certificates:*:own` manages its own certificates, not another user's.
    status, own = await tls_node.register(own_only.sid, client.pem, auth=own_only)
    assert status == 200
    detail = problem(await tls_node.register(other.sid, tls_node.pki.issue("c").pem, auth=own_only), 403)
    assert detail == "The credentials lack the 'client-certificates:write' permission for this operation."
    foreign_delete = await tls_node.call(
        "DELETE", f"/users/{own_only.sid}/certificates/{own['id']}", auth=no_rules
    )
    assert "client-certificates:delete" in problem(foreign_delete, 403)
    own_listing = await tls_node.call("GET", f"/users/{no_rules.sid}/certificates", auth=no_rules)
    assert "client-certificates:read:own" in problem(own_listing, 403)
    # Users of another account, unknown users and unknown certificate ids are not found.
    stranger = await create_test_account(pool, name="other")
    assert "No user" in problem(await tls_node.register(stranger.sid, tls_node.pki.issue("s").pem), 404)
    problem(await tls_node.call("GET", "/users/nobody/certificates", auth=tls_node.admin), 404)
    problem(
        await tls_node.call("DELETE", f"/users/{own_only.sid}/certificates/not-a-uuid", auth=own_only), 404
    )
    # Browser apps log in with their key only.
    app = await create_user(pool, tls_node.admin, user_type=UserType.BROWSER_APP, rules=())
    assert "Browser apps" in problem(await tls_node.register(app.sid, tls_node.pki.issue("b").pem), 400)
    status, _ = await tls_node.call(
        "DELETE", f"/users/{own_only.sid}/certificates/{own['id']}", auth=own_only
    )
    assert status == 200
